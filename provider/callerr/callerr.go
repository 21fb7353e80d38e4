// Package callerr is the error a provider hands the core for one failed call to its bank: a
// sentence of ours, the provider sentinels it means (errors.Is), the line for the attempt log
// and the bank's wait. The core reads it through provider's interfaces (Attempt, RetryAfter),
// never through this type. Each provider maps its own wire errors onto it; what the type does
// is the same for all, so it is written once.
package callerr

import (
	"time"

	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/provider"
)

// Error is one failed call. Nothing in Error() may be a secret or personal data: Msg is a
// sentence of ours that names no account, name or credential, and Err's text passes safetext.
type Error struct {
	Msg   string
	Err   error
	Means []error          // the provider sentinels this failure means (ErrNotProcessed, …)
	Log   provider.Attempt // the attempt log's line for this exchange
	Wait  time.Duration    // the bank's Retry-After, 0 when it asked for none
}

func (e *Error) Error() string {
	switch {
	case e.Err == nil:
		return e.Msg
	case e.Msg == "":
		return safetext.Error(e.Err)
	}
	return e.Msg + ": " + safetext.Error(e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Is reports the sentinels the failure means, besides what Err wraps.
func (e *Error) Is(target error) bool {
	for _, s := range e.Means {
		if s == target {
			return true
		}
	}
	return false
}

func (e *Error) Attempt() provider.Attempt { return e.Log }
func (e *Error) RetryAfter() time.Duration { return e.Wait }

// NotSent is the error of a call that never left (held back by the bank's wait, refused here).
func NotSent(msg string, err error, sentinels ...error) *Error {
	return &Error{Msg: msg, Err: err, Means: sentinels, Log: provider.Attempt{NotSent: true}}
}
