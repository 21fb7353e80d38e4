package app

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/internal/hostilebank"
	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/ui/uitest"
	"github.com/payterm/payterm/wallet"
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

// TestLegacyHostileIDsShownClean: a ledger written before the bank's identifiers were checked
// holds a PaymentId with a C1 CSI, a reject code with OSC 2 and a payee name with a right-to-left
// override. On the production composition, the history, the payment's detail and the inspector
// draw them as text; the support bundle and the history export carry no control byte, and the
// bundle still holds the exact id (escaped), for the bank's support desk.
func TestLegacyHostileIDsShownClean(t *testing.T) {
	ctx := context.Background()
	clock := newSCAClock()
	cfg := testConfig(t)
	a := openApp(t, cfg, clock)
	w := a.UIWallet()
	c, js := onboard(t, w, clock, twoPayees()[:1])
	payees, _ := w.Payees(ctx, c.ID)
	last := finalEvent(t, pay(t, w, c.ID, payees[0].ID, "4.00", clock.nextCode(t, js.totpSecret)))
	if last.Receipt == nil {
		t.Fatalf("payment: %+v", last)
	}
	bankID := last.Receipt.PaymentID
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", filepath.Join(cfg.ResolvedDataDir(), wallet.LedgerFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE payments SET bank_payment_id = bank_payment_id || char(155) || '2J',
		reject_code = 'AANI.AM04' || char(27) || ']2;T' || char(7), payee_name = 'Noor ' || char(8238) || '00.125'`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	b := openApp(t, cfg, clock)
	t.Cleanup(func() { _ = b.Close() })
	app := uitest.Start(t, b.UIWallet(), uitest.WithTimeout(30*time.Second), uitest.WithEveryFrame())
	app.WaitFor("Recent payments")
	app.Press("h")
	app.WaitFor("payterm · History")
	app.WaitFor("Noor \uFFFD00.125")
	app.Press("enter")
	app.WaitFor(bankID + "\uFFFD2J")
	app.Press("esc", "esc")
	app.WaitFor("Recent payments")
	app.Press("ctrl+t")
	app.WaitFor("payterm · Inspector")
	app.Press("x")
	app.WaitFor("support-")
	_ = app.FinalView()
	for i, f := range app.Frames() {
		if bad := hostilebank.Injected(f); bad != "" {
			t.Fatalf("frame %d carries %s:\n%q", i, bad, f)
		}
	}

	path, err := b.UIWallet().ExportSupportBundle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bad := hostilebank.Injected(string(raw)); bad != "" {
		t.Fatalf("the support bundle carries %s", bad)
	}
	var bundle supportBundle
	if err := json.Unmarshal(raw, &bundle); err != nil || len(bundle.Payments) == 0 || bundle.Payments[0].BankPaymentID != bankID+"\u009b2J" {
		t.Fatalf("the bundle lost the exact id: %v %+v", err, bundle.Payments)
	}
	var csvOut bytes.Buffer
	if err := ExportHistory(ctx, cfg, &csvOut, "csv", true); err != nil {
		t.Fatal(err)
	}
	if bad := hostilebank.Injected(csvOut.String()); bad != "" || !strings.Contains(csvOut.String(), bankID+"\uFFFD2J") {
		t.Fatalf("the history export carries %s:\n%s", bad, csvOut.String())
	}
}
