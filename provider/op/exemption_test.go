package op

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/money"
	"github.com/payterm/payterm/provider"
	opbank "github.com/payterm/payterm/sandbox/op"
)

func eur(s string) money.Amount { a, _ := money.ParseWire(s); return a }

func TestPredictExemption(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	sca := now.Add(-24 * time.Hour)
	m := func(s string) provider.Money { return provider.Money{Amount: eur(s), Currency: "EUR"} }
	p := PredictExemption(m("25.00"), []money.Amount{eur("20.00")}, sca, now)
	if !p.Likely || p.Count != 2 || p.Sum.Wire() != "45.00" || !strings.HasPrefix(p.Words, "OP may not ask: 2 of 5, 45.00 of 100.00 EUR since your last bank approval") {
		t.Fatalf("%+v", p)
	}
	for name, c := range map[string]struct {
		amt   provider.Money
		since []money.Amount
		sca   time.Time
	}{
		"30.00":      {m("30.00"), nil, sca},
		"count":      {m("1.00"), []money.Amount{eur("1.00"), eur("1.00"), eur("1.00"), eur("1.00"), eur("1.00")}, sca},
		"cumulative": {m("10.00"), []money.Amount{eur("29.00"), eur("29.00"), eur("29.00"), eur("3.00")}, sca},
		"no SCA":     {m("1.00"), nil, time.Time{}},
		"46 days":    {m("1.00"), nil, now.Add(-46 * 24 * time.Hour)},
		"currency":   {provider.Money{Amount: eur("1.00"), Currency: "SEK"}, nil, sca},
	} {
		if p := PredictExemption(c.amt, c.since, c.sca, now); p.Likely || !strings.HasPrefix(p.Words, "OP will ask you to approve") {
			t.Fatalf("%s: %+v", name, p)
		}
	}
}

// sca runs one default-flow payment to its end: the bank approval the exemption re-uses.
func (j *journey) sca() {
	j.t.Helper()
	ctx := context.Background()
	p := j.created("8.00")
	st, act, _ := j.client.Approve(ctx, p, provider.Input{})
	p.State = st
	if _, _, err := j.client.Approve(ctx, p, provider.Input{CallbackURL: j.browse(act, "approve", nil)}); err != nil {
		j.t.Fatal(err)
	}
}

func (j *journey) built(amount string) provider.Payment {
	j.t.Helper()
	in := jintent(amount)
	req, err := j.client.Build(context.Background(), in, provider.Evidence{}, provider.Facts{})
	if err != nil {
		j.t.Fatal(err)
	}
	return provider.Payment{Amount: in.Amount, Request: req}
}

func TestJourneyExemptionWithoutBrowser(t *testing.T) {
	j := newJourney(t, "")
	ctx := context.Background()
	j.sca()
	p := j.built("12.00")
	st, err := j.client.SendExempt(ctx, p, j.clk.Now().Add(-time.Hour))
	if err != nil || st.BankStatus != "Accepted" || !mustMemo(t, st).Exempt {
		t.Fatalf("%+v %v", st, err)
	}
	p.State = st
	if st, err = j.client.Status(ctx, p); err != nil || st.Status != provider.StatusExecuted {
		t.Fatalf("%+v %v", st, err)
	}
	if j.bank.PaymentDebits(st.BankRef) != 1 {
		t.Fatal("not debited once")
	}
	j.allPassed()
}

// OP refuses the exemption (payments made elsewhere used the allowance, which the wallet's
// prediction cannot see): the same payment completes through the default flow, paid once.
func TestJourneyExemptionRefusedFallsBackPaidOnce(t *testing.T) {
	j := newJourney(t, "")
	ctx := context.Background()
	j.sca()
	j.bank.AddOtherChannelExemptions("sandbox-user", 1, 9000)
	if pr := PredictExemption(provider.Money{Amount: eur("15.00"), Currency: "EUR"}, nil, j.clk.Now().Add(-time.Minute), j.clk.Now()); !pr.Likely {
		t.Fatalf("the wallet cannot see other channels: %+v", pr)
	}
	p := j.built("15.00")
	st, err := j.client.SendExempt(ctx, p, j.clk.Now())
	if !errors.Is(err, ErrExemptionRefused) || st.Blob == nil {
		t.Fatalf("%+v %v", st, err)
	}
	if f := lastFailure(j.bank.Verdicts()); f == nil || f.Rule != opbank.RuleExemptLimits {
		t.Fatalf("refused by %+v", f)
	}
	if m := mustMemo(t, st); !m.Exempt || !m.ExemptRefused {
		t.Fatalf("memo %+v", m)
	}
	p.State = st
	st, act, err := j.client.Approve(ctx, p, provider.Input{})
	if err != nil || act == nil {
		t.Fatalf("%v %+v", err, act)
	}
	p.State = st
	st, _, err = j.client.Approve(ctx, p, provider.Input{CallbackURL: j.browse(act, "approve", nil)})
	if err != nil || st.BankStatus != "Accepted" {
		t.Fatalf("%+v %v", st, err)
	}
	p.State = st
	if st, err = j.client.Status(ctx, p); err != nil || st.Status != provider.StatusExecuted {
		t.Fatalf("%+v %v", st, err)
	}
	if j.bank.PaymentDebits(st.BankRef) != 1 || j.bank.Payments() != 2 {
		t.Fatalf("debits %d, payments %d (the SCA's and this one)", j.bank.PaymentDebits(st.BankRef), j.bank.Payments())
	}
}

