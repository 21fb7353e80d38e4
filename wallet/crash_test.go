package wallet

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/payterm/payterm/lfi"
	"github.com/payterm/payterm/sandbox"
)

// The crash tests run one payment in a child process (this test binary re-executed) that
// SIGKILLs itself at a chosen point of the pipeline, then start the wallet afresh on the same
// data dir, let Resume finish, and check that the sandbox holds exactly the payments the
// ledger says — exactly one for every kill after the write-ahead record, none before it.

const crashChildEnv = "PAYTERM_WALLET_CRASH_CHILD"

// crashPlan is everything the child needs; test-only secrets travel in a 0600 file.
type crashPlan struct {
	DataDir     string `json:"dataDir"`
	Discovery   string `json:"discovery"`
	Issuer      string `json:"issuer"`
	RS          string `json:"rs"`
	ClientID    string `json:"clientId"`
	CertPEM     string `json:"certPem"`
	CAPEM       string `json:"caPem"`
	SigKey      string `json:"sigKey"`
	TLSKey      string `json:"tlsKey"`
	TOTP        string `json:"totp"`
	SCAOffset   int64  `json:"scaOffset"`
	AccessToken string `json:"accessToken"`
	ConsentID   string `json:"consentId"`
	PayeeID     int64  `json:"payeeId"`
	Amount      string `json:"amount"`
	KillAt      string `json:"killAt"`
}

// staticTokens hands the child a real access token the parent obtained from the sandbox.
type staticTokens struct{ token lfi.Secret }

func (s staticTokens) AccessToken(context.Context, string) (lfi.Secret, error) { return s.token, nil }
func (staticTokens) Invalidate(string)                                         {}
func (staticTokens) Forget(context.Context, string) error                      { return nil }

func die() { _ = syscall.Kill(os.Getpid(), syscall.SIGKILL) }

// killAfterPOST kills the process when the bank's answer to POST /payments has arrived and
// before the client has read it: the bank has committed, the wallet never learns it.
type killAfterPOST struct{ next http.RoundTripper }

func (k killAfterPOST) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := k.next.RoundTrip(r)
	if err == nil && r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/payments") {
		die()
	}
	return res, err
}

