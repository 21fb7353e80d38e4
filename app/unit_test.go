package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/consent"
	"github.com/payterm/payterm/keystore"
	"github.com/payterm/payterm/lfi"
	"github.com/payterm/payterm/money"
	"github.com/payterm/payterm/sandbox"
	"github.com/payterm/payterm/sca"
	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/wallet"
)

func TestUIErrorMapping(t *testing.T) {
	allowed, _ := money.FromMinor(12345)
	cases := []struct {
		err  error
		want string // in What; "" = an *ui.SCAError
		left int
	}{
		{&sca.AuthError{Remaining: 3}, "", 3},
		{fmt.Errorf("authenticate: %w", sca.ErrBlocked), "", 0},
		{&wallet.LimitError{Limit: "per_day", Allowed: allowed}, "daily limit; at most 123.45 AED", 0},
		{&wallet.LimitError{Limit: "per_day_count"}, "daily number of payments", 0},
		{&wallet.Problem{What: "You paused this consent.", Next: "Reactivate it to pay."}, "You paused this consent.", 0},
		{fmt.Errorf("x: %w", consent.ErrAccessDenied), "declined", 0},
		{fmt.Errorf("x: %w", consent.ErrStateMismatch), "not the bank's answer", 0},
		{&lfi.BankError{Op: "create payment", HTTPStatus: 400, InteractionID: "iid-1"}, "HTTP 400", 0},
		{&lfi.TransportError{Op: "create payment", SideEffects: true, Err: errors.New("reset")}, "did not arrive", 0},
		{fmt.Errorf("open: %w", keystore.ErrUnavailable), "secret store is not available", 0},
		{errors.New("disk full"), "Doing it failed: disk full.", 0},
		{&sca.RecoveryError{Remaining: 1}, "not correct (1 attempt left)", 0},
		{&sca.RecoveryError{Remaining: 2}, "not correct (2 attempts left)", 0},
		{&consent.RefusedError{ConsentID: "c", Reason: consent.ErrIDTokenRejected}, "payterm revoked it at the bank", 0},
		{&consent.RefusedError{ConsentID: "c", Reason: consent.ErrIDTokenRejected, RevokeErr: errors.New("500")}, "could not revoke it", 0},
	}
	for _, c := range cases {
		got := uiError("Doing it", c.err)
		var se *ui.SCAError
		var pr *ui.Problem
		switch {
		case c.want == "":
			if !errors.As(got, &se) || se.AttemptsLeft != c.left || (c.left == 0) != se.Locked {
				t.Errorf("%v → %#v, want SCAError left %d", c.err, got, c.left)
			}
		case !errors.As(got, &pr) || !strings.Contains(pr.What, c.want) || pr.Next == "":
			t.Errorf("%v → %v, want a Problem saying %q with a next step", c.err, got, c.want)
		case !errors.Is(got, c.err) && !errors.As(c.err, new(*sca.AuthError)):
			t.Errorf("%v: the cause is lost", c.err)
		}
	}
	if uiError("x", nil) != nil {
		t.Error("nil must stay nil")
	}
	if !errors.Is(uiError("x", context.Canceled), context.Canceled) {
		t.Error("a cancellation must stay a cancellation")
	}
}

func TestMaskAndSanitize(t *testing.T) {
	if got := maskIBAN("AE070331234567890123456"); got != "AE07 •••• 3456" {
		t.Errorf("maskIBAN = %q", got)
	}
	if maskIBAN("") != "" || maskIBAN("AE07") != "••••" {
		t.Error("no account must stay empty, and a fragment must not show")
	}
	if refreshName("A B/C") == refreshName("A B/D") || !strings.HasPrefix(refreshName("x"), "consent.rt.") {
		t.Error("refresh token names must differ per consent and be keystore-safe")
	}
}

