package e2e

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestJourneyOnboardPayRefuseBlock is the main journey on the embedded sandbox:
// onboarding with the bank's page approved in Chromium; three payments that settle; one the
// bank rejects for funds, with the reason on screen; one the daily limit refuses before any
// authentication; five wrong codes that block payments; and after a restart, still blocked.
func TestJourneyOnboardPayRefuseBlock(t *testing.T) {
	t.Parallel()
	needJourneyTools(t)
	b := startBrowser(t)
	// Balance 1,000: three payments of 100 leave 700, so 900 is rejected by the bank (AM04).
	// Daily limit 1,500: after 300 paid, 1,300 is above it, refused by the wallet.
	w := newWalletEnv(t, walletConfig{DebtorBalance: "1000.00", PerDay: "1500.00", SettleAfter: "1s", CreditAfter: "2s"})
	tm := w.start()
	w.onboard(tm, b)

	for i := 1; i <= 3; i++ {
		s := w.pay(tm, "100")
		if !strings.Contains(s, "Payment Settled") || !strings.Contains(s, "100.00 AED") {
			t.Fatalf("payment %d did not settle:\n%s", i, s)
		}
		w.home(tm)
	}
	if n := len(w.bank().Payments); n != 3 {
		t.Fatalf("the bank holds %d payments after three, want 3", n)
	}

	s := w.pay(tm, "900")
	if !strings.Contains(s, "The bank rejected the payment") || !strings.Contains(s, "AM04") {
		t.Fatalf("a payment above the balance was not shown as rejected for funds:\n%s", s)
	}
	if !regexp.MustCompile(`(?i)insufficient funds`).MatchString(s) {
		t.Errorf("the rejection gives its reason only as a code, not in words:\n%s", s)
	}
	rejected := 0
	for _, p := range w.bank().Payments {
		if strings.Contains(string(p.Reject), "AANI.AM04") {
			rejected++
		}
	}
	if rejected != 1 {
		t.Fatalf("the bank recorded %d AM04 rejections, want 1", rejected)
	}
	w.home(tm)

	s = w.payForm(tm, "1300")
	if !regexp.MustCompile(`above your daily limit`).MatchString(oneLine(s)) {
		t.Fatalf("1,300 over a 1,500 daily limit with 300 spent was not refused:\n%s", s)
	}
	if n := len(w.bank().Payments); n != 4 {
		t.Fatalf("the bank holds %d payments, want 4 (the refused one must never reach it)", n)
	}
	w.home(tm)

	// Five wrong codes block payments.
	s = w.payForm(tm, "10")
	if !strings.Contains(s, "You are about to pay") {
		t.Fatalf("no review screen for 10 AED:\n%s", s)
	}
	tm.Press("Enter")
	tm.WaitFor("Authorise", 10*time.Second)
	for i := 1; i <= 5; i++ {
		w.authenticate(tm, wrongCode(w))
		if i < 5 {
			tm.WaitMatch(regexp.MustCompile(fmt.Sprintf(`\b%d attempts? left`, 5-i)), 30*time.Second)
		}
	}
	tm.WaitFor("Payments are blocked", 30*time.Second)
	if n := len(w.bank().Payments); n != 4 {
		t.Fatalf("the bank holds %d payments after the wrong codes, want 4", n)
	}
	w.quit(tm)

	// Restart: the block survives, even with the right PIN and a fresh code.
	tm = w.start()
	tm.WaitFor("Recent payments", 30*time.Second)
	s = w.payForm(tm, "10")
	if !strings.Contains(s, "blocked") {
		tm.Press("Enter")
		tm.WaitFor("Authorise", 10*time.Second)
		w.authenticate(tm, w.nextCode())
		s = tm.WaitMatch(regexp.MustCompile(`blocked|Payment Settled`), 30*time.Second)
	}
	if !strings.Contains(s, "Payments are blocked") {
		t.Fatalf("after a restart payments are not blocked:\n%s", s)
	}
	if n := len(w.bank().Payments); n != 4 {
		t.Fatalf("the bank holds %d payments after the restart, want 4", n)
	}
}

// wrongCode is a 6-digit code that is not valid for any step the wallet accepts now.
func wrongCode(w *walletEnv) string {
	now := time.Now()
	valid := map[string]bool{}
	for d := int64(-2); d <= 2; d++ {
		valid[oathTOTP(w.t, w.totpSecret, now.Add(time.Duration(d)*30*time.Second))] = true
	}
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		if !valid[c] {
			return c
		}
	}
	w.t.Fatal("no wrong code found")
	return ""
}