// TestCrashChild is the child half; it does nothing unless started by a crash test.
func TestCrashChild(t *testing.T) {
	planFile := os.Getenv(crashChildEnv)
	if planFile == "" {
		t.Skip("only runs as the child of a crash test")
	}
	raw, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	var plan crashPlan
	if err := json.Unmarshal(raw, &plan); err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM([]byte(plan.CAPEM))
	var wrap func(http.RoundTripper) http.RoundTripper
	if plan.KillAt == "committed" {
		wrap = func(rt http.RoundTripper) http.RoundTripper { return killAfterPOST{rt} }
	}
	client := newLFIClient(t, plan.Discovery, plan.Issuer, plan.RS, plan.ClientID, []byte(plan.CertPEM), roots,
		readKey(t, plan.SigKey), readKey(t, plan.TLSKey), wrap)
	clock := newSCAClock(time.Duration(plan.SCAOffset))
	ledger, err := OpenLedger(context.Background(), plan.DataDir, LedgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e := &walletEnv{dir: plan.DataDir, ledger: ledger, auth: openSCA(t, plan.DataDir, clock.Now)}
	w := e.newWallet(t, client, staticTokens{lfi.Secret(plan.AccessToken)}, Limits{}, nil)
	p, err := w.Prepare(context.Background(), Draft{ConsentID: plan.ConsentID, PayeeID: plan.PayeeID, Amount: plan.Amount})
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.Submit(context.Background(), p.ID, testPIN, clock.nextCode(t, plan.TOTP), func(ev Event) {
		if killPoint(plan.KillAt, ev) {
			die()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

// killPoint reports whether the child should die at this event.
func killPoint(at string, ev Event) bool {
	switch at {
	case "sca":
		return ev.Step == StepSCA && ev.State == StepDone
	case "signed":
		return ev.Step == StepSign && ev.State == StepDone
	case "persisted":
		return ev.Step == StepPersist && ev.State == StepDone
	case "sending":
		return ev.Step == StepSend && ev.State == StepRunning
	case "pending":
		return ev.Step == StepBankPending && ev.State == StepDone
	case "unknown":
		return ev.Step == StepSend && ev.Status == PaymentUnknown
	}
	return false
}

func readKey(t testing.TB, path string) *rsa.PrivateKey {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatal("no PEM block")
	}
	k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// runCrashChild runs one payment in a child that dies at killAt; it returns once the child
// is gone and fails the test unless the child was killed by SIGKILL.
func runCrashChild(t *testing.T, e *walletEnv, killAt, amount string) {
	t.Helper()
	sigKey, tlsKey := tppKeys(t)
	tmp := t.TempDir()
	plan := crashPlan{DataDir: e.dir, Discovery: e.bank.DiscoveryURL(), Issuer: e.bank.Issuer(), RS: e.bank.ResourceBaseURL(),
		ClientID: e.clientID, CertPEM: string(e.certPEM), CAPEM: string(e.bank.CACertPEM()),
		SigKey: filepath.Join(tmp, "sig.pem"), TLSKey: filepath.Join(tmp, "tls.pem"), TOTP: e.totp,
		SCAOffset: e.scaClock.offset.Load(), ConsentID: e.consentID, PayeeID: e.payees[0].ID, Amount: amount, KillAt: killAt}
	e.scaClock.offset.Add(int64(30 * time.Second)) // the child uses the next TOTP step
	writePEM(t, plan.SigKey, sigKey)
	writePEM(t, plan.TLSKey, tlsKey)
	tok, err := e.tokens.AccessToken(context.Background(), e.consentID)
	if err != nil {
		t.Fatal(err)
	}
	plan.AccessToken = tok.Reveal()
	raw, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	planFile := filepath.Join(tmp, "plan.json")
	if err := os.WriteFile(planFile, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+planFile)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("child was not killed (err %v):\n%s", err, out)
	}
	ws, ok := exit.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, not SIGKILL:\n%s", err, out)
	}
}

func TestCrashAtEveryStepEndsWithExactlyOnePayment(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns child processes")
	}
	b := newBankEnv(t)
	for _, tc := range []struct {
		killAt string
		// What the child left behind: ledger records and payments at the bank, and the
		// status of the record (if any).
		leftRecords, leftAtBank int
		leftStatus              PaymentStatus
		want                    int // payments at the bank and in the ledger afterwards
	}{
		{"sca", 0, 0, "", 0},
		{"signed", 0, 0, "", 0},
		{"persisted", 1, 0, PaymentPrepared, 1},
		{"sending", 1, 0, PaymentSending, 1},
		{"committed", 1, 1, PaymentSending, 1},
		{"pending", 1, 1, PaymentProcessing, 1},
	} {
		t.Run(tc.killAt, func(t *testing.T) {
			e := newWalletEnv(t, b, Limits{})
			c := e.onboard(t, 1, "")
			runCrashChild(t, e, tc.killAt, "42.00")
			page, err := e.ledger.History(context.Background(), HistoryQuery{})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Rows) != tc.leftRecords || (len(page.Rows) == 1 && page.Rows[0].Status != tc.leftStatus) {
				t.Fatalf("the child left %d records (%+v), want %d in status %s", len(page.Rows), page.Rows, tc.leftRecords, tc.leftStatus)
			}
			if n := e.bankPayments(t, c.ID); n != tc.leftAtBank {
				t.Fatalf("the child left %d payments at the bank, want %d", n, tc.leftAtBank)
			}

			// A fresh start on the same data dir: Start syncs the consent, then Resume
			// reconciles and finishes the payment.
			restarted := e.newWallet(t, e.client, e.tokens, Limits{}, nil)
			if err := restarted.Start(context.Background(), nil); err != nil {
				t.Fatalf("resume: %v\n%s", err, verdicts(b))
			}
			assertLedgerMatchesBank(t, e, c.ID, tc.want, PaymentSettled)
		})
	}
}

// TestCrashAfterPersistWithExpiredRequestIsAbandoned: the child dies after the write-ahead
// record and the wallet restarts after the signed request expired. The bank has no payment,
// so none may be made without a new SCA: the payment ends Abandoned and nothing is paid.
func TestCrashAfterPersistWithExpiredRequestIsAbandoned(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns child processes")
	}
	b := newBankEnv(t)
	e := newWalletEnv(t, b, Limits{})
	c := e.onboard(t, 1, "")
	runCrashChild(t, e, "persisted", "42.00")
	later := func() time.Time { return time.Now().Add(10 * time.Minute) }
	restarted := e.newWallet(t, e.client, e.tokens, Limits{}, later)
	if err := restarted.Resume(context.Background(), nil); err != nil {
		t.Fatalf("resume: %v", err)
	}
	assertLedgerMatchesBank(t, e, c.ID, 0, PaymentAbandoned)
	page, err := e.ledger.History(context.Background(), HistoryQuery{})
	if err != nil || len(page.Rows) != 1 || page.Rows[0].Status != PaymentAbandoned {
		t.Fatalf("ledger = %+v, %v; want one Abandoned record", page.Rows, err)
	}
	// An abandoned payment no longer counts against the limits.
	u, err := e.ledger.Usage(context.Background(), c.ID)
	if err != nil || !u.Day.IsZero() {
		t.Errorf("usage after abandonment = %+v, %v", u, err)
	}
}

