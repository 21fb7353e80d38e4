package corewallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/payterm/payterm/consent"
	"github.com/payterm/payterm/money"
	"github.com/payterm/payterm/sca"
	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/ui/uitest"
	"github.com/payterm/payterm/wallet"
)

func init() { lipgloss.SetColorProfile(termenv.Ascii) }

// The paths under test never reach the bank or the token source: embedding the interfaces
// with nil values lets wallet.New accept the configuration while any call panics loudly.
type inertBank struct{ wallet.Bank }

type inertTokens struct{ wallet.Tokens }

var errNotHere = errors.New("not reached in this test")

// refusingSCA fails every authentication, counting down like sca.Authenticator.
type refusingSCA struct {
	mu   sync.Mutex
	left int
}

func (r *refusingSCA) Authenticate(sca.Intent, sca.PIN, sca.OTP) (*sca.Evidence, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.left--
	return nil, &sca.AuthError{Remaining: max(0, r.left)}
}

type extrasStub struct{ ui.OnboardingService }

func (extrasStub) Inspect(context.Context) (ui.Inspection, error) { return ui.Inspection{}, nil }
func (extrasStub) ExportSupportBundle(context.Context) (string, error) {
	return "", errNotHere
}

var base = time.Date(2030, 1, 15, 9, 30, 0, 0, time.UTC)

func amt(t testing.TB, minor int64) money.Amount {
	t.Helper()
	a, err := money.FromMinor(minor)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// creditor builds a consent creditor with its wire form the way onboarding records it.
func creditor(t testing.TB, name, iban, kind string) wallet.Creditor {
	t.Helper()
	typ := consent.CreditorIndividual
	in := consent.CreditorInput{IBAN: iban, AccountName: consent.Name{EN: name}, AccountType: typ}
	if kind == "corporate" {
		in.AccountType = consent.CreditorBusiness
	}
	if !isASCII(name) {
		in.AccountName = consent.Name{AR: name}
	}
	dc, err := consent.BuildCreditor(in)
	if err != nil {
		t.Fatal(err)
	}
	wire, err := json.Marshal(dc)
	if err != nil {
		t.Fatal(err)
	}
	return wallet.Creditor{Name: name, IBAN: iban, Kind: kind, Wire: wire}
}

func isASCII(s string) bool {
	for _, r := range s {
		if r > 127 {
			return false
		}
	}
	return true
}

// newAdapter opens a real ledger in a temp dir with one consent and n payments.
func newAdapter(t testing.TB, n int) (*Adapter, *wallet.Ledger) {
	t.Helper()
	ctx := context.Background()
	clock := func() time.Time { return base }
	led, err := wallet.OpenLedger(ctx, t.TempDir(), wallet.LedgerOptions{Now: clock, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { led.Close() })
	c := wallet.Consent{ID: "c0ffee00-0000-4000-8000-000000000001", Bank: "Sandbox Bank", Status: wallet.ConsentAuthorized,
		Created: base.AddDate(0, -1, 0), Expires: base.AddDate(0, 11, 0), Model: "list", PurposeCode: "MWP",
		DebtorAccount: "AE070331234567890123456",
		Creditors: []wallet.Creditor{creditor(t, "Test Payee One", "AE070331234567890123456", "retail"),
			creditor(t, "مثال تجريبي", "AE620260001015678901234", "corporate")}}
	if err := led.InsertConsent(ctx, c); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		p := &wallet.Payment{ConsentID: c.ID, PayeeName: c.Creditors[i%2].Name, PayeeIBAN: c.Creditors[i%2].IBAN,
			Amount: amt(t, int64(100*i)), Currency: "AED", Purpose: "MWP", Reference: fmt.Sprintf("Invoice %d", i),
			IdempotencyKey: fmt.Sprintf("key-%d", i), Request: []byte("signed"), RequestExp: base.Add(time.Hour)}
		if err := led.ReservePayment(ctx, p, wallet.Limits{}); err != nil {
			t.Fatal(err)
		}
		u := wallet.StatusUpdate{Status: wallet.PaymentPending, BankPaymentID: fmt.Sprintf("PAY-%04d", i)}
		if err := led.UpdatePaymentStatus(ctx, p.ID, u); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			if err := led.UpdatePaymentStatus(ctx, p.ID, wallet.StatusUpdate{Status: wallet.PaymentRejected,
				RejectCode: "AANI.AM04", RejectMessage: "Insufficient funds"}); err != nil {
				t.Fatal(err)
			}
		} else if i%3 == 1 {
			if err := led.UpdatePaymentStatus(ctx, p.ID, wallet.StatusUpdate{Status: wallet.PaymentAcceptedCreditSettlementCompleted}); err != nil {
				t.Fatal(err)
			}
		}
	}
	defaults := wallet.Limits{PerPayment: amt(t, 500000), PerDay: amt(t, 1000000)}
	w, err := wallet.New(wallet.Config{Ledger: led, Bank: inertBank{}, Tokens: inertTokens{}, SCA: &refusingSCA{left: 5},
		BankName: "Sandbox Bank", Clock: clock, Limits: defaults})
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(w, defaults, clock, Extras{Onboarding: extrasStub{}, Inspector: extrasStub{},
		Unlock: func(context.Context, ui.Secret) error { return nil },
		Recover: func(context.Context, ui.Secret, ui.Secret, ui.Secret) (ui.Secret, error) {
			return ui.Secret{}, errNotHere
		},
		Renew:       func(context.Context, string) (ui.BankStep, error) { return ui.BankStep{}, errNotHere },
		SecretStore: "encrypted file"})
	if err != nil {
		t.Fatal(err)
	}
	return a, led
}

