package app

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/provider"
	"github.com/payterm/payterm/sca"
	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/wallet"
)

// Kill tests for the Berlin Group banks (issue 13), as wallet/crash_test.go does for the UAE
// pipeline: one payment runs in a child process (this test binary re-executed) that opens the
// wallet on a data dir the parent onboarded and SIGKILLs itself at a chosen step — a pipeline
// event (synchronous, so nothing after it runs) or the HTTP exchange with the embedded bank
// (after the bank answered, before the wallet read the answer). The embedded bank runs inside
// the child and dies with it; its journal is fsync'd before it answers, so what it committed
// is there when the parent opens the wallet again. The parent then counts the payments at the
// bank and checks the ledger: at most one payment for every kill, and a state the payer can
// act on (paid, approvable with a, cancelled, dropped, or "unknown: check your bank").

const bgKillChildEnv = "PAYTERM_APP_BGKILL_CHILD"

// bgKillPlan is what the child needs; it travels in a 0600 file.
type bgKillPlan struct {
	DataDir   string `json:"dataDir"`
	Profile   string `json:"profile"` // "bg" (decoupled SCA) or "sb1"
	TOTP      string `json:"totp"`
	SCAOffset int64  `json:"scaOffset"`
	KillAt    string `json:"killAt"`
}

