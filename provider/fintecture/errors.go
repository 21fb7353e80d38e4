package fintecture

import (
	"errors"

	"github.com/payterm/payterm/provider"
	"github.com/payterm/payterm/provider/callerr"
)

// callError carries a failure to the core (callerr: a sentence of ours, the sentinels it means,
// the attempt to log, the bank's wait); this package's attemptOf fills its log line.
type callError = callerr.Error

// notSent is an error of a call that never left (held back by the bank's wait, refused here).
var notSent = callerr.NotSent

// sentErr is an error of a call that left under requestID.
func sentErr(requestID string, status int, msg string, err error, sentinels ...error) *callError {
	return &callError{Msg: msg, Err: err, Means: sentinels, Log: attemptOf(requestID, status, err)}
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