func TestJourneyExemptionWithoutAnApprovalCreatesNothing(t *testing.T) {
	j := newJourney(t, "")
	p := j.built("5.00")
	st, err := j.client.SendExempt(context.Background(), p, j.clk.Now())
	if !errors.Is(err, ErrExemptionRefused) || st.Blob != nil || j.bank.Payments() != 0 {
		t.Fatalf("%+v %v", st, err)
	}
	// The default flow takes the same request.
	if _, err := j.client.Send(context.Background(), p); err != nil || j.bank.Payments() != 1 {
		t.Fatal(err)
	}
}

// With TryExemption the seam's Send tries the exemption first: a small payment after a bank
// approval is paid with no page; one OP refuses comes back waiting for approval and the
// default flow pays that same payment, once.
func TestJourneySendTriesTheExemption(t *testing.T) {
	j := newJourney(t, "")
	j.client.cfg.TryExemption = true
	ctx := context.Background()
	first := j.created("8.00") // no approval held yet: the default flow
	if first.State.Status != provider.StatusAwaitingBankSCA || mustMemo(t, first.State).Exempt {
		t.Fatalf("%+v", first.State)
	}
	st, act, _ := j.client.Approve(ctx, first, provider.Input{})
	first.State = st
	if _, _, err := j.client.Approve(ctx, first, provider.Input{CallbackURL: j.browse(act, "approve", nil)}); err != nil {
		t.Fatal(err)
	}
	// Send creates it with the payer's token; Approve asks OP to waive its approval: no page.
	small := j.created("12.00")
	if small.State.Status != provider.StatusAwaitingBankSCA || !mustMemo(t, small.State).Exempt {
		t.Fatalf("exempt: %+v", small.State)
	}
	if st, act, err := j.client.Approve(ctx, small, provider.Input{}); err != nil || act != nil || st.BankStatus != "Accepted" || !st.ApprovalWaived {
		t.Fatalf("exempt: %+v %+v %v", st, act, err)
	}
	big := j.created("35.00") // not tried: 35.00 is not below 30.00
	if big.State.Status != provider.StatusAwaitingBankSCA || mustMemo(t, big.State).Exempt {
		t.Fatalf("big: %+v", big.State)
	}
	j.bank.AddOtherChannelExemptions("sandbox-user", 4, 100) // OP's count is now full
	refused := j.created("5.00")
	if refused.State.Status != provider.StatusAwaitingBankSCA || !mustMemo(t, refused.State).Exempt {
		t.Fatalf("refused: %+v", refused.State)
	}
	st, act, err := j.client.Approve(ctx, refused, provider.Input{})
	if err != nil || act == nil || st.ApprovalWaived || !mustMemo(t, st).ExemptRefused {
		t.Fatalf("%v %+v %+v", err, act, st)
	}
	if f := lastFailure(j.bank.Verdicts()); f == nil || f.Rule != opbank.RuleExemptLimits {
		t.Fatalf("refused by %+v", f)
	}
	refused.State = st
	if st, _, err = j.client.Approve(ctx, refused, provider.Input{CallbackURL: j.browse(act, "approve", nil)}); err != nil || st.BankStatus != "Accepted" {
		t.Fatalf("%+v %v", st, err)
	}
	refused.State = st
	if st, err = j.client.Status(ctx, refused); err != nil || st.Status != provider.StatusExecuted || j.bank.PaymentDebits(st.BankRef) != 1 {
		t.Fatalf("%+v %v", st, err)
	}
	if j.bank.Payments() != 4 {
		t.Fatalf("payments %d", j.bank.Payments())
	}
}