// bgKillConfig is the bank's config on dataDir ("" = a fresh one). The bg bank approves by
// decoupled SCA (the simulated bank app approves after DecoupledAfter of the bank's clock), so
// no answer has to be typed in the child.
func bgKillConfig(t *testing.T, profile, dataDir string) config.Config {
	t.Helper()
	var cfg config.Config
	switch profile {
	case "sb1":
		cfg = sb1Config(t)
	case "bg-embedded": // the bank's password and one-time code typed into the wallet
		cfg = bgConfig(t, "psu_id = \"PSU-1234\"\nsca_approach = \"embedded\"\n")
		bgBankCredentials = [2]string{bgKillPassword, bgKillTAN}
		t.Cleanup(func() { bgBankCredentials = [2]string{} })
	default:
		cfg = bgConfig(t, "psu_id = \"PSU-1234\"\nsca_approach = \"decoupled\"\n")
	}
	if dataDir != "" {
		cfg.DataDir = dataDir
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// The embedded bank's password and one-time code for the "bg-embedded" profile.
const bgKillPassword, bgKillTAN = "bg-kill-pw-3141", "271828"

// embeddedAnswer is the payer's answer to one of the embedded bank's questions.
func embeddedAnswer(act *provider.Action) (provider.Input, bool) {
	switch act.Kind {
	case provider.ActionPassword:
		return provider.Input{Password: bgKillPassword}, true
	case provider.ActionChooseMethod:
		if len(act.Methods) > 0 {
			return provider.Input{MethodID: act.Methods[0].ID}, true
		}
	case provider.ActionOTP:
		return provider.Input{OTP: bgKillTAN}, true
	}
	return provider.Input{}, false
}

// bgKillDraft is the payment every kill test makes: a SEPA transfer at bg, a domestic krone
// transfer at SpareBank 1.
func bgKillDraft(t *testing.T, w ui.Wallet, profile string) ui.PaymentDraft {
	if profile == "sb1" {
		return ui.PaymentDraft{ConsentID: sb1Link(t, w).ID, Amount: "33.00", Reference: "Faktura 9",
			Product: "norwegian-domestic-credit-transfers", NewPayee: ui.PayeeDraft{Name: "Ola Nordmann", IBAN: "1234 5678 903"}}
	}
	return ui.PaymentDraft{ConsentID: bgLink(t, w).ID, Amount: "33.00", Reference: "Invoice 9",
		NewPayee: ui.PayeeDraft{Name: "Max Muster", IBAN: "DE02 1001 0010 9307 1186 03"}}
}

func bgDie() { _ = syscall.Kill(os.Getpid(), syscall.SIGKILL) }

// bgKillEvent reports whether the child dies at this pipeline event.
func bgKillEvent(at string, ev wallet.Event) bool {
	switch at {
	case "persisted": // the write-ahead record is committed; nothing has left
		return ev.Step == wallet.StepPersist && ev.State == wallet.StepDone
	case "sending": // Sending is committed; the POST has not left yet
		return ev.Step == wallet.StepSend && ev.State == wallet.StepRunning && ev.Status == wallet.PaymentSending
	case "answered": // the bank's 201 is stored
		return ev.Step == wallet.StepBankPending && ev.State == wallet.StepDone
	}
	return false
}

// bgKillTransport kills the child once the bank has answered the chosen request, before the
// wallet reads the answer: the bank committed, the wallet never learns it.
type bgKillTransport struct {
	next http.RoundTripper
	at   string
}

func (k bgKillTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := k.next.RoundTrip(r)
	if err != nil {
		return res, err
	}
	path := r.URL.Path
	authz := strings.Contains(path, "/authorisations")
	switch {
	case k.at == "committed" && r.Method == http.MethodPost && strings.Contains(path, "/payments/") && !authz:
		bgDie() // the initiation POST
	case k.at == "authorising" && r.Method == http.MethodPost && authz:
		bgDie() // the start of the authorisation sub-resource
	case k.at == "authupdate" && r.Method == http.MethodPut && authz:
		bgDie() // an update of the authorisation (the payer's password at the embedded bank)
	case k.at == "polling" && r.Method == http.MethodGet && strings.HasSuffix(path, "/status") && !authz:
		bgDie() // a status poll of the payment
	case k.at == "cancelling" && r.Method == http.MethodDelete:
		bgDie() // the cancellation
	}
	return res, err
}

// TestBGKillChild is the child half; it does nothing unless started by a kill test.
func TestBGKillChild(t *testing.T) {
	planFile := os.Getenv(bgKillChildEnv)
	if planFile == "" {
		t.Skip("only runs as the child of a Berlin Group kill test")
	}
	raw, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	var plan bgKillPlan
	if err := json.Unmarshal(raw, &plan); err != nil {
		t.Fatal(err)
	}
	cfg := bgKillConfig(t, plan.Profile, plan.DataDir)
	clock := &scaClock{}
	clock.offset.Store(plan.SCAOffset)
	a := openApp(t, cfg, clock)
	bc := a.banks[1]
	bc.hc.Transport = bgKillTransport{next: bc.hc.Transport, at: plan.KillAt} // before any payment
	bank := bc.bg.bank
	w := a.UIWallet()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	pp, err := w.PreparePayment(ctx, bgKillDraft(t, w, plan.Profile))
	if err != nil {
		t.Fatal(err)
	}
	advanced := false
	_, err = a.wallet.Submit(ctx, pp.ID, sca.PIN(testPIN), sca.OTP(clock.nextCode(t, plan.TOTP)), func(ev wallet.Event) {
		if bgKillEvent(plan.KillAt, ev) {
			bgDie()
		}
		if act := ev.Action; act != nil && act.Kind == provider.ActionRedirect && plan.KillAt != "cancelling" {
			// The payer's browser on the bank's page (auto-approved); the address it lands on
			// is pasted back where the bank wants it.
			resp, gerr := sb1Browser(a).Get(act.URL)
			if gerr != nil {
				t.Errorf("the bank's page: %v", gerr)
				return
			}
			resp.Body.Close()
			if act.NeedsCallback {
				if err := a.wallet.ContinuePayment(ctx, ev.PaymentID, provider.Input{CallbackURL: resp.Header.Get("Location")}); err != nil {
					t.Errorf("answer the bank: %v", err)
				}
			}
		}
		if ev.Action != nil {
			if in, ok := embeddedAnswer(ev.Action); ok {
				if err := a.wallet.ContinuePayment(ctx, ev.PaymentID, in); err != nil {
					t.Errorf("answer the bank: %v", err)
				}
			}
		}
		if ev.Action != nil && ev.Action.Kind == provider.ActionDecoupled {
			if plan.KillAt == "cancelling" {
				stop() // the payer stops watching: the payment waits at the bank
			} else if !advanced {
				advanced = true
				bank.AdvanceClock(10 * time.Second) // the bank app approves
			}
		}
	})
	if plan.KillAt == "cancelling" {
		page, herr := w.History(context.Background(), ui.HistoryQuery{Limit: 1})
		if herr != nil || len(page.Rows) != 1 {
			t.Fatalf("history: %+v %v", page, herr)
		}
		_, err = w.CancelPayment(context.Background(), page.Rows[0].ID)
	}
	t.Fatalf("the child was not killed at %s (%v)", plan.KillAt, err)
}

// bgKillEnv is a wallet onboarded at a Berlin Group bank whose payment a child killed.
type bgKillEnv struct {
	cfg    config.Config
	clock  *scaClock
	js     journeySecrets
	before int // payments at the bank before the child ran
}

// runBGKill onboards a wallet at the profile's bank (at SpareBank 1 it also pays once, which
// logs in and keeps the session), then runs one payment in a child that dies at killAt.
func runBGKill(t *testing.T, profile, killAt string) bgKillEnv {
	t.Helper()
	if testing.Short() {
		t.Skip("spawns child processes")
	}
	e := bgKillEnv{clock: newSCAClock(), cfg: bgKillConfig(t, profile, "")}
	a := openApp(t, e.cfg, e.clock)
	w := a.UIWallet()
	_, e.js = onboard(t, w, e.clock, twoPayees()[:1])
	if profile == "sb1" {
		paidInNOK(t, payAtSB1(t, a, w, e.clock, e.js.totpSecret, "10.00", ""))
	}
	e.before = a.banks[1].bg.bank.PaymentCount()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	// The child authenticates 30 s before real time (a TOTP step no one used yet), so its 5
	// minutes are not nearly over when the parent reopens the wallet.
	plan := bgKillPlan{DataDir: e.cfg.DataDir, Profile: profile, TOTP: e.js.totpSecret, SCAOffset: int64(-time.Minute), KillAt: killAt}
	e.clock.offset.Store(0) // the parent's next codes come after the child's
	runKilledChild(t, "^TestBGKillChild$", bgKillChildEnv, plan)
	return e
}

// reopen opens the wallet again after the kill and waits for its start-up resume.
func (e bgKillEnv) reopen(t *testing.T, opts ...func(*Options)) *App {
	t.Helper()
	o := testOptions(e.clock)
	for _, f := range opts {
		f(&o)
	}
	a, err := Open(context.Background(), e.cfg, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = a.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_ = a.WaitStartup(ctx) // an unverifiable payment is an error of the start-up: checked below
	if ctx.Err() != nil {
		t.Fatal("the start-up resume did not finish")
	}
	return a
}

// killedPayment is the one payment the child made, as the ledger has it now.
func killedPayment(t *testing.T, a *App) wallet.Payment {
	t.Helper()
	page, err := a.ledger.History(context.Background(), wallet.HistoryQuery{Limit: 1})
	if err != nil || len(page.Rows) == 0 {
		t.Fatalf("history: %+v %v", page, err)
	}
	p, err := a.ledger.Payment(context.Background(), page.Rows[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// atBank fails unless the bank holds want payments more than before the child ran.
func (e bgKillEnv) atBank(t *testing.T, a *App, want int) {
	t.Helper()
	if n := a.banks[1].bg.bank.PaymentCount() - e.before; n != want {
		t.Fatalf("the bank holds %d payments from the killed run, want %d", n, want)
	}
}

// approveAgain is the payer pressing a on a payment awaiting the bank's approval: decoupled at
// bg (the bank app approves once the bank's clock moves), the bank's page at SpareBank 1 (the
// browser opens it, the address it lands on is pasted back). It returns the final receipt.
func approveAgain(t *testing.T, a *App, id int64) *ui.Receipt {
	t.Helper()
	w := a.UIWallet()
	ctx := context.Background()
	key := itoa(id)
	pp, ch, err := w.(ui.ApprovalResumer).ApproveAgain(ctx, key)
	if err != nil {
		t.Fatalf("approve again: %v", err)
	}
	bank := a.banks[1].bg.bank
	timeout := time.After(60 * time.Second)
	var last ui.PaymentEvent
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				if !last.Final || last.Receipt == nil {
					t.Fatalf("approve again ended with %+v", last)
				}
				return last.Receipt
			}
			last = ev
			act := ev.Action
			switch {
			case act == nil:
			case act.Kind == ui.ActionDecoupled:
				bank.AdvanceClock(10 * time.Second)
			case act.Kind == ui.ActionPassword || act.Kind == ui.ActionOTP || act.Kind == ui.ActionMethod:
				in := ui.BankInput{Kind: act.Kind}
				switch act.Kind {
				case ui.ActionPassword:
					in.Secret = ui.NewSecret(bgKillPassword)
				case ui.ActionOTP:
					in.Secret = ui.NewSecret(bgKillTAN)
				default:
					in.MethodID = act.Methods[0].ID
				}
				if err := w.ContinuePayment(ctx, pp.ID, in); err != nil {
					t.Fatalf("ContinuePayment: %v", err)
				}
			case act.Kind == ui.ActionRedirect:
				resp, err := sb1Browser(a).Get(act.URL)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if act.NeedsCallback {
					if err := w.ContinuePayment(ctx, pp.ID, ui.BankInput{Kind: ui.ActionRedirect, Secret: ui.NewSecret(resp.Header.Get("Location"))}); err != nil {
						t.Fatalf("ContinuePayment: %v", err)
					}
				}
			default:
				t.Fatalf("the bank asked %+v", act)
			}
		case <-timeout:
			t.Fatalf("approve again did not finish; last %+v", last)
		}
	}
}

func itoa(id int64) string {
	b, _ := json.Marshal(id)
	return string(b)
}

// assertPaidOnce: the payment is paid in the ledger, with the bank's id and ISO status, and
// the bank holds it once.
func (e bgKillEnv) assertPaidOnce(t *testing.T, a *App, r *ui.Receipt) {
	t.Helper()
	if !ui.PaymentPaid(r.Status) || r.PaymentID == "" || r.BankStatus == "" {
		t.Fatalf("receipt %+v, want paid", r)
	}
	e.atBank(t, a, 1)
	if st, ok := a.banks[1].bg.bank.PaymentStatus(r.PaymentID); !ok || st != r.BankStatus {
		t.Fatalf("the bank says %q (%v), the wallet %s", st, ok, r.BankStatus)
	}
}

// resumeAgain runs the background resume once more: nothing already decided may change, and
// nothing may be sent again.
func (e bgKillEnv) resumeAgain(t *testing.T, a *App, want wallet.PaymentStatus, atBank int) {
	t.Helper()
	_ = a.wallet.Resume(context.Background(), nil)
	if p := killedPayment(t, a); p.Status != want {
		t.Fatalf("after another resume the payment is %s, want %s", p.Status, want)
	}
	e.atBank(t, a, atBank)
}

// TestBGKillAfterWriteAhead: killed with the write-ahead record committed and nothing sent. At
// bg and at SpareBank 1 (whose kept session the restart restores) the restart sends it — the
// record proves it never left, the payer's approval is minutes old, and the bank offers no
// lookup to ask first — once: it waits at the bank for the payer's approval, which a on the
// payment gives; it is paid, once.
func TestBGKillAfterWriteAhead(t *testing.T) {
	for _, profile := range []string{"bg", "sb1"} {
		t.Run(profile, func(t *testing.T) {
			e := runBGKill(t, profile, "persisted")
			a := e.reopen(t)
			p := killedPayment(t, a)
			if p.Status != wallet.PaymentAwaitingBankSCA || p.BankPaymentID == "" {
				t.Fatalf("after the restart the queued payment is %s (bank id %q, %s %s), want sent and awaiting approval", p.Status, p.BankPaymentID, p.RejectCode, p.RejectMessage)
			}
			e.atBank(t, a, 1)
			e.assertPaidOnce(t, a, approveAgain(t, a, p.ID))
			e.resumeAgain(t, a, killedPayment(t, a).Status, 1)
		})
	}
}

// TestBGKillAfterWriteAheadPastTheSCA: the same kill, but the wallet opens again after the
// payer's approval (5 minutes) ended: the payment is dropped — Abandoned, never sent — and
// the bank has nothing.
func TestBGKillAfterWriteAheadPastTheSCA(t *testing.T) {
	e := runBGKill(t, "bg", "persisted")
	a := e.reopen(t, func(o *Options) { o.Clock = func() time.Time { return time.Now().Add(10 * time.Minute) } })
	if p := killedPayment(t, a); p.Status != wallet.PaymentAbandoned || p.BankPaymentID != "" {
		t.Fatalf("the payment is %s (bank id %q), want Abandoned and never sent", p.Status, p.BankPaymentID)
	}
	e.atBank(t, a, 0)
}

// TestBGKillMayHaveLeft: killed once Sending was committed (before the POST left), and once the
// bank had answered the POST (before the wallet read it). Either way the wallet cannot know
// whether the bank has the payment, and Berlin Group offers no lookup (SpareBank 1 would refuse
// a logical duplicate, but the core does not send again on the strength of that either): the
// payment is Unknown, the payer is told to check at the bank, and it is never sent again,
// however often it resumes.
func TestBGKillMayHaveLeft(t *testing.T) {
	for _, tc := range []struct {
		profile, killAt string
		atBank          int
	}{{"bg", "sending", 0}, {"bg", "committed", 1}, {"sb1", "committed", 1}} {
		t.Run(tc.profile+"/"+tc.killAt, func(t *testing.T) {
			e := runBGKill(t, tc.profile, tc.killAt)
			a := e.reopen(t)
			p := killedPayment(t, a)
			if p.Status != wallet.PaymentUnknown {
				t.Fatalf("the payment is %s, want Unknown", p.Status)
			}
			e.atBank(t, a, tc.atBank)
			err := a.wallet.Resume(context.Background(), nil)
			var pr *wallet.Problem
			if !errors.As(err, &pr) || !strings.Contains(pr.Next, "Check your bank") || !errors.Is(err, provider.ErrCannotReconcile) {
				t.Fatalf("resume says %v, want the payer told to check at the bank", err)
			}
			e.resumeAgain(t, a, wallet.PaymentUnknown, tc.atBank)
		})
	}
}

// TestBGKillAfterTheAnswer: killed after the bank's 201 was stored (bg, SpareBank 1), and after the bank answered
// the start of the authorisation (an authorisation the wallet never recorded): the payment waits
// for the payer's approval; a on it approves it (a new authorisation) and it is paid once.
func TestBGKillAfterTheAnswer(t *testing.T) {
	for _, tc := range []struct{ profile, killAt string }{{"bg", "answered"}, {"sb1", "answered"}, {"bg", "authorising"}, {"bg-embedded", "authorising"}} {
		t.Run(tc.profile+"/"+tc.killAt, func(t *testing.T) {
			e := runBGKill(t, tc.profile, tc.killAt)
			a := e.reopen(t)
			p := killedPayment(t, a)
			e.atBank(t, a, 1)
			if p.Status != wallet.PaymentAwaitingBankSCA {
				t.Fatalf("the payment is %s, want awaiting the bank's approval", p.Status)
			}
			e.assertPaidOnce(t, a, approveAgain(t, a, p.ID))
			e.resumeAgain(t, a, killedPayment(t, a).Status, 1)
		})
	}
}

// TestBGKillWhilePolling: killed while polling the status of an approved payment (bg decoupled;
// SpareBank 1 approved on its page): the restart follows it to its end by itself, paid once.
func TestBGKillWhilePolling(t *testing.T) {
	for _, profile := range []string{"bg", "sb1"} {
		t.Run(profile, func(t *testing.T) {
			e := runBGKill(t, profile, "polling")
			a := e.reopen(t)
			p := killedPayment(t, a)
			if !p.Final || p.Status.Outcome() != wallet.OutcomeSuccessful {
				t.Fatalf("after the restart the payment is %s (final %v), want paid", p.Status, p.Final)
			}
			e.atBank(t, a, 1)
			if st, ok := a.banks[1].bg.bank.PaymentStatus(p.BankPaymentID); !ok || st != p.BankStatus {
				t.Fatalf("the bank says %q, the wallet %s", st, p.BankStatus)
			}
		})
	}
}

// TestBGKillWhileCancelling: the payer cancels a payment awaiting approval and the wallet dies
// after the bank took the DELETE, before it recorded the answer. The restart learns it from the
// bank: Cancelled (CANC), here and there; nothing is paid, and it cannot be approved again.
func TestBGKillWhileCancelling(t *testing.T) {
	e := runBGKill(t, "bg", "cancelling")
	a := e.reopen(t)
	p := killedPayment(t, a)
	e.atBank(t, a, 1)
	if st, ok := a.banks[1].bg.bank.PaymentStatus(p.BankPaymentID); !ok || st != "CANC" {
		t.Fatalf("the bank says %q (%v), want CANC", st, ok)
	}
	if p.Status != wallet.PaymentCancelled || p.BankStatus != "CANC" {
		t.Fatalf("after the restart the payment is %s (%s), want Cancelled (CANC)", p.Status, p.BankStatus)
	}
	if _, _, err := a.UIWallet().(ui.ApprovalResumer).ApproveAgain(context.Background(), itoa(p.ID)); err == nil {
		t.Fatal("a cancelled payment was offered for approval again")
	}
}

// TestBGKillAfterThePassword: at the embedded bank, killed after the bank took the payer's
// password and before the wallet read its answer — the only one that lists the ways to send the
// one-time code. Asked again, the bank says it waits for a method but not which: payterm says
// so (approve in online banking, or cancel) instead of offering an empty choice, the payment
// still waits at the bank, and cancelling it there works: nothing is paid.
func TestBGKillAfterThePassword(t *testing.T) {
	e := runBGKill(t, "bg-embedded", "authupdate")
	a := e.reopen(t)
	p := killedPayment(t, a)
	e.atBank(t, a, 1)
	if p.Status != wallet.PaymentAwaitingBankSCA {
		t.Fatalf("the payment is %s, want awaiting the bank's approval", p.Status)
	}
	w := a.UIWallet()
	_, ch, err := w.(ui.ApprovalResumer).ApproveAgain(context.Background(), itoa(p.ID))
	if err != nil {
		t.Fatal(err)
	}
	var said []string
	for ev := range ch {
		if ev.Action != nil {
			t.Fatalf("the bank's step was offered as %+v", ev.Action)
		}
		if ev.Err != nil {
			said = append(said, ev.Err.Error())
		}
	}
	if !strings.Contains(strings.Join(said, " | "), "approve the payment in your online banking, or cancel it") {
		t.Fatalf("approve again said %q", said)
	}
	if p := killedPayment(t, a); p.Status != wallet.PaymentAwaitingBankSCA {
		t.Fatalf("after the failed approval the payment is %s", p.Status)
	}
	d, err := w.CancelPayment(context.Background(), itoa(p.ID))
	if err != nil || d.Row.Status != ui.PaymentCancelled || d.Row.BankStatus != "CANC" {
		t.Fatalf("cancel: %+v %v", d.Row, err)
	}
	e.atBank(t, a, 1)
	if st, _ := a.banks[1].bg.bank.PaymentStatus(p.BankPaymentID); st != "CANC" {
		t.Fatalf("the bank says %q, want CANC", st)
	}
}
