package e2e

import (
	"bytes"
	"database/sql"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite" // reads the sandbox bank's payment archive

	"github.com/payterm/payterm/internal/totpkey"
)

// The wallet's user in every journey. The PIN passes the wallet's weak-PIN rules.
const (
	journeyPIN   = "482915"
	payeeName    = "Noor Test"
	payeeIBAN    = "AE07 0331 2345 6789 0123 456"
	payeeIBANEnd = "3456"
)

// walletConfig is the part of config.toml a journey sets; everything else keeps its default
// (the embedded sandbox bank).
type walletConfig struct {
	DebtorBalance string // sandbox.debtor_balance
	SettleAfter   string // sandbox.settle_after
	CreditAfter   string // sandbox.credit_after
	PerDay        string // limits.per_day
	SecretStore   string // security.secret_store: "file" unless a journey tests the keyring
	// FilePassphrase turns on security.file_store_passphrase; the journey types it.
	FilePassphrase string
	// Bank is the body of the [bank] section (TOML lines); empty = the embedded sandbox.
	Bank string
	// Extra is appended to the config file (for example a [[banks]] table).
	Extra string
}

// walletEnv is one user's machine: a HOME, a config file, a data dir, and a browser opener.
type walletEnv struct {
	t       testing.TB
	bin     string
	homeDir string
	dataDir string
	config  string
	urlFile string // where the xdg-open shim writes the URLs payterm asks to open
	env     []string

	totpSecret string          // read off the enrolment screen
	codes      *totpkey.Source // the user's authenticator app, from onboarding on
}

// needJourneyTools checks every external tool a journey drives before anything is built.
func needJourneyTools(t testing.TB) {
	t.Helper()
	needTool(t, "tmux", "apt-get install tmux")
	needTool(t, "oathtool", "apt-get install oathtool")
	needTool(t, "chromedriver", "apt-get install chromium chromium-driver")
}