// The wallet dies after the exemption flow created the payment and before OP answered the
// jwt-bearer grant (so nothing of it was stored but the request): a new client (the restarted
// wallet, its tokens gone) looks the payment up under the same idempotency key, and the
// default flow pays that same payment, once.
func TestJourneyKilledInsideTheExemptionPaysOnce(t *testing.T) {
	j := newJourney(t, "")
	ctx := context.Background()
	j.sca()
	p := j.built("6.00")
	st, _ := decodeStored(p.Request.Bytes)
	_, u := j.client.latestRefresh()
	tok, err := j.client.tokenCall(ctx, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {u.refresh}, "scope": {"payments"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := j.client.createWith(ctx, st, tok.AccessToken, nil); err != nil {
		t.Fatal(err)
	}
	// Killed here. The restarted wallet: a new client, the same stored request.
	restarted, err := New(j.client.cfg)
	if err != nil {
		t.Fatal(err)
	}
	found, err := restarted.Lookup(ctx, p)
	if err != nil || found.Status != provider.StatusAwaitingBankSCA || j.bank.Payments() != 2 {
		t.Fatalf("%+v %v (payments %d)", found, err, j.bank.Payments())
	}
	p.State = found
	s, act, _ := restarted.Approve(ctx, p, provider.Input{})
	p.State = s
	if s, _, err = restarted.Approve(ctx, p, provider.Input{CallbackURL: j.browse(act, "approve", nil)}); err != nil {
		t.Fatal(err)
	}
	p.State = s
	if s, err = restarted.Status(ctx, p); err != nil || s.Status != provider.StatusExecuted || j.bank.PaymentDebits(s.BankRef) != 1 || j.bank.Payments() != 2 {
		t.Fatalf("%+v %v", s, err)
	}
}

// lastFailure is the rule the bank's latest refused request broke (nil when none was refused).
func lastFailure(vs []opbank.Verdict) *opbank.Check {
	for i := len(vs) - 1; i >= 0; i-- {
		if f := vs[i].Failed(); f != nil {
			return f
		}
	}
	return nil
}

// The submission of an exemption payment is made but both of its answers are lost (SendExempt
// sends the same submissionId twice): the outcome is unknown, and Lookup with the memo the
// create left resolves it — the payment read by its id and the submission under the derived
// submissionId, never created again (the idempotency key's payment has moved on: a resend
// would meet DuplicatePayment). Paid once.
func TestJourneyLostExemptSubmissionResolvedByLookup(t *testing.T) {
	j := newJourney(t, "")
	ctx := context.Background()
	j.sca()
	p := j.built("9.00")
	j.bank.DropNextSubmitAnswers(2)
	st, err := j.client.SendExempt(ctx, p, j.clk.Now())
	if !errors.Is(err, provider.ErrOutcomeUnknown) || mustMemo(t, st).SubmissionID == "" {
		t.Fatalf("%+v %v", st, err)
	}
	p.State = st
	found, err := j.client.Lookup(ctx, p)
	if err != nil || !submitted(found) || j.bank.PaymentDebits(found.BankRef) != 1 || j.bank.Payments() != 2 {
		t.Fatalf("%+v %v (payments %d)", found, err, j.bank.Payments())
	}
	// Without the memo the same request meets DuplicatePayment: the reason Lookup reads by id.
	p.State = provider.State{}
	if _, err := j.client.Lookup(ctx, p); err == nil {
		t.Fatal("a resend under the moved-on key was taken")
	}
	if j.bank.Payments() != 2 {
		t.Fatalf("payments %d", j.bank.Payments())
	}
}

// In the wallet's flow (TryExemption) the submission after OP waived its approval loses both
// answers inside Approve; the core keeps the memo Send left (no submissionId, no state). The
// next Approve (a resume) finds OP's grant already used — the payment moved on — reads it at
// OP and takes its submission under the derived id: paid once, no page shown.
func TestJourneyExemptSubmissionLostInApproveResolvedNextTime(t *testing.T) {
	j := newJourney(t, "")
	j.client.cfg.TryExemption = true
	ctx := context.Background()
	j.sca()
	p := j.created("9.00")
	if !mustMemo(t, p.State).Exempt {
		t.Fatalf("%+v", p.State)
	}
	j.bank.DropNextSubmitAnswers(2)
	if _, act, err := j.client.Approve(ctx, p, provider.Input{}); !errors.Is(err, provider.ErrOutcomeUnknown) || act != nil {
		t.Fatalf("%+v %v", act, err)
	}
	st, act, err := j.client.Approve(ctx, p, provider.Input{})
	if err != nil || act != nil || !submitted(st) || !st.ApprovalWaived || j.bank.PaymentDebits(st.BankRef) != 1 || j.bank.Payments() != 2 {
		t.Fatalf("%+v %+v %v (payments %d)", st, act, err, j.bank.Payments())
	}
}

// submitted: OP holds the submission (Accepted, or Submitted by now on the bank's clock).
func submitted(s provider.State) bool {
	return s.BankStatus == "Accepted" || s.BankStatus == "Submitted"
}

// ForecastApproval counts, from the ledger's earlier payments, only the exemption payments OP
// waived since the latest approval whose tokens are held: not one OP refused (approved on its
// page), not one rejected, not one from before that approval, not a default-flow payment.
func TestForecastApprovalCountsWaivedPaymentsSinceTheApproval(t *testing.T) {
	j := newJourney(t, "")
	now := j.clk.Now()
	amt := provider.Money{Amount: eur("5.00"), Currency: "EUR"}
	if got := j.client.ForecastApproval(context.Background(), intentOf(amt), nil, now); got != "" {
		t.Fatalf("exemption off: %q", got)
	}
	j.client.cfg.TryExemption = true
	if got := j.client.ForecastApproval(context.Background(), intentOf(amt), nil, now); !strings.HasPrefix(got, "OP will ask you to approve: there is no bank approval") {
		t.Fatalf("no approval held: %q", got)
	}
	j.sca()
	now = j.clk.Now()
	memo := func(exempt, refused bool) []byte {
		return (&memo{V: storedVersion, PaymentID: "p", AuthorizationID: "a", Exempt: exempt, ExemptRefused: refused}).encode()
	}
	e := func(a string, at time.Time, st provider.Status, blob []byte) provider.Earlier {
		return provider.Earlier{Amount: provider.Money{Amount: eur(a), Currency: "EUR"}, Created: at, Status: st, Blob: blob}
	}
	earlier := []provider.Earlier{
		e("20.00", now, provider.StatusExecuted, memo(true, false)),                   // waived: counts
		e("3.00", now, provider.StatusProcessing, memo(true, false)),                  // waived: counts
		e("9.00", now, provider.StatusExecuted, memo(true, true)),                     // OP refused: its page
		e("9.00", now, provider.StatusRejected, memo(true, false)),                    // moved no money
		e("9.00", now, provider.StatusExecuted, memo(false, false)),                   // the default flow
		e("9.00", now.Add(-48*time.Hour), provider.StatusExecuted, memo(true, false)), // before the approval
		e("9.00", now, provider.Status("Unknown"), memo(true, false)),                 // not known to be paid
		e("9.00", now, provider.StatusExecuted, []byte("not a memo")),
	}
	got := j.client.ForecastApproval(context.Background(), intentOf(amt), earlier, now)
	if !strings.HasPrefix(got, "OP may not ask: 3 of 5, 28.00 of 100.00 EUR since your last bank approval") {
		t.Fatalf("forecast %q", got)
	}
	if got := j.client.ForecastApproval(context.Background(), intentOf(provider.Money{Amount: eur("5.00"), Currency: "SEK"}), earlier, now); got != "" {
		t.Fatalf("a SEK payment: %q", got)
	}
}

// The one window not closed: OP made the exemption grant but its answer (the only copy of the
// token that can submit the payment) was lost. OP holds the payment Authorized; the grant
// cannot be made again and the payer's other tokens act for another authorization. Approve
// says so, shows no page (OP's would not open for an approved payment), and submits nothing.
func TestJourneyLostExemptionGrantSaysSoAndSubmitsNothing(t *testing.T) {
	j := newJourney(t, "")
	j.client.cfg.TryExemption = true
	ctx := context.Background()
	j.sca()
	p := j.created("9.00")
	hc := j.client.cfg.HTTP
	hc.Transport = loseGrantAnswer{next: hc.Transport} // the jwt-bearer grant is made, its answer lost
	for i := 0; i < 2; i++ {
		st, act, err := j.client.Approve(ctx, p, provider.Input{})
		if err == nil || act != nil || !strings.Contains(err.Error(), "check it at OP before you pay again") || st.ApprovalWaived {
			t.Fatalf("try %d: %+v %+v %v", i, st, act, err)
		}
	}
	if n := j.bank.PaymentDebits(p.State.BankRef); n != 0 || j.bank.Payments() != 2 {
		t.Fatalf("debits %d, payments %d", n, j.bank.Payments())
	}
}

// loseGrantAnswer lets the jwt-bearer grant reach the bank and loses its answer.
type loseGrantAnswer struct{ next http.RoundTripper }

func (l loseGrantAnswer) RoundTrip(r *http.Request) (*http.Response, error) {
	grant := false
	if r.GetBody != nil {
		if b, err := r.GetBody(); err == nil {
			raw, _ := io.ReadAll(b)
			grant = strings.Contains(string(raw), "jwt-bearer")
		}
	}
	res, err := l.next.RoundTrip(r)
	if err == nil && grant {
		res.Body.Close()
		return nil, errors.New("connection reset (the answer was lost)")
	}
	return res, err
}

// intentOf is a SEPA payment of amount to a payee who is not one of the payer's accounts.
func intentOf(amount provider.Money) provider.Intent {
	return provider.Intent{Product: ProductID, Amount: amount, Creditor: provider.Party{Name: "Kahvila Oy", Account: "FI21 1234 5600 0007 85", Scheme: provider.SchemeIBAN}}
}