// assertLedgerMatchesBank checks the bank holds want payments under the consent and the
// ledger's successful payments are exactly those, with the same PaymentIds and final status.
func assertLedgerMatchesBank(t *testing.T, e *walletEnv, consentID string, want int, final PaymentStatus) {
	t.Helper()
	ctx := context.Background()
	if n := e.bankPayments(t, consentID); n != want {
		t.Errorf("bank holds %d payments, want %d", n, want)
	}
	open, err := e.ledger.OpenPayments(ctx)
	if err != nil || len(open) != 0 {
		t.Errorf("%d payments still open after Resume, %v", len(open), err)
	}
	page, err := e.ledger.History(ctx, HistoryQuery{Filter: HistoryFilter{ConsentID: consentID}})
	if err != nil {
		t.Fatal(err)
	}
	successful := 0
	for _, r := range page.Rows {
		if r.Status.Outcome() == OutcomeSuccessful {
			successful++
		}
		if r.Status != final {
			t.Errorf("ledger payment %d is %s, want %s", r.ID, r.Status, final)
		}
		p, err := e.ledger.Payment(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		byKey, err := e.client.GetPaymentByIdempotencyKey(ctx, p.IdempotencyKey)
		switch {
		case r.Status.Outcome() == OutcomeSuccessful && (err != nil || byKey.PaymentID != r.BankPaymentID):
			t.Errorf("bank's payment for the key = %v, %v; ledger says %s", byKey, err, r.BankPaymentID)
		case r.Status.Outcome() == OutcomeFailed && !errors.Is(err, lfi.ErrNotFound):
			t.Errorf("bank has a payment for an abandoned key: %v, %v", byKey, err)
		}
		if st, err := e.bank.PaymentStatus(r.BankPaymentID); r.BankPaymentID != "" && (err != nil || st != r.BankStatus) {
			t.Errorf("bank status %q, %v; ledger %s (%s)", st, err, r.BankStatus, r.Status)
		}
	}
	if successful != want {
		t.Errorf("ledger has %d successful payments, want %d", successful, want)
	}
}

// TestNoAbandonPastTheIdempotencyWindow: a payment whose outcome is unknown and whose first
// send is older than the bank's 24-hour idempotency window is never abandoned on a lookup
// miss (the bank may have it) and never resent.
func TestNoAbandonPastTheIdempotencyWindow(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns child processes")
	}
	b := newBankEnv(t)
	e := newWalletEnv(t, b, Limits{})
	c := e.onboard(t, 1, "")
	runCrashChild(t, e, "sending", "42.00")
	muchLater := func() time.Time { return time.Now().Add(25 * time.Hour) }
	restarted := e.newWallet(t, e.client, e.tokens, Limits{}, muchLater)
	err := restarted.Resume(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "idempotency window") {
		t.Fatalf("resume: err = %v, want the window refusal", err)
	}
	open, _ := e.ledger.OpenPayments(context.Background())
	if len(open) != 1 || open[0].Status != PaymentUnknown {
		t.Fatalf("%d open payments (first %v), want one Unknown", len(open), statusesOf(open))
	}
	if n := e.bankPayments(t, c.ID); n != 0 {
		t.Errorf("the wallet resent: bank holds %d payments", n)
	}
}

func statusesOf(ps []Payment) []PaymentStatus {
	var out []PaymentStatus
	for _, p := range ps {
		out = append(out, p.Status)
	}
	return out
}

// TestCrashUnderBankFaults combines the sandbox's faults with a kill: the child dies right
// after the wallet learned the outcome was unknown (500s, an unverifiable answer) or after
// the bank accepted a request whose first answer was lost (drop after commit, 429).
func TestCrashUnderBankFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns child processes")
	}
	b := newBankEnv(t)
	for _, tc := range []struct {
		name   string
		fault  sandbox.Fault
		killAt string
	}{
		{"500 on every retry, killed once unknown", sandbox.Fault{Kind: sandbox.FaultServerError, Count: 3}, "unknown"},
		{"unverifiable answer, killed once unknown", sandbox.Fault{Kind: sandbox.FaultWrongKey, Count: 1}, "unknown"},
		{"drop after commit, killed when pending", sandbox.Fault{Kind: sandbox.FaultDropAfterCommit, Count: 1}, "pending"},
		{"429, killed when pending", sandbox.Fault{Kind: sandbox.FaultRateLimit, Count: 1, RetryAfter: 1}, "pending"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newWalletEnv(t, b, Limits{})
			c := e.onboard(t, 1, "")
			if err := b.bank.InjectFault(tc.fault); err != nil {
				t.Fatal(err)
			}
			runCrashChild(t, e, tc.killAt, "13.37")
			b.bank.ClearFaults()
			restarted := e.newWallet(t, e.client, e.tokens, Limits{}, nil)
			if err := restarted.Start(context.Background(), nil); err != nil {
				t.Fatalf("start: %v\n%s", err, verdicts(b))
			}
			assertLedgerMatchesBank(t, e, c.ID, 1, PaymentSettled)
		})
	}
}