// TestJourneyCrashMidPayment stops payterm while a payment is in flight (the sandbox holds it
// Pending for 20 s) — by SIGKILL (a crash: nothing runs), or by SIGTERM or SIGHUP (kill, a
// service manager, a closed terminal: payterm ends at once, exit 130) — restarts it, and checks
// the payment is resolved exactly once at the bank and settled in the wallet.
func TestJourneyCrashMidPayment(t *testing.T) {
	t.Parallel()
	for _, stop := range []string{"SIGKILL", "SIGTERM", "SIGHUP"} {
		t.Run(stop, func(t *testing.T) {
			t.Parallel()
			crashMidPayment(t, stop)
		})
	}
}

func crashMidPayment(t *testing.T, stop string) {
	needJourneyTools(t)
	b := startBrowser(t)
	w := newWalletEnv(t, walletConfig{SettleAfter: "20s", CreditAfter: "25s"})
	tm := w.start()
	w.onboard(tm, b)

	s := w.payForm(tm, "250")
	if !strings.Contains(s, "You are about to pay") {
		t.Fatalf("no review screen:\n%s", s)
	}
	tm.Press("Enter")
	tm.WaitFor("Authorise", 10*time.Second)
	w.authenticate(tm, w.nextCode())
	// In flight: sent and answered (✓ Sent), the bank holding it Pending, not settled.
	s = tm.WaitMatch(regexp.MustCompile(`(?m)^\s*✓ Sent`), 30*time.Second)
	if regexp.MustCompile(`(?m)^\s*✓ Settled`).MatchString(s) {
		t.Fatalf("the payment settled before the kill; the sandbox was not slow enough:\n%s", s)
	}
	switch stop {
	case "SIGKILL":
		tm.SIGKILL()
	default:
		sig := map[string]syscall.Signal{"SIGTERM": syscall.SIGTERM, "SIGHUP": syscall.SIGHUP}[stop]
		at := time.Now()
		tm.Signal(sig)
		if code := tm.WaitExit(3 * time.Second); code != 130 {
			t.Fatalf("payterm exited with %d after %s, want 130", code, stop)
		}
		t.Logf("%s ended payterm in %s", stop, time.Since(at).Round(time.Millisecond))
	}
	if n := len(w.bank().Payments); n != 1 {
		t.Fatalf("the bank holds %d payments at the stop, want 1", n)
	}

	tm = w.start()
	tm.WaitFor("Recent payments", 30*time.Second)
	// The restarted wallet resumes tracking on its own; History (reopened to reload it) shows
	// the payment settle.
	deadline := time.Now().Add(patience(90 * time.Second))
	for {
		tm.Press("h")
		s = tm.WaitMatch(regexp.MustCompile(`250\.00 AED`), 10*time.Second)
		if strings.Contains(s, "Settled") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the resumed payment did not settle:\n%s", s)
		}
		tm.Press("Escape")
		tm.WaitFor("Recent payments", 10*time.Second)
		time.Sleep(2 * time.Second)
	}
	st := w.bank()
	if len(st.Payments) != 1 {
		t.Fatalf("the bank holds %d payments after the restart, want exactly 1", len(st.Payments))
	}
	for _, p := range st.Payments {
		if p.Amount != "250.00" {
			t.Fatalf("the bank's payment is %s AED, want 250.00", p.Amount)
		}
	}
	w.quit(tm)
	status := w.cli("status", "--json")
	if !strings.Contains(status, "250.00") {
		t.Fatalf("payterm status does not list the payment:\n%s", status)
	}
}