func TestNewRequiresEveryService(t *testing.T) {
	if _, err := New(nil, wallet.Limits{}, nil, Extras{}); err == nil {
		t.Fatal("nil wallet accepted")
	}
}

func TestOverviewAndConsents(t *testing.T) {
	a, led := newAdapter(t, 6)
	ctx := context.Background()
	ov, err := a.Overview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ov.Onboarded {
		t.Error("not onboarded yet")
	}
	if ov.Active == nil || ov.Active.Bank != "Sandbox Bank" || ov.Active.DebtorMasked != "AE07 •••• 3456" {
		t.Fatalf("active consent = %+v", ov.Active)
	}
	// Settled 1, 4 and pending 2, 5 count towards the total; rejected 3, 6 do not.
	if got := ov.Active.TotalPaid.Display(); got != "12.00" {
		t.Errorf("total paid = %s", got)
	}
	if len(ov.Recent) != 5 || ov.Recent[0].Reference != "Invoice 6" {
		t.Errorf("recent = %+v", ov.Recent)
	}
	if err := led.MarkOnboarded(ctx); err != nil {
		t.Fatal(err)
	}
	if ov, _ = a.Overview(ctx); !ov.Onboarded {
		t.Error("onboarded flag not read")
	}
	cs, err := a.Consents(ctx)
	if err != nil || len(cs) != 1 || len(cs[0].Creditors) != 2 || cs[0].Creditors[1].Type != ui.PayeeCorporate {
		t.Fatalf("consents = %+v, %v", cs, err)
	}
	d, err := a.ConsentDetail(ctx, cs[0].ID)
	if err != nil || len(d.Payments) != 6 || len(d.Rules) == 0 {
		t.Fatalf("detail = %+v, %v", d, err)
	}
	if err := a.PauseConsent(ctx, cs[0].ID); err != nil {
		t.Fatal(err)
	}
	if ov, _ = a.Overview(ctx); ov.Active != nil {
		t.Error("a paused consent cannot pay")
	}
	if err := a.ReactivateConsent(ctx, cs[0].ID); err != nil {
		t.Fatal(err)
	}
	var pr *ui.Problem
	if _, err := a.ConsentDetail(ctx, "nope"); err == nil {
		t.Error("unknown consent accepted")
	} else if errors.As(err, &pr) && strings.Contains(pr.What, "AE07") {
		t.Error("PII in an error")
	}
}

// TestHistoryPagesLikeTheUI walks the real ledger with the same queries the history screen
// makes: newest page, older, newer, oldest, filters.
func TestHistoryPagesLikeTheUI(t *testing.T) {
	a, _ := newAdapter(t, 25)
	ctx := context.Background()
	first, err := a.History(ctx, ui.HistoryQuery{Limit: 10})
	if err != nil || len(first.Rows) != 10 || !first.More || first.Total != 25 || first.Rows[0].Reference != "Invoice 25" {
		t.Fatalf("first page = %+v, %v", first, err)
	}
	next, err := a.History(ctx, ui.HistoryQuery{Limit: 10, After: first.Rows[9].ID})
	if err != nil || len(next.Rows) != 10 || next.Rows[0].Reference != "Invoice 15" || next.Total != -1 {
		t.Fatalf("next page = %+v, %v", next, err)
	}
	prev, err := a.History(ctx, ui.HistoryQuery{Limit: 5, Before: next.Rows[0].ID})
	if err != nil || len(prev.Rows) != 5 || prev.Rows[0].Reference != "Invoice 20" || prev.Rows[4].Reference != "Invoice 16" {
		t.Fatalf("previous page = %+v, %v", prev, err)
	}
	oldest, err := a.History(ctx, ui.HistoryQuery{Limit: 10, Oldest: true})
	if err != nil || len(oldest.Rows) != 10 || oldest.Rows[9].Reference != "Invoice 1" || oldest.Rows[0].Reference != "Invoice 10" {
		t.Fatalf("oldest page = %+v, %v", oldest, err)
	}
	failed, err := a.History(ctx, ui.HistoryQuery{Limit: 50, Filter: ui.HistoryFilter{Outcome: ui.OutcomeFailed}})
	if err != nil || failed.Total != 8 || len(failed.Rows) != 8 {
		t.Fatalf("failed filter = %d rows, total %d, %v", len(failed.Rows), failed.Total, err)
	}
	arabic, err := a.History(ctx, ui.HistoryQuery{Limit: 50, Filter: ui.HistoryFilter{PayeeName: "مثال"}})
	if err != nil || arabic.Total != 13 {
		t.Fatalf("payee filter total = %d, %v", arabic.Total, err)
	}
	if _, err := a.History(ctx, ui.HistoryQuery{After: "x"}); err == nil {
		t.Error("a bad cursor was accepted")
	}
	d, err := a.Payment(ctx, first.Rows[1].ID) // Invoice 24: rejected
	if err != nil || d.Reason != "Insufficient funds (AANI.AM04)" || len(d.Timeline) < 3 {
		t.Fatalf("payment detail = %+v, %v", d, err)
	}
}

