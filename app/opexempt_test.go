package app

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/payterm/payterm/config"
	opprov "github.com/payterm/payterm/provider/op"
	opbank "github.com/payterm/payterm/sandbox/op"
	"github.com/payterm/payterm/ui"
)

// opPaid is one payment at the OP bank "op" as the pay screen saw it.
type opPaid struct {
	pp      ui.PreparedPayment
	events  []ui.PaymentEvent
	actions int // approvals OP's page was shown for (a page offered again for the same approval counts once)
	last    ui.PaymentEvent
}

// payAtOPFor pays amount to Kahvila Oy at the OP bank: the wallet's check, then OP's page when the
// wallet shows it (approved in the payer's browser, the address pasted back).
func payAtOPFor(t *testing.T, a *App, w ui.Wallet, clock *scaClock, totp, amount string) opPaid {
	t.Helper()
	ctx := context.Background()
	pp, err := w.PreparePayment(ctx, ui.PaymentDraft{ConsentID: opLink(t, w).ID, Amount: amount, Reference: "Kahvi",
		NewPayee: ui.PayeeDraft{Name: "Kahvila Oy", IBAN: "FI21 1234 5600 0007 85"}})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := w.SubmitPayment(ctx, pp.ID, ui.SCAInput{PIN: ui.NewSecret(testPIN), TOTP: ui.NewSecret(clock.nextCode(t, totp))})
	if err != nil {
		t.Fatal(err)
	}
	out := opPaid{pp: pp}
	var asked string // the state of the approval OP's page was shown for
	out.last = drain(t, ch, func(ev ui.PaymentEvent) {
		out.events = append(out.events, ev)
		if ev.Action == nil {
			return
		}
		// The wallet offers the page again at each poll until the pasted address arrives
		// (signed afresh: a new address, the same approval); a page for another approval
		// would be a second ask.
		state := opPageState(t, ev.Action.URL)
		if asked != "" {
			if state != asked {
				t.Errorf("OP's page shown for a second approval (state %q after %q)", state, asked)
				out.actions++
			}
			return
		}
		asked = state
		out.actions++
		if err := w.ContinuePayment(ctx, pp.ID, ui.BankInput{Kind: ui.ActionRedirect, Secret: ui.NewSecret(opBrowse(t, ev.Action.URL, "approve"))}); err != nil {
			t.Errorf("ContinuePayment: %v", err)
		}
	})
	if out.last.Receipt == nil || !ui.PaymentPaid(out.last.Receipt.Status) {
		t.Fatalf("final event %+v", out.last)
	}
	return out
}