// TestJourneyRevoke revokes the consent from the consent dashboard and sees payments refused;
// the bank records the consent Revoked.
func TestJourneyRevoke(t *testing.T) {
	t.Parallel()
	needJourneyTools(t)
	b := startBrowser(t)
	w := newWalletEnv(t, walletConfig{SettleAfter: "1s", CreditAfter: "2s"})
	tm := w.start()
	w.onboard(tm, b)
	// The inspector shows the consent steps done and the PAR exchange with its secret redacted.
	tm.Press("i")
	tm.WaitFor("Inspector", 10*time.Second)
	tm.Press("Up", "Up", "Up", "Up", "Up", "Up", "Up", "Down") // to the top (Discovery), then PAR
	s := tm.WaitFor("POST /par", 10*time.Second)
	for _, want := range []string{"● Discovery + JWKS", "● PAR", "● Callback + token", "200 OK", "client_assertion: ‹redacted›"} {
		if !strings.Contains(s, want) {
			t.Fatalf("inspector lacks %q:\n%s", want, s)
		}
	}
	tm.Press("i")
	tm.WaitFor("Recent payments", 10*time.Second)

	tm.Press("c")
	tm.WaitFor("Consents", 10*time.Second)
	tm.WaitFor("Active", 10*time.Second)
	tm.Press("Enter")
	tm.WaitFor("Consent id", 10*time.Second)
	tm.Press("X")
	tm.WaitFor("Cancel permission?", 10*time.Second)
	tm.Press("y")
	tm.WaitFor("Permission cancelled", 30*time.Second)
	for id, c := range w.bank().Consents {
		if c.Status != "Revoked" {
			t.Fatalf("the bank's consent %s is %s after the revoke, want Revoked", id, c.Status)
		}
	}
	w.home(tm)
	s = w.payForm(tm, "50")
	if strings.Contains(s, "You are about to pay") {
		tm.Press("Enter")
		s = tm.WaitMatch(regexp.MustCompile(`Authorise|no longer|revoked|not made`), 10*time.Second)
	}
	if strings.Contains(s, "Authorise") {
		t.Fatalf("a revoked consent still leads to authentication:\n%s", s)
	}
	if !regexp.MustCompile(`(?i)no active consent|revoked|cancelled|no longer`).MatchString(s) {
		t.Fatalf("the refusal does not say the consent is gone:\n%s", s)
	}
	if n := len(w.bank().Payments); n != 0 {
		t.Fatalf("the bank holds %d payments, want 0", n)
	}
	w.checkSeedNotInFiles()
}

