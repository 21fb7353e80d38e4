package xs2aprov

import (
	"errors"
	"fmt"
	"time"

	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/provider"
	"github.com/payterm/payterm/xs2a"
)

// callError carries an xs2a error to the core: a sentence of ours, the sentinels it means, the
// attempt to log and the bank's wait. The core never sees an xs2a type; errors.As still finds
// it for this package's tests. Nothing in Error() is a secret or personal data: xs2a's errors
// name codes, paths and statuses only, and our sentences name no account, name or credential.
type callError struct {
	msg        string
	err        error
	is         []error
	attempt    provider.Attempt
	retryAfter time.Duration
}

func (e *callError) Error() string {
	switch {
	case e.msg == "":
		return safetext.Error(e.err)
	case e.err == nil:
		return e.msg
	}
	return e.msg + ": " + safetext.Error(e.err)
}

func (e *callError) Unwrap() error { return e.err }

func (e *callError) Is(target error) bool {
	for _, s := range e.is {
		if s == target {
			return true
		}
	}
	return false
}

func (e *callError) Attempt() provider.Attempt { return e.attempt }
func (e *callError) RetryAfter() time.Duration { return e.retryAfter }

// wrap wraps an error of sending req with what it means.
func wrap(req *xs2a.Request, err error, msg string, sentinels ...error) *callError {
	return &callError{msg: msg, err: err, is: sentinels, attempt: attemptOf(req, err)}
}

// notSent is an error of a call that never left (held back by the bank's wait, refused here).
func notSent(msg string, err error, sentinels ...error) *callError {
	return &callError{msg: msg, err: err, is: sentinels, attempt: provider.Attempt{NotSent: true}}
}

// attemptOf is the attempt log's line for one exchange: the X-Request-ID sent, the HTTP
// status and the outcome in words.
func attemptOf(req *xs2a.Request, err error) provider.Attempt {
	a := provider.Attempt{Outcome: "error"}
	if req != nil {
		a.InteractionID = req.RequestID
	}
	var (
		be *xs2a.BankError
		oe *xs2a.OAuthError
		te *xs2a.TransportError
		de *xs2a.DecodeError
	)
	switch {
	case errors.As(err, &be):
		a.HTTPStatus, a.Outcome = be.HTTPStatus, "error"
		if c := be.Code(); c != "" {
			a.Outcome = "error " + c
		}
		if be.HTTPStatus == 429 {
			a.Outcome = "rate limited, not processed"
		} else if errors.Is(err, xs2a.ErrOutcomeUnknown) {
			a.Outcome += ", outcome unknown"
		}
	case errors.As(err, &oe):
		a.HTTPStatus, a.Outcome = oe.HTTPStatus, "error"
		if oe.Code != "" {
			a.Outcome = "error " + oe.Code
		}
	case errors.As(err, &te):
		a.Outcome = "no response"
	case errors.As(err, &de):
		a.HTTPStatus, a.Outcome = de.HTTPStatus, "unreadable answer"
	}
	return a
}

// inputError turns a Build… refusal of the xs2a client into one sentence of ours.
func inputError(what string, err error) error {
	var ie *xs2a.InputError
	if errors.As(err, &ie) {
		return fmt.Errorf("%s: %s", what, safetext.Line(ie.Field+": "+ie.Reason))
	}
	return fmt.Errorf("%s: %s", what, safetext.Error(err))
}
