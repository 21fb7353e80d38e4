package callerr

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/provider"
)

func TestErrorMeansItsSentinelsAndWrapsItsCause(t *testing.T) {
	cause := errors.New("dial tcp: connection refused")
	e := &Error{Msg: "the bank did not answer", Err: cause, Means: []error{provider.ErrNotProcessed},
		Log: provider.Attempt{InteractionID: "r-1", HTTPStatus: 503}, Wait: 3 * time.Second}
	if !errors.Is(e, provider.ErrNotProcessed) || !errors.Is(e, cause) || errors.Is(e, provider.ErrBankBusy) {
		t.Fatalf("errors.Is on %v: sentinels or cause wrong", e)
	}
	if e.Error() != "the bank did not answer: dial tcp: connection refused" {
		t.Fatalf("Error() = %q", e.Error())
	}
	if e.Attempt().InteractionID != "r-1" || e.RetryAfter() != 3*time.Second {
		t.Fatalf("attempt %+v, wait %v", e.Attempt(), e.RetryAfter())
	}
	if got := (&Error{Msg: "only ours"}).Error(); got != "only ours" {
		t.Fatalf("without a cause: %q", got)
	}
}

// TestErrorTextIsCleaned: a cause carrying a bank's words (escape sequences included) reaches
// Error() through safetext, never raw.
func TestErrorTextIsCleaned(t *testing.T) {
	e := &Error{Err: errors.New("refused \x1b]0;owned\x07 by the bank")}
	if strings.ContainsAny(e.Error(), "\x1b\x07") {
		t.Fatalf("a control character reached Error(): %q", e.Error())
	}
}

func TestNotSent(t *testing.T) {
	e := NotSent("held back: the bank asked to wait", nil, provider.ErrBankBusy)
	if !e.Attempt().NotSent || !errors.Is(e, provider.ErrBankBusy) || e.Error() != "held back: the bank asked to wait" {
		t.Fatalf("NotSent: %+v", e)
	}
}