// TestJourneyKeyring onboards and pays with secret_store = "keyring" on a real Secret Service
// (gnome-keyring on a private D-Bus session bus). Afterwards secret-tool finds the consent's
// refresh token in the keyring — a token the bank issued — and no file in the data dir holds it.
func TestJourneyKeyring(t *testing.T) {
	t.Parallel()
	needJourneyTools(t)
	ss := startSecretService(t)
	b := startBrowser(t)
	var dbusEnv []string
	for _, e := range ss.Env {
		if strings.HasPrefix(e, "DBUS_SESSION_BUS_ADDRESS=") || strings.HasPrefix(e, "XDG_RUNTIME_DIR=") {
			dbusEnv = append(dbusEnv, e)
		}
	}
	w := newWalletEnv(t, walletConfig{SecretStore: "keyring", SettleAfter: "1s", CreditAfter: "2s"}, dbusEnv...)
	tm := w.start()
	w.onboard(tm, b)
	s := w.pay(tm, "75")
	if !strings.Contains(s, "Payment Settled") {
		t.Fatalf("payment did not settle:\n%s", s)
	}
	if !strings.Contains(w.homeScreen(tm), "keyring") {
		t.Errorf("Home does not say the secrets are in the OS keyring:\n%s", tm.Screen())
	}
	w.quit(tm)

	var tokens [][]byte
	for _, it := range ss.search(t, "service", "payterm") {
		if !strings.Contains(it.Attrs["username"], "/consent.rt.") {
			continue
		}
		v, ok := decodeInlineKeystoreValue(it.Secret)
		if !ok || len(v) == 0 {
			t.Fatalf("the refresh-token entry is not a readable payterm keystore value")
		}
		tokens = append(tokens, v)
	}
	if len(tokens) != 1 {
		t.Fatalf("secret-tool found %d refresh tokens in the keyring, want 1", len(tokens))
	}
	rt := tokens[0]
	sum := sha256.Sum256(rt)
	if _, ok := w.bank().Refresh[hex.EncodeToString(sum[:])]; !ok {
		t.Fatal("the keyring's refresh token is not one the bank issued")
	}
	forms := [][]byte{rt, []byte(base64.StdEncoding.EncodeToString(rt)), []byte(base64.RawURLEncoding.EncodeToString(rt))}
	files := 0
	err := filepath.WalkDir(w.dataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for _, f := range forms {
			if strings.Contains(string(raw), string(f)) {
				t.Errorf("%s holds the refresh token", strings.TrimPrefix(path, w.dataDir))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Fatal("the data dir holds no files to check")
	}
	w.checkSeedNotInFiles()

	// Scripting: the export leaves PII out unless asked.
	csv := w.cli("history", "--format", "csv")
	if !strings.Contains(csv, "75.00") {
		t.Fatalf("history export lacks the payment:\n%s", csv)
	}
	if strings.Contains(csv, payeeName) || strings.Contains(csv, strings.ReplaceAll(payeeIBAN, " ", "")) {
		t.Fatalf("history export without --with-pii holds the payee's name or IBAN:\n%s", csv)
	}
	if withPII := w.cli("history", "--format", "json", "--with-pii"); !strings.Contains(withPII, payeeName) {
		t.Fatalf("history export --with-pii lacks the payee's name:\n%s", withPII)
	}
}

// homeScreen goes Home and returns the screen.
func (w *walletEnv) homeScreen(tm *term) string {
	w.t.Helper()
	w.home(tm)
	return tm.Screen()
}

// TestJourneyRemoteCrashDuringSend runs the wallet in remote mode — configured as for a real
// bank, with Trust Framework-style files — against `payterm sandbox` in its own process. The bank
// is slowed on purpose (admin fault: the next payment call waits 60 s), payterm is killed with
// SIGKILL while its POST /payments hangs, the fault is cleared, and payterm restarts: it must
// reconcile with the bank and leave exactly one payment there, settled in the wallet.
func TestJourneyRemoteCrashDuringSend(t *testing.T) {
	t.Parallel()
	needJourneyTools(t)
	b := startBrowser(t)
	bank := startStandaloneBank(t, false)
	rc := registerRemoteClient(t, bank, privateDir(t, "tf"))
	w := newWalletEnv(t, walletConfig{Bank: rc.bankTOML(bank)})
	tm := w.start()
	w.onboard(tm, b)

	s := w.payForm(tm, "150")
	if !strings.Contains(s, "You are about to pay") {
		t.Fatalf("no review screen:\n%s", s)
	}
	tm.Press("Enter")
	tm.WaitFor("Authorise", 10*time.Second)
	bank.admin(t, "POST", "/admin/faults", map[string]any{"kind": "slow", "count": 50, "target": "rs", "delay": "60s"})
	w.authenticate(tm, w.nextCode())
	// Saved (the write-ahead record) is done and Sent is not: the POST is at the bank, waiting.
	s = tm.WaitMatch(regexp.MustCompile(`(?m)^\s*✓ Saved`), 30*time.Second)
	time.Sleep(time.Second)
	if s = tm.Screen(); regexp.MustCompile(`(?m)^\s*✓ Sent`).MatchString(s) {
		t.Fatalf("the payment was answered although the bank was slowed:\n%s", s)
	}
	tm.SIGKILL()
	bank.admin(t, "DELETE", "/admin/faults", nil)
	// The slowed request dies with its client, so the bank usually holds none now and the
	// restarted wallet must find that out and resend; either way it must end with one.
	atCrash := len(readBankState(t, bank.DataDir).Payments)
	if atCrash > 1 {
		t.Fatalf("the bank holds %d payments at the crash", atCrash)
	}
	t.Logf("payments at the bank right after the kill: %d", atCrash)

	tm = w.start()
	tm.WaitFor("Recent payments", 30*time.Second)
	deadline := time.Now().Add(patience(90 * time.Second))
	for {
		tm.Press("h")
		s = tm.WaitMatch(regexp.MustCompile(`150\.00 AED`), 10*time.Second)
		if strings.Contains(s, "Settled") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the payment sent before the crash did not settle after the restart:\n%s", s)
		}
		tm.Press("Escape")
		tm.WaitFor("Recent payments", 10*time.Second)
		time.Sleep(2 * time.Second)
	}
	st := readBankState(t, bank.DataDir)
	if len(st.Payments) != 1 {
		t.Fatalf("the bank holds %d payments after the restart, want exactly 1", len(st.Payments))
	}
	for _, p := range st.Payments {
		if p.Amount != "150.00" {
			t.Fatalf("the bank's payment is %s AED, want 150.00", p.Amount)
		}
	}
	w.quit(tm)
}

// TestJourneySignalsEndPaytermAtOnce: SIGTERM and SIGHUP end payterm on its first screen with
// exit status 130, every time (Bubble Tea's own signal handler could block and leave payterm
// running for 15 s or more after SIGTERM: bubbletea#1806). The bound is a hang detector, not
// a benchmark; each run's time is logged.
func TestJourneySignalsEndPaytermAtOnce(t *testing.T) {
	t.Parallel()
	needJourneyTools(t)
	w := newWalletEnv(t, walletConfig{})
	for i, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGTERM, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGHUP} {
		tm := w.start()
		tm.WaitFor("Welcome to payterm", 60*time.Second)
		at := time.Now()
		tm.Signal(sig)
		if code := tm.WaitExit(3 * time.Second); code != 130 {
			t.Fatalf("run %d: payterm exited with %d after %v, want 130", i, code, sig)
		}
		t.Logf("run %d: %v ended payterm in %s", i, sig, time.Since(at).Round(time.Millisecond))
	}
}
