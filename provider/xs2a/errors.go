package xs2aprov

import (
	"errors"
	"fmt"

	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/provider"
	"github.com/payterm/payterm/provider/callerr"
	"github.com/payterm/payterm/xs2a"
)

// callError carries a failure to the core (callerr: a sentence of ours, the sentinels it means,
// the attempt to log, the bank's wait); this package's attemptOf fills its log line.
type callError = callerr.Error

// wrap wraps an error of sending req with what it means.
func wrap(req *xs2a.Request, err error, msg string, sentinels ...error) *callError {
	return &callError{Msg: msg, Err: err, Means: sentinels, Log: attemptOf(req, err)}
}

// notSent is an error of a call that never left (held back by the bank's wait, refused here).
var notSent = callerr.NotSent

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
