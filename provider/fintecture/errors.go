package fintecture

import (
	"errors"
	"time"

	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/provider"
)

// callError carries a failure to the core: a sentence of ours, the provider sentinels it
// means, the attempt to log and the hub's wait. Nothing in Error() is a secret or personal
// data: our sentences name no account, name or credential, and the hub's words (APIError.Detail)
// are kept out of Error().
type callError struct {
	msg        string
	err        error
	is         []error
	attempt    provider.Attempt
	retryAfter time.Duration
}

func (e *callError) Error() string {
	switch {
	case e.err == nil:
		return e.msg
	case e.msg == "":
		return safetext.Error(e.err)
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

// notSent is an error of a call that never left.
func notSent(msg string, err error, sentinels ...error) *callError {
	return &callError{msg: msg, err: err, is: sentinels, attempt: provider.Attempt{NotSent: true}}
}

// sentErr is an error of a call that left under requestID.
func sentErr(requestID string, status int, msg string, err error, sentinels ...error) *callError {
	return &callError{msg: msg, err: err, is: sentinels, attempt: attemptOf(requestID, status, err)}
}

// attemptOf is the attempt log's line for one exchange.
func attemptOf(requestID string, status int, err error) provider.Attempt {
	a := provider.Attempt{InteractionID: requestID, HTTPStatus: status, Outcome: "error"}
	var (
		ae *APIError
		te *TransportError
		de *DecodeError
	)
	switch {
	case errors.As(err, &ae):
		if ae.Code != "" {
			a.Outcome = "error " + ae.Code
		}
		if ae.HTTPStatus == 429 {
			a.Outcome = "rate limited, not processed"
		}
	case errors.As(err, &te):
		a.Outcome = "no response"
	case errors.As(err, &de):
		a.Outcome = "unreadable answer"
	}
	return a
}