// opPageState is the state of the approval an OP page address is for: the claim in its
// request object (read, not verified: the bank verifies it).
func opPageState(t *testing.T, pageURL string) string {
	t.Helper()
	u, err := url.Parse(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(u.Query().Get("request"), ".")
	if len(parts) != 3 {
		t.Fatalf("OP's page address carries no request object: %s", pageURL)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		State string `json:"state"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil || claims.State == "" {
		t.Fatalf("OP's request object has no state: %s (%v)", payload, err)
	}
	return claims.State
}

// row is the last event the pay screen got for the progress row named name.
func (p opPaid) row(t *testing.T, name string) (ui.PaymentEvent, bool) {
	t.Helper()
	i := slices.Index(p.pp.Steps, name)
	if i < 0 {
		t.Fatalf("no row %q in %q", name, p.pp.Steps)
	}
	var ev ui.PaymentEvent
	seen := false
	for _, e := range p.events {
		if int(e.Step) == i {
			ev, seen = e, true
		}
	}
	return ev, seen
}

// opOps are the OP operations the wallet's trace holds for the bank "op", oldest first.
func opOps(a *App) []opprov.Op {
	var out []opprov.Op
	for _, x := range a.trace.allTraced() {
		if x.bank == "op" && x.op != nil {
			out = append(out, x.op.Op)
		}
	}
	return out
}

// TestOPExemptionPaysWithoutTheBrowser: the first payment at OP is approved on OP's page (the
// bank approval the exemption re-uses); the second, 9.00 EUR, goes through OP's exemption flow
// with no page: no Action reaches the pay screen, the "Approve at OP" row says it was not
// asked, OP holds it paid once, and the trace holds the refresh, the exemption grant and the
// submission. Every request passed the strict bank's rules.
func TestOPExemptionPaysWithoutTheBrowser(t *testing.T) {
	clock := newSCAClock()
	a := openApp(t, opConfig(t), clock)
	defer a.Close()
	w := a.UIWallet()
	_, js := onboard(t, w, clock, twoPayees()[:1])
	bank := a.banks[1].op.bank
	first := payAtOPFor(t, a, w, clock, js.totpSecret, "12.50")
	if first.actions != 1 {
		t.Fatalf("the first payment showed OP's page %d times, want once", first.actions)
	}
	if want := "OP will ask you to approve: there is no bank approval from the last 45 days to re-use"; first.pp.BankApproval != want {
		t.Fatalf("the first review said %q, want %q", first.pp.BankApproval, want)
	}
	if ev, _ := first.row(t, opprov.StepApprove); ev.State != ui.StepDone || strings.Contains(ev.Note, "not asked") {
		t.Fatalf("the first payment's approval row: %+v", ev)
	}
	before := len(opOps(a))
	second := payAtOPFor(t, a, w, clock, js.totpSecret, "9.00")
	if second.actions != 0 {
		t.Fatalf("the exemption payment showed OP's page %d times", second.actions)
	}
	if want := "OP may not ask: 1 of 5, 9.00 of 100.00 EUR since your last bank approval"; !strings.HasPrefix(second.pp.BankApproval, want) {
		t.Fatalf("the second review said %q, want %q…", second.pp.BankApproval, want)
	}
	// The count moves with the exemption payment the ledger now holds.
	third, err := w.PreparePayment(context.Background(), ui.PaymentDraft{ConsentID: opLink(t, w).ID, Amount: "7.00", Reference: "Kahvi",
		NewPayee: ui.PayeeDraft{Name: "Kahvila Oy", IBAN: "FI21 1234 5600 0007 85"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "OP may not ask: 2 of 5, 16.00 of 100.00 EUR since your last bank approval"; !strings.HasPrefix(third.BankApproval, want) {
		t.Fatalf("the third review said %q, want %q…", third.BankApproval, want)
	}
	big, err := w.PreparePayment(context.Background(), ui.PaymentDraft{ConsentID: opLink(t, w).ID, Amount: "30.00", Reference: "Kahvi",
		NewPayee: ui.PayeeDraft{Name: "Kahvila Oy", IBAN: "FI21 1234 5600 0007 85"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(big.BankApproval, "OP will ask you to approve: 30.00 EUR is not below 30.00 EUR") {
		t.Fatalf("the review of 30.00 said %q", big.BankApproval)
	}
	r := second.last.Receipt
	if bank.Payments() != 2 || bank.PaymentDebits(r.PaymentID) != 1 {
		t.Fatalf("OP holds %d payments, debited this one %d times", bank.Payments(), bank.PaymentDebits(r.PaymentID))
	}
	ev, seen := second.row(t, opprov.StepApprove)
	if !seen || ev.State != ui.StepDone || !strings.Contains(ev.Note, "not asked: exemption") {
		t.Fatalf("the approval row of the exemption payment: %+v", ev)
	}
	for _, name := range []string{opprov.StepCreated, opprov.StepSubmitted, opprov.StepExecuted} {
		if ev, _ := second.row(t, name); ev.State != ui.StepDone {
			t.Fatalf("the %q row: %+v", name, ev)
		}
	}
	ops := opOps(a)[before:]
	for _, want := range []opprov.Op{opprov.OpRefresh, opprov.OpCreate, opprov.OpExemption, opprov.OpSubmit} {
		if !slices.Contains(ops, want) {
			t.Fatalf("the trace of the exemption payment has no %s exchange: %v", want, ops)
		}
	}
	if slices.Contains(ops, opprov.OpCode) {
		t.Fatalf("the exemption payment exchanged a code: %v", ops)
	}
	// The inspector shows the exemption's sequence, every step done, and the bank's verdict
	// that its limits allowed it — not the first payment's page and code exchange.
	in, err := w.Inspect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Steps) != len(opExemptSequence) {
		t.Fatalf("the inspector shows %d steps, want the exemption's %d", len(in.Steps), len(opExemptSequence))
	}
	for i, st := range in.Steps {
		if st.Name != opExemptSequence[i].name || st.State != ui.SeqDone {
			t.Fatalf("step %d: %q %v", i, st.Name, st.State)
		}
	}
	if ex := in.Steps[3].Exchange; ex == nil || ex.Request != "POST /oauth/token HTTP/1.1" || !strings.Contains(ex.Response, "200") {
		t.Fatalf("the exemption exchange: %+v", ex)
	}
	limits := false
	for _, v := range in.Verdicts {
		if strings.HasPrefix(v.Rule, opExemptSequence[3].name) && strings.Contains(v.Rule, "exempt") && v.Passed {
			limits = true
		}
	}
	if !limits {
		t.Fatalf("no verdict of the exemption engine: %+v", in.Verdicts)
	}
	for _, v := range bank.Verdicts() {
		if f := v.Failed(); f != nil {
			t.Fatalf("the bank refused a %s request: rule %d %s", v.Endpoint, f.Rule, f.Name)
		}
	}
}

// TestOPExemptionRefusedCompletesOnOPsPage: payments made elsewhere used OP's allowance (the
// sandbox's "other channels"), which the wallet cannot see: OP refuses the exemption, and the
// same payment goes on through OP's page — the approval row asks as usual — paid once; OP holds
// no second payment for it.
func TestOPExemptionRefusedCompletesOnOPsPage(t *testing.T) {
	clock := newSCAClock()
	a := openApp(t, opConfig(t), clock)
	defer a.Close()
	w := a.UIWallet()
	_, js := onboard(t, w, clock, twoPayees()[:1])
	bank := a.banks[1].op.bank
	payAtOPFor(t, a, w, clock, js.totpSecret, "12.50")
	bank.AddOtherChannelExemptions("sandbox-user", 5, 500) // OP's count of five is used up elsewhere
	second := payAtOPFor(t, a, w, clock, js.totpSecret, "9.00")
	if second.actions != 1 {
		t.Fatalf("OP's page shown %d times after OP refused the exemption, want once", second.actions)
	}
	r := second.last.Receipt
	if bank.Payments() != 2 || bank.PaymentDebits(r.PaymentID) != 1 {
		t.Fatalf("OP holds %d payments, debited this one %d times", bank.Payments(), bank.PaymentDebits(r.PaymentID))
	}
	if ev, _ := second.row(t, opprov.StepApprove); ev.State != ui.StepDone || strings.Contains(ev.Note, "not asked") {
		t.Fatalf("the approval row: %+v", ev)
	}
	if ev, _ := second.row(t, opprov.StepSubmitted); ev.State != ui.StepDone {
		t.Fatalf("the submitted row: %+v", ev)
	}
	refused := false
	for _, v := range bank.Verdicts() {
		if f := v.Failed(); f != nil {
			if f.Rule != opbank.RuleExemptLimits {
				t.Fatalf("the bank refused a %s request: rule %d %s", v.Endpoint, f.Rule, f.Name)
			}
			refused = true
		}
	}
	if !refused {
		t.Fatal("OP never refused the exemption")
	}
	if ops := opOps(a); !slices.Contains(ops, opprov.OpExemption) || ops[len(ops)-1] == opprov.OpExemption {
		t.Fatalf("the trace: %v", ops)
	}
	// The fallback's code exchange is newer than the refused grant: the default sequence.
	if in, err := w.Inspect(context.Background()); err != nil || len(in.Steps) != len(opSequence) || in.Steps[4].State != ui.SeqDone {
		t.Fatalf("the inspector after the fallback: %+v %v", in.Steps, err)
	}
}

// TestOPExemptionSwitchedOff: with exemption = "off" the same second payment shows OP's page.
func TestOPExemptionSwitchedOff(t *testing.T) {
	clock := newSCAClock()
	cfg := opConfig(t)
	cfg.Banks[len(cfg.Banks)-1].Exemption = config.ExemptionOff
	a := openApp(t, cfg, clock)
	defer a.Close()
	w := a.UIWallet()
	_, js := onboard(t, w, clock, twoPayees()[:1])
	payAtOPFor(t, a, w, clock, js.totpSecret, "12.50")
	if second := payAtOPFor(t, a, w, clock, js.totpSecret, "9.00"); second.actions != 1 {
		t.Fatalf("OP's page shown %d times with the exemption off, want once", second.actions)
	}
	if slices.Contains(opOps(a), opprov.OpExemption) {
		t.Fatal("the exemption was tried with exemption = false")
	}
}