// TestIdentityFilesDamaged: a damaged identity record is an error naming the file, not a crash
// or a silent re-registration.
func TestIdentityFilesDamaged(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, identityFile), []byte(`{"client_id":"bad id!"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := loadIdentity(dir, fileKeys{}); err == nil || !strings.Contains(err.Error(), identityFile) {
		t.Fatalf("damaged identity: %v", err)
	}
	// WriteFile keeps the mode of the existing file: chmod it, or the file stays private and
	// the load fails only for the key files that are missing.
	if err := os.WriteFile(filepath.Join(dir, identityFile), []byte(`{"client_id":"ok","signing_kid":"k"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, identityFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := loadIdentity(dir, fileKeys{}); err == nil || !strings.Contains(err.Error(), "others can access") {
		t.Fatalf("a world-readable identity file must be refused for its mode: %v", err)
	}
}

func TestSandboxConfigMapsSettings(t *testing.T) {
	cfg := config.Default()
	cfg.Sandbox.DebtorBalance = "1234.56"
	cfg.Sandbox.AutoApprove, cfg.Sandbox.AuthorizeTLS, cfg.Sandbox.AllowLoopbackRedirect = true, true, false
	cfg.Sandbox.SettleAfter, cfg.Sandbox.CreditAfter = config.Duration{Duration: 3 * time.Second}, config.Duration{Duration: 7 * time.Second}
	bc, err := SandboxConfig(cfg, cfg.Bank, "/tmp/x")
	if err != nil {
		t.Fatal(err)
	}
	if bc.DataDir != "/tmp/x" || bc.BalanceFils != 123456 || !bc.AutoApprove || !bc.AuthorizeTLS || bc.AllowLoopbackRedirect == nil ||
		*bc.AllowLoopbackRedirect || bc.SettleAfter != 3*time.Second || bc.CreditAfter != 7*time.Second || bc.BankName != cfg.Bank.Name {
		t.Fatalf("mapping: %+v", bc)
	}
	cfg.Sandbox.RotateRefreshTokens, cfg.Sandbox.IdempotencyMismatchConflict, cfg.Sandbox.AcceptStringAud = false, true, true
	cfg.Sandbox.ClockLeeway, cfg.Sandbox.SCAMaxAge = config.Duration{Duration: 5 * time.Second}, config.Duration{Duration: time.Minute}
	if bc, err := SandboxConfig(cfg, cfg.Bank, ""); err != nil || bc.RotateRefreshTokens == nil || *bc.RotateRefreshTokens ||
		!bc.StrictIdempotencyMismatch || !bc.Rules.AcceptStringAud || bc.Rules.RejectJWECtyJWT || bc.Leeway != 5*time.Second || bc.SCAMaxAge != time.Minute {
		t.Fatalf("the [SIM-CHOICE] settings do not reach the bank: %v %+v", err, bc)
	}
	cfg.Sandbox.DebtorBalance = "0.00"
	if bc, err := SandboxConfig(cfg, cfg.Bank, ""); err != nil || bc.BalanceFils != 0 || !bc.BalanceFilsSet {
		t.Fatalf("a 0.00 balance must reach the bank as an empty account, not the default: %v %+v", err, bc)
	}
	cfg.Sandbox.DebtorBalance = "12"
	if _, err := SandboxConfig(cfg, cfg.Bank, ""); err == nil {
		t.Fatal("a malformed balance must be refused")
	}
}

func TestExportsNeedAWallet(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = filepath.Join(t.TempDir(), "never-run")
	var out strings.Builder
	if err := ExportHistory(context.Background(), cfg, &out, "csv", false); err == nil || !strings.Contains(err.Error(), "run payterm once first") {
		t.Fatalf("history without a data dir: %v", err)
	}
	if err := Status(context.Background(), cfg, &out); err == nil {
		t.Fatal("status without a data dir must fail")
	}
	if _, err := os.Stat(cfg.DataDir); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a read-only export created the data dir")
	}
}