// newWalletEnv builds the binary (once per run), writes the config and an xdg-open shim on
// PATH: when the user presses o, payterm runs xdg-open URL and the shim records the URL for the
// test's browser (a headless Chromium has no desktop to be opened on).
func newWalletEnv(t testing.TB, cfg walletConfig, extraEnv ...string) *walletEnv {
	t.Helper()
	w := &walletEnv{t: t, bin: payterm(t), homeDir: privateDir(t, "home")}
	w.dataDir = filepath.Join(w.homeDir, "data")
	w.config = filepath.Join(w.homeDir, "config.toml")
	w.urlFile = filepath.Join(w.homeDir, "opened-urls")
	if cfg.SecretStore == "" {
		cfg.SecretStore = "file"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "data_dir = %q\n\n", w.dataDir)
	if cfg.Bank != "" {
		b.WriteString("[bank]\n" + cfg.Bank + "\n\n")
	}
	b.WriteString("[sandbox]\n")
	for k, v := range map[string]string{"debtor_balance": cfg.DebtorBalance, "settle_after": cfg.SettleAfter, "credit_after": cfg.CreditAfter} {
		if v != "" {
			fmt.Fprintf(&b, "%s = %q\n", k, v)
		}
	}
	b.WriteString("\n[limits]\n")
	if cfg.PerDay != "" {
		// The per-payment limit may not be above the daily one (the default, 5000.00, would
		// be above a smaller daily limit, and the wallet refuses contradictory limits).
		fmt.Fprintf(&b, "per_day = %q\nper_payment = %q\n", cfg.PerDay, cfg.PerDay)
	}
	// The journeys' throwaway file store needs no passphrase prompt before the wallet's first
	// frame; TestJourneyFilePassphrase types one.
	fmt.Fprintf(&b, "\n[security]\nsecret_store = %q\nfile_store_passphrase = %t\n", cfg.SecretStore, cfg.FilePassphrase != "")
	b.WriteString(cfg.Extra)
	if err := os.WriteFile(w.config, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	shimDir := filepath.Join(w.homeDir, "bin")
	if err := os.MkdirAll(shimDir, 0o700); err != nil {
		t.Fatal(err)
	}
	shim := fmt.Sprintf("#!/bin/sh\nprintf '%%s\\n' \"$1\" >> '%s'\n", w.urlFile)
	if err := os.WriteFile(filepath.Join(shimDir, "xdg-open"), []byte(shim), 0o700); err != nil {
		t.Fatal(err)
	}
	w.env = append([]string{
		// A -race build of payterm (see raceBuild) writes its reports here; checked at cleanup.
		"GORACE=log_path=" + filepath.Join(w.homeDir, "race-report") + " halt_on_error=0",
		"HOME=" + w.homeDir,
		"PATH=" + shimDir + ":/usr/local/bin:/usr/bin:/bin",
		"LANG=C.UTF-8",
		"TERM=tmux-256color",
		"XDG_CONFIG_HOME=" + filepath.Join(w.homeDir, ".config"),
		"XDG_DATA_HOME=" + filepath.Join(w.homeDir, ".local", "share"),
	}, extraEnv...)
	// Registered before any process starts, so it runs after they are all stopped.
	t.Cleanup(func() { checkRaceReports(t, filepath.Join(w.homeDir, "race-report")) })
	return w
}

// start runs `payterm --config ... --data-dir ...` in a fresh tmux at 100×30.
func (w *walletEnv) start() *term {
	w.t.Helper()
	return startTerm(w.t, w.env, w.bin, "--config", w.config, "--data-dir", w.dataDir)
}

// cli runs a payterm subcommand (history, status) to completion and returns its stdout.
func (w *walletEnv) cli(args ...string) string {
	w.t.Helper()
	cmd := exec.Command(w.bin, append(args, "--config", w.config, "--data-dir", w.dataDir)...)
	cmd.Env = w.env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		w.t.Fatalf("payterm %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// nextCode returns an oathtool code for a TOTP step the wallet has not accepted yet: the
// current step, or the next one when the current was used (the wallet accepts one step of
// skew), waiting for the clock when even that was used.
func (w *walletEnv) nextCode() string {
	w.t.Helper()
	if w.codes == nil {
		w.t.Fatal("no TOTP secret: onboard first")
	}
	code, err := w.codes.Next(w.t.Context())
	if err != nil {
		w.t.Fatal(err)
	}
	return code
}

// openedURL waits for the n-th URL payterm handed to xdg-open.
func (w *walletEnv) openedURL(n int, timeout time.Duration) string {
	w.t.Helper()
	deadline := time.Now().Add(patience(timeout))
	for {
		raw, _ := os.ReadFile(w.urlFile)
		lines := strings.Fields(string(raw))
		if len(lines) >= n {
			return lines[n-1]
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("payterm did not open a URL within %s", timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// onboard walks the first-run wizard as a user: PIN twice, the TOTP key read off the screen and
// a code from oathtool, the recovery code, one payee (single-beneficiary consent), the consent
// page, then the bank's page in headless Chromium (Approve), back to the wallet's loopback
// listener, until the consent is Active and Home shows.
func (w *walletEnv) onboard(tm *term, b *browser) {
	w.t.Helper()
	s := w.toBankStep(tm)
	tm.Press("o")
	authorize := w.openedURL(1, 10*time.Second)
	u, err := url.Parse(authorize)
	if err != nil || u.Scheme != "http" || u.Hostname() != "127.0.0.1" || u.Query().Get("request_uri") == "" {
		w.t.Fatalf("payterm opened %s, not the sandbox's authorize URL", redactQuery(authorize))
	}
	if prefix := authorize[:min(len(authorize), 60)]; !strings.Contains(s, prefix) {
		w.t.Fatalf("the screen does not show the address it opens (%s):\n%s", redactQuery(authorize), s)
	}
	tm.WaitFor("Waiting for your bank", 10*time.Second)
	w.approve(tm, b, authorize)
}

// approve plays the user at the bank's page in Chromium (Approve) for the authorize address,
// back to the wallet's loopback listener, until the consent is Active and Home shows.
func (w *walletEnv) approve(tm *term, b *browser, authorize string) {
	w.t.Helper()
	b.Navigate(authorize)
	page := oneLine(b.Text())
	for _, want := range []string{"payterm", "delegated strong customer authentication", payeeName + " – account ending " + payeeIBANEnd} {
		if !strings.Contains(page, want) {
			w.t.Fatalf("bank page lacks %q:\n%s", want, page)
		}
	}
	b.Click(b.Find("#approve"))
	b.WaitURL(func(u string) bool {
		return strings.HasPrefix(u, "http://127.0.0.1") && strings.Contains(u, "/callback")
	}, 20*time.Second)
	s := tm.WaitFor("You are set up.", 30*time.Second)
	if !strings.Contains(s, "Active") {
		w.t.Fatalf("result does not show the consent Active:\n%s", s)
	}
	tm.Press("Enter")
	tm.WaitFor("Recent payments", 30*time.Second)
}

// toBankStep walks the wizard up to the bank step: PIN twice, the TOTP key read off the screen
// and a code from oathtool, the recovery code, one payee (single-beneficiary consent), the
// consent page. It returns the bank step's screen.
func (w *walletEnv) toBankStep(tm *term) string {
	w.t.Helper()
	tm.WaitFor("Welcome to payterm", 60*time.Second) // first start: the bank's CA and keys, the TPP's
	tm.Press("Enter")
	tm.WaitFor("Choose a PIN", 10*time.Second)
	tm.Type(journeyPIN)
	tm.Press("Enter")
	tm.Type(journeyPIN)
	tm.Press("Enter")
	s := tm.WaitFor("Add payterm to your authenticator app", 30*time.Second)
	s = tm.WaitMatch(totpkey.KeyLine, 10*time.Second)
	key, err := totpkey.FromScreen(s)
	if err != nil {
		w.t.Fatal(err)
	}
	w.totpSecret, w.codes = key, oathCodes(w.t, key)
	tm.Type(w.nextCode())
	tm.Press("Enter")
	tm.WaitFor("Write down this recovery code", 30*time.Second)
	tm.Press("Enter")
	tm.WaitFor("Who will you pay?", 10*time.Second)
	tm.Press("Left") // two to ten payees → one payee: a single-beneficiary consent
	tm.WaitFor("one payee", 5*time.Second)
	tm.Press("Tab")
	tm.Type(payeeName)
	tm.Press("Tab")
	tm.Type(payeeIBAN)
	tm.Press("Enter")
	tm.WaitFor("1. "+payeeName, 10*time.Second)
	tm.Press("Enter") // an empty form continues
	s = tm.WaitFor("Your consent", 30*time.Second)
	if !strings.Contains(s, "Who you can pay: "+payeeName) {
		w.t.Fatalf("consent page does not name the one payee:\n%s", s)
	}
	tm.Press("Enter")
	return tm.WaitFor("Approve the consent at your bank", 30*time.Second)
}

// payForm opens the pay form (p on Home), types the amount for the one payee and continues; it
// returns the screen at the first stop: the review, or a refusal (no form, or on the form).
func (w *walletEnv) payForm(tm *term, amount string) string {
	w.t.Helper()
	tm.WaitFor("Recent payments", 30*time.Second)
	tm.Press("p")
	s := tm.WaitMatch(regexp.MustCompile(`Purpose|No active consent|blocked`), 10*time.Second)
	if !strings.Contains(s, "Purpose") {
		return s // refused before the form
	}
	tm.Press("Tab")
	tm.Type(amount)
	tm.Press("Enter")
	return tm.WaitMatch(regexp.MustCompile(`You are about to pay|above your|not made|blocked|refused|no longer`), 30*time.Second)
}

// authenticate types the PIN and code on the SCA form.
func (w *walletEnv) authenticate(tm *term, code string) {
	w.t.Helper()
	tm.Type(journeyPIN)
	tm.Press("Tab")
	tm.Type(code)
	tm.Press("Enter")
}

// pay makes one payment to the one payee, up to its receipt, and returns the receipt screen.
func (w *walletEnv) pay(tm *term, amount string) string {
	w.t.Helper()
	s := w.payForm(tm, amount)
	if !strings.Contains(s, "You are about to pay") {
		w.t.Fatalf("pay %s: no review screen:\n%s", amount, s)
	}
	tm.Press("Enter")
	tm.WaitFor("Authorise", 10*time.Second)
	w.authenticate(tm, w.nextCode())
	return tm.WaitMatch(regexp.MustCompile(`Payment Settled|The bank rejected the payment|The payment was not made`), 60*time.Second)
}

// home returns from a receipt or form to Home.
func (w *walletEnv) home(tm *term) {
	w.t.Helper()
	for range 4 {
		if strings.Contains(tm.Screen(), "Recent payments") {
			return
		}
		tm.Press("Escape")
		// Give the Escape time to land before sending another: an Escape the program has not
		// read yet, followed by the next key, arrives as one alt+key (a q would be lost).
		for deadline := time.Now().Add(patience(3 * time.Second)); time.Now().Before(deadline); {
			if strings.Contains(tm.Screen(), "Recent payments") {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	tm.WaitFor("Recent payments", 10*time.Second)
}

// quit leaves the wallet with q from Home and waits for a clean exit.
func (w *walletEnv) quit(tm *term) {
	w.t.Helper()
	w.home(tm)
	tm.Press("q")
	// A q read together with a still-unread Escape is alt+q, which Home ignores: ask again.
	for deadline := time.Now().Add(patience(5 * time.Second)); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if dead, _ := tm.Exited(); dead {
			break
		}
	}
	if dead, _ := tm.Exited(); !dead {
		tm.Press("q")
	}
	if code := tm.WaitExit(20 * time.Second); code != 0 {
		w.t.Fatalf("payterm exited with status %d; last screen:\n%s", code, tm.Screen())
	}
}

// bankPayment is one payment as the bank recorded it.
type bankPayment struct {
	PaymentID string          `json:"payment_id"`
	ConsentID string          `json:"consent_id"`
	Amount    string          `json:"amount"`
	Reject    json.RawMessage `json:"reject"`
}

// bankState is the embedded sandbox bank's own record, read from its files (written by the
// bank, not the wallet): state.json is a snapshot without payments; journal.prev.jsonl (left
// by a compaction a crash interrupted) and journal.jsonl hold what changed since — payments,
// and the consents and tokens the authorization flow changed — each line tagged with the
// generation it continues; payments.db (SQLite) holds the payments of closed generations. The
// bank replays the lines of its snapshot's generation and later ones at start, keyed by id (a
// null record was deleted); so does this.
type bankState struct {
	Consents   map[string]*bankConsent     `json:"consents"`
	Payments   map[string]bankPayment      `json:"payments"`
	Refresh    map[string]*json.RawMessage `json:"refresh_tokens"`
	JournalGen int64                       `json:"journal_gen"`
}

type bankConsent struct {
	Status string `json:"status"`
}

func (w *walletEnv) bank() bankState {
	w.t.Helper()
	return readBankState(w.t, filepath.Join(w.dataDir, "sandbox"))
}

// readBankState reads a sandbox bank's records from its data dir.
func readBankState(t testing.TB, dir string) bankState {
	t.Helper()
	var st bankState
	raw, err := os.ReadFile(filepath.Join(dir, "state.json"))
	switch {
	case os.IsNotExist(err): // no compaction yet: everything is in the journal
	case err != nil:
		t.Fatalf("read the sandbox bank's state: %v", err)
	default:
		if err := json.Unmarshal(raw, &st); err != nil {
			t.Fatalf("decode the sandbox bank's state: %v", err)
		}
	}
	if st.Payments == nil {
		st.Payments = map[string]bankPayment{}
	}
	if st.Consents == nil {
		st.Consents = map[string]*bankConsent{}
	}
	if st.Refresh == nil {
		st.Refresh = map[string]*json.RawMessage{}
	}
	readArchivedPayments(t, filepath.Join(dir, "payments.db"), st.Payments)
	for _, name := range []string{"journal.prev.jsonl", "journal.jsonl"} {
		journal, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil && !os.IsNotExist(err) {
			t.Fatalf("read the sandbox bank's journal: %v", err)
		}
		for _, line := range strings.Split(string(journal), "\n") {
			var e struct {
				Payment  *bankPayment  `json:"payment"`
				Payments []bankPayment `json:"payments"`
				Delta    *struct {
					Consents map[string]*bankConsent     `json:"consents"`
					Refresh  map[string]*json.RawMessage `json:"refresh_tokens"`
				} `json:"delta"`
				Gen int64 `json:"gen"`
			}
			if json.Unmarshal([]byte(line), &e) != nil || e.Gen < st.JournalGen {
				continue // blank, a torn last line, or older than the snapshot: the bank skips them too
			}
			if e.Delta != nil {
				replay(st.Consents, e.Delta.Consents)
				replay(st.Refresh, e.Delta.Refresh)
			}
			if e.Payment != nil {
				st.Payments[e.Payment.PaymentID] = *e.Payment
			}
			for _, p := range e.Payments {
				st.Payments[p.PaymentID] = p
			}
		}
	}
	return st
}

// readArchivedPayments adds the payments of the bank's archive (read-only; the bank may be
// running, WAL lets a reader in).
func readArchivedPayments(t testing.TB, path string, into map[string]bankPayment) {
	t.Helper()
	if _, err := os.Stat(path); os.IsNotExist(err) {
		return
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatalf("open the sandbox bank's payment archive: %v", err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT record FROM payments`)
	if err != nil {
		t.Fatalf("read the sandbox bank's payment archive: %v", err)
	}
	defer rows.Close()
	for rows.Next() {
		var raw []byte
		var p bankPayment
		if err := rows.Scan(&raw); err != nil || json.Unmarshal(raw, &p) != nil {
			t.Fatalf("read the sandbox bank's payment archive: a row is unreadable (%v)", err)
		}
		into[p.PaymentID] = p
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read the sandbox bank's payment archive: %v", err)
	}
}

// replay applies a journal delta: a key mapped to null was deleted.
func replay[T any](dst, delta map[string]*T) {
	for k, v := range delta {
		if v == nil {
			delete(dst, k)
		} else {
			dst[k] = v
		}
	}
}

// checkSeedNotInFiles fails if any file in the data dir holds the TOTP seed read off the
// enrolment screen, in base32 or raw: it belongs in the secret store (keyring, or the
// encrypted file), never in clear.
func (w *walletEnv) checkSeedNotInFiles() {
	w.t.Helper()
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.TrimRight(w.totpSecret, "="))
	if err != nil || len(raw) < 10 {
		w.t.Fatalf("the TOTP key on screen is not base32 of a usable seed (%d bytes)", len(raw))
	}
	forms := [][]byte{[]byte(w.totpSecret), []byte(strings.ToLower(w.totpSecret)), raw}
	err = filepath.WalkDir(w.dataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, f := range forms {
			if bytes.Contains(data, f) {
				w.t.Errorf("%s holds the TOTP seed in clear", strings.TrimPrefix(path, w.dataDir))
			}
		}
		return nil
	})
	if err != nil {
		w.t.Fatal(err)
	}
}