func TestLimitsRoundTrip(t *testing.T) {
	a, _ := newAdapter(t, 2)
	ctx := context.Background()
	h, err := a.Limits(ctx)
	if err != nil || h.Limits.PerPayment.Display() != "5,000.00" || h.Used.DayCount != 2 {
		t.Fatalf("limits = %+v, %v", h, err)
	}
	if err := a.SetLimits(ctx, ui.Limits{PerPayment: amt(t, 75000), PerDayCount: 3}); err != nil {
		t.Fatal(err)
	}
	if h, _ = a.Limits(ctx); h.Limits.PerPayment.Display() != "750.00" || h.Limits.PerDayCount != 3 || !h.Limits.PerDay.IsZero() {
		t.Fatalf("after edit = %+v", h.Limits)
	}
	codes, err := a.PurposeCodes(ctx)
	if err != nil || len(codes) < 50 || codes[0].Code > codes[1].Code {
		t.Fatalf("purpose codes: %d, %v", len(codes), err)
	}
}

// TestPrepareAndWrongSCA: Prepare runs on the real core; a wrong PIN/code comes back as one
// final SCA failure with the attempts left, and the same prepared payment can be retried.
func TestPrepareAndWrongSCA(t *testing.T) {
	a, _ := newAdapter(t, 0)
	ctx := context.Background()
	payees, err := a.Payees(ctx, "c0ffee00-0000-4000-8000-000000000001")
	if err != nil || len(payees) != 2 {
		t.Fatalf("payees = %+v, %v", payees, err)
	}
	_, err = a.PreparePayment(ctx, ui.PaymentDraft{ConsentID: "c0ffee00-0000-4000-8000-000000000001", PayeeID: payees[0].ID, Amount: "6000", Purpose: "MWP"})
	var pr *ui.Problem
	if !errors.As(err, &pr) {
		t.Fatalf("a limit refusal must be a *ui.Problem, got %v", err)
	}
	p, err := a.PreparePayment(ctx, ui.PaymentDraft{ConsentID: "c0ffee00-0000-4000-8000-000000000001", PayeeID: payees[1].ID, Amount: "1,250.5", Purpose: "MWP"})
	if err != nil || p.Amount.Display() != "1,250.50" || p.Payee.Name != "مثال تجريبي" || p.Purpose.Description == "" {
		t.Fatalf("prepared = %+v, %v", p, err)
	}
	for want := 4; want >= 3; want-- {
		ch, err := a.SubmitPayment(ctx, p.ID, ui.SCAInput{PIN: ui.NewSecret("123456"), TOTP: ui.NewSecret("000000")})
		if err != nil {
			t.Fatal(err)
		}
		var finals []ui.PaymentEvent
		for ev := range ch {
			if ev.Final {
				finals = append(finals, ev)
			}
		}
		if len(finals) != 1 || finals[0].Step != ui.StepSCA || finals[0].State != ui.StepFailed {
			t.Fatalf("final events = %+v", finals)
		}
		var se *ui.SCAError
		if !errors.As(finals[0].Err, &se) || se.AttemptsLeft != want {
			t.Fatalf("error = %v, want %d attempts left", finals[0].Err, want)
		}
	}
}

// TestHistoryScreenOnRealLedger drives the production UI over the adapter and a real SQLite
// ledger: the table, a detail with its timeline.
func TestHistoryScreenOnRealLedger(t *testing.T) {
	a, led := newAdapter(t, 30)
	if err := led.MarkOnboarded(context.Background()); err != nil {
		t.Fatal(err)
	}
	clock := uitest.NewClock(base)
	app := uitest.Start(t, a, uitest.WithClock(clock))
	app.WaitFor("Recent payments")
	app.Press("h")
	app.WaitFor("1 of 30")
	app.Press("j", "j", "j", "enter")
	app.WaitFor("Timeline")
	v := app.FinalView()
	for _, want := range []string{"Insufficient funds (AANI.AM04)", "PAY-0027", "Failed"} {
		if !strings.Contains(v, want) {
			t.Errorf("detail lacks %q:\n%s", want, v)
		}
	}
}