// TestOpenFailsCleanly: a remote config whose key file is missing fails with the setting named,
// and releases the data dir for the next attempt.
func TestOpenFailsCleanly(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = filepath.Join(t.TempDir(), "data")
	cfg.Security.SecretStore = config.StoreFile
	cfg.Bank = config.Bank{ID: "remote", Mode: config.ModeRemote, Name: "Remote", DiscoveryURL: "https://127.0.0.1:1/.well-known/openid-configuration",
		Issuer: "https://127.0.0.1:1", ResourceBaseURL: "https://127.0.0.1:1/open-finance/payment/v2.1", ClientID: "c", SigningKID: "k",
		SigningKeyFile: filepath.Join(t.TempDir(), "missing.pem"), TransportCertFile: "x", TransportKeyFile: "y",
		RedirectURI: "http://127.0.0.1:0/callback", DefaultPurposeCode: "TOF"}
	_, err := Open(context.Background(), cfg, testOptions(newSCAClock()))
	if err == nil || !strings.Contains(err.Error(), "missing.pem") {
		t.Fatalf("missing signing key: %v", err)
	}
	if _, err := Open(context.Background(), cfg, testOptions(newSCAClock())); err == nil || strings.Contains(err.Error(), "another payterm") {
		t.Fatalf("the failed Open kept the data dir locked: %v", err)
	}
	cfg.Bank.Mode = "live"
	if _, err := Open(context.Background(), cfg, Options{}); err == nil || !strings.Contains(err.Error(), "bank.mode") {
		t.Fatalf("invalid config: %v", err)
	}
}

// TestOpenFailureStopsTheBank: when Open fails after the embedded bank started (here the ledger
// cannot be opened), the bank's listeners are closed and the data dir is unlocked.
func TestOpenFailureStopsTheBank(t *testing.T) {
	cfg := testConfig(t)
	dir := cfg.ResolvedDataDir()
	if err := os.MkdirAll(filepath.Join(dir, wallet.LedgerFile), 0o700); err != nil { // a directory where the database goes
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), cfg, testOptions(newSCAClock())); err == nil {
		t.Fatal("Open with an unusable ledger succeeded")
	}
	raw, err := os.ReadFile(filepath.Join(dir, sandboxAddrsFile))
	if err != nil {
		t.Fatal(err)
	}
	var addrs sandboxAddrs
	if err := json.Unmarshal(raw, &addrs); err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", addrs.Issuer, time.Second); err == nil {
		c.Close()
		t.Fatal("the bank still listens after the failed Open")
	}
	if err := os.Remove(filepath.Join(dir, wallet.LedgerFile)); err != nil {
		t.Fatal(err)
	}
	a, err := Open(context.Background(), cfg, testOptions(newSCAClock()))
	if err != nil {
		t.Fatalf("Open after fixing the data dir: %v", err)
	}
	_ = a.Close()
}

func TestCountAgreesInNumber(t *testing.T) {
	for n, want := range map[int]string{0: "0 named payees", 1: "1 named payee", 2: "2 named payees", 10: "10 named payees"} {
		if got := count(n, "named payee", "named payees"); got != want {
			t.Errorf("count(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestSandboxAccountHoldersFromConfig: [[sandbox.account_holders]] reach the embedded bank's
// Confirmation of Payee directory beside its samples, and a payee there is confirmed through
// the wallet.
func TestSandboxAccountHoldersFromConfig(t *testing.T) {
	cfg := testConfig(t)
	if err := config.Parse([]byte("[[sandbox.account_holders]]\niban = \"AE07 0331 2345 6789 0123 456\"\nname = \"Noor Test\"\n"), &cfg); err != nil {
		t.Fatal(err)
	}
	bc, err := SandboxConfig(cfg, cfg.Bank, "/tmp/x")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(bc.AccountHolders); n != len(sandbox.DefaultAccountHolders())+1 || bc.AccountHolders[n-1].IBAN != "AE070331234567890123456" {
		t.Fatalf("directory: %+v", bc.AccountHolders)
	}
	clock := newSCAClock()
	a := openApp(t, cfg, clock)
	defer a.Close()
	w := a.UIWallet()
	c, _ := onboard(t, w, clock, nil)
	chk, err := w.(ui.PayeeCheckService).CheckPayee(context.Background(), c.ID, ui.PayeeDraft{Name: "Noor Test", IBAN: "AE07 0331 2345 6789 0123 456"})
	if err != nil || chk.Answer != ui.PayeeCheckMatch || !chk.Accepted {
		t.Fatalf("check: %+v %v", chk, err)
	}
}
