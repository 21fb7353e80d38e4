package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/internal/hostilebank"
	"github.com/payterm/payterm/ui"
)

// TestResetAtHostileBank (issue 11): a consent's bank now answers from a server whose
// certificate name carries OSC 52 and OSC 2 escape sequences. payterm reset cannot revoke that
// consent, says so and why — quoting the server's certificate as text — and nothing it prints
// carries an escape, a BEL, a C1 control or a bidi override.
func TestResetAtHostileBank(t *testing.T) {
	ctx := context.Background()
	hostile := hostilebank.Start(t)
	hostile.RequireRawInGoError(t)
	_, remote := remoteBank(t, "lfi", "Remote Test Bank")
	cfg := testConfig(t)
	cfg.Banks = []config.Bank{remote}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	clock := newSCAClock()
	a := openApp(t, cfg, clock)
	onboard(t, a.UIWallet(), clock, twoPayees()[:1])
	far := newConsentAt(t, a.UIWallet(), "lfi")
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	cfg.Banks = []config.Bank{hostile.Bank(t, "lfi", "Remote Test Bank")}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Reset(ctx, cfg, testOptions(clock), ResetConfirmation{Yes: true}, &out); err != nil {
		t.Fatalf("reset: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "Consent "+far.ID+": not revoked at the bank.") || !strings.Contains(out.String(), hostilebank.Visible) {
		t.Errorf("the reset does not say why the hostile bank's consent was not revoked:\n%s", out.String())
	}
	if bad := hostilebank.Injected(out.String()); bad != "" {
		t.Fatalf("the reset output carries %s:\n%q", bad, out.String())
	}
}

// TestUIErrorFallbackIsClean: an error no case of uiError words (here, as Go's TLS stack
// words a hostile certificate) becomes a sentence without control characters or bidi overrides,
// whatever its type; the cause stays reachable.
func TestUIErrorFallbackIsClean(t *testing.T) {
	cause := errors.New("x509: certificate is valid for " + hostilebank.Name + "\u009b2J\u202e00.125, not localhost")
	err := uiError("Staging the consent at the bank", fmt.Errorf("discover issuer: %w", cause))
	var p *ui.Problem
	if !errors.As(err, &p) || !errors.Is(err, cause) {
		t.Fatalf("uiError = %#v", err)
	}
	for _, s := range []string{p.What, p.Next, err.Error()} {
		if bad := hostilebank.Injected(s); bad != "" {
			t.Errorf("%q carries %s", s, bad)
		}
	}
	if !strings.Contains(p.What, "Staging the consent at the bank failed") || !strings.Contains(p.What, hostilebank.Visible) {
		t.Errorf("What = %q", p.What)
	}
	if long := uiError("Doing", errors.New(strings.Repeat("x", 5000))); len(long.Error()) > 1000 {
		t.Errorf("an unbounded error became a %d-byte sentence", len(long.Error()))
	}
}
