// Package uifake is the fake wallet payterm's screen tests run on (ui.Wallet), exported so that
// testers can script journeys with ui/uitest from a module of their own (see testers/ at the
// repository's root). It is the very fake the ui tests use, and it agrees with the core where a
// screen shows what the core computes (a consent's payments and totals, limits' sentences).
package uifake

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/payterm/payterm/money"
	"github.com/payterm/payterm/ui"
)

// FakeWallet is deterministic test scaffolding for the screens: a fixed clock, stable ids,
// obviously fake names and the public example IBAN. Test scaffolding only: never shipped in the
// binary (nothing but tests imports this package).
type FakeWallet struct {
	mu  sync.Mutex
	Now func() time.Time

	Onboarded bool
	Sandbox   bool
	consents  []ui.Consent
	payees    []ui.Payee
	rows      []ui.PaymentRow // newest first
	index     map[string]int
	details   map[string]ui.PaymentDetail
	limits    ui.Limits
	usage     ui.Usage

	// SCA: the right PIN and code, attempts left, lock state.
	PIN, Code    string
	attemptsLeft int
	locked       bool

	// Outcome of the next payment: "settle", "reject", "pending", "refused" (the bank answered
	// 4xx: the core has the payment as Refused, with a receipt), "refuse" (no receipt).
	Outcome string
	// PayeeChecks, when set, makes the fake check new payees with a "bank" (Confirmation of
	// Payee): the answer for each typed name; a name not in it answers PayeeCheckNone.
	PayeeChecks map[string]ui.PayeeCheck
	accepted    []string // "name" or "name (no match confirmed)", in order
	// Hold, when non-nil, pauses a payment after "Saved" until it is closed (payment in flight).
	Hold chan struct{}
	// BankCallback, when non-nil, is what AwaitBankCallback waits for.
	BankCallback chan struct{}
	// AllStepsDone makes Inspect report every step done, none current.
	AllStepsDone bool
	// CurrentStep, when > 0, makes Inspect report that step current (the ones before it done).
	CurrentStep int
	// OverviewErr, when set, is returned by Overview (start-up failure).
	OverviewErr error
	hideBlock   bool

	// BankOptions is what Banks answers, in config order (one sandbox bank unless a test sets
	// more before the app starts; SetBanks changes it later). banksErr, when set, is Banks'
	// failure. bank is the BankOption.ID the last SaveBeneficiaries chose: ConsentTerms and the
	// authorised consent name that bank.
	BankOptions []ui.BankOption
	banksErr    error
	bank        string
	// BanksGate, when non-nil, makes Banks wait until it is closed (a slow bank list).
	BanksGate chan struct{}
	// consentsErr, when set, is Consents' failure (SetConsentsErr); ConsentsGate, when non-nil,
	// makes Consents wait until it is closed (a slow list: keys typed after p arrive first).
	consentsErr  error
	ConsentsGate chan struct{}
	// PayeesGate, when non-nil, makes Payees wait until it is closed (the pay form loading).
	PayeesGate chan struct{}
	// TermsGate, when non-nil, makes ConsentTerms wait until it is closed (the consent page
	// loading); termsFails is how many of its next calls fail (FailTerms).
	TermsGate  chan struct{}
	termsFails int
	// EnrolGate, when non-nil, makes EnrolTOTP wait until it is closed (the authenticator key
	// being created); enrolFails is how many of its next calls fail (FailEnrol).
	EnrolGate  chan struct{}
	enrolFails int

	steps int // consent requests staged (BeginBankStep, RenewConsent)
	// approvedInBrowser is the consent ApproveInBrowser authorised, without anyone waiting.
	approvedInBrowser *ui.Consent
	bankURL           string // SetBankURL
	pasteBack         bool   // SetPasteBack
	deny              bool   // the user denies at the bank (SetDeny)
	debtor            string // the plan's debtor account (PII), which the authorised consent shows masked
	plan              ui.BeneficiaryPlan
	nextPay           int
	receipt           string // the ledger id of the last payment submitted
	prepared          map[string]ui.PreparedPayment
	// subs are the change feeds (Changes): like the core, every change the fake records is
	// published, whoever made it.
	subs   []chan ui.Change
	drafts []ui.PaymentDraft
	calls  []string

	// bg is the fake's Berlin Group bank (fake_bg_test.go): its consent, payees, limits and the
	// script of its approval step.
	bg fakeBG
	// bundle is the fake OP bank's bundles (bundle.go).
	bundle fakeBundles
	// walletBanks are Overview's and Inspect's banks side by side (NewFakeThreeBankWallet);
	// nil as a core with one standard may leave them.
	walletBanks []ui.BankOption
}

// LastPlan is the beneficiary plan SaveBeneficiaries received last.
func (f *FakeWallet) LastPlan() ui.BeneficiaryPlan {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.plan
}

// Drafts lists the payment drafts PreparePayment received, in order (which consent pays).
func (f *FakeWallet) Drafts() []ui.PaymentDraft {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]ui.PaymentDraft(nil), f.drafts...)
}

// FakeSandboxBank is the fake's one bank unless a test configures more.
var FakeSandboxBank = ui.BankOption{ID: "sandbox", Name: "Sandbox Bank", Sandbox: true}

// FakeBase is the fake clock's start: a fixed instant far from any real date.
var FakeBase = time.Date(2030, 1, 15, 9, 30, 0, 0, time.UTC)

// fakeConsentID is the consent the seeded payments (and AddPayment's) were made with.
const fakeConsentID = "c0ffee00-0000-4000-8000-000000000001"

// fakeIBAN is the public example UAE IBAN from the standard's documentation (not a real account).
const fakeIBAN = "AE070331234567890123456"

// NewFakeWallet returns an onboarded wallet with one active consent, three payees (one with an
// Arabic name), n payments and sensible limits.
func NewFakeWallet(now func() time.Time, n int) *FakeWallet {
	f := &FakeWallet{Now: now, Onboarded: true, PIN: "123456", Code: "654321", attemptsLeft: 5,
		Outcome: "settle", details: map[string]ui.PaymentDetail{}, prepared: map[string]ui.PreparedPayment{}}
	f.payees = []ui.Payee{
		{ID: "payee-1", Name: "Test Payee One", IBAN: fakeIBAN, Type: ui.PayeeRetail},
		{ID: "payee-2", Name: "Example Trading LLC", IBAN: "AE620260001015678901234", Type: ui.PayeeCorporate},
		{ID: "payee-3", Name: "مثال تجريبي", IBAN: "AE290330000012345678901", Type: ui.PayeeRetail},
	}
	f.BankOptions = []ui.BankOption{FakeSandboxBank}
	f.consents = []ui.Consent{
		{ID: fakeConsentID, Bank: "Sandbox Bank", BankID: "sandbox", Status: ui.ConsentAuthorized,
			Created: FakeBase.AddDate(0, -2, 0), Expires: FakeBase.AddDate(0, 10, 0), Model: ui.BeneficiaryList,
			Creditors: f.payees, DebtorMasked: "AE07 •••• 3456", PurposeCode: "MWP"},
		{ID: "c0ffee00-0000-4000-8000-000000000000", Bank: "Sandbox Bank", BankID: "sandbox", Status: ui.ConsentRevoked,
			Created: FakeBase.AddDate(-1, 0, 0), Expires: FakeBase.AddDate(0, -1, 0), Model: ui.BeneficiaryOne,
			Creditors: f.payees[:1], PurposeCode: "MWP"},
	}
	f.limits = ui.Limits{PerPayment: amt(500000), PerDay: amt(1000000), PerMonth: amt(5000000), PerDayCount: 10, ConsentTotal: amt(50000000)}
	f.seed(n)
	return f
}

func amt(minor int64) money.Amount {
	a, err := money.FromMinor(minor)
	if err != nil {
		panic(err) // test fixture constants only
	}
	return a
}

// seed creates n payments, newest first, one minute apart, with cycling payees and statuses.
func (f *FakeWallet) seed(n int) {
	statuses := []ui.PaymentStatus{ui.PaymentAcceptedCreditSettlementCompleted, ui.PaymentAcceptedCreditSettlementCompleted,
		ui.PaymentPending, ui.PaymentRejected, ui.PaymentAcceptedWithoutPosting}
	f.rows = make([]ui.PaymentRow, n)
	f.index = make(map[string]int, n)
	for i := range n {
		id := fmt.Sprintf("p%07d", n-i)
		r := ui.PaymentRow{ID: id, PaymentID: fmt.Sprintf("PAY-%07d", n-i), At: FakeBase.Add(-time.Duration(i+1) * time.Hour),
			PayeeName: f.payees[i%len(f.payees)].Name, Amount: amt(int64(1000 + (i*3701)%250000)),
			Status: statuses[i%len(statuses)], Reference: fmt.Sprintf("Invoice %d", n-i)}
		f.rows[i] = r
		f.index[id] = i
	}
	total, _ := f.paidBy(fakeConsentID)
	f.usage = ui.Usage{Day: amt(250000), DayCount: 2, Month: amt(1250000), Consent: amt(min(total.Minor(), 49000000))}
}

// paidBy is what a consent has paid, as the core counts it (wallet.Ledger.ConsentPaid): the
// payments made with it that the bank accepted; queued, pending and failed ones are not paid.
// The fake's payments are all made with fakeConsentID.
func (f *FakeWallet) paidBy(consentID string) (money.Amount, int) {
	sum, n := money.Zero, 0
	if consentID != fakeConsentID {
		return sum, n
	}
	for _, r := range f.rows {
		if ui.PaymentPaid(r.Status) {
			sum, _ = sum.Add(r.Amount)
			n++
		}
	}
	return sum, n
}

// withPaid is c with what it has paid, read from the payments as the core does. A consent a
// test added with figures of its own and no payments here keeps them.
func (f *FakeWallet) withPaid(c ui.Consent) ui.Consent {
	if c.ID == fakeConsentID {
		c.TotalPaid, c.PaymentCount = f.paidBy(c.ID)
	}
	return c
}

// Block blocks payments as five failed authentications would.
func (f *FakeWallet) Block() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.locked, f.attemptsLeft = true, 0
}

// gated records the call, then, when *gate (read under f.mu) is set, waits until it is
// closed: a slow wallet call. what names the call in the error when ctx ends first.
func (f *FakeWallet) gated(ctx context.Context, call string, gate *chan struct{}, what string) error {
	f.mu.Lock()
	f.call(call)
	g := *gate
	f.mu.Unlock()
	if g == nil {
		return nil
	}
	select {
	case <-g:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", what, ctx.Err())
	}
}

// FailTerms makes the next n ConsentTerms calls fail as an unreachable bank would.
func (f *FakeWallet) FailTerms(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.termsFails = n
}

// FailEnrol makes the next n EnrolTOTP calls fail.
func (f *FakeWallet) FailEnrol(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.enrolFails = n
}

// AddPayment puts r at the top of the history (a payment made elsewhere or since the screen opened).
func (f *FakeWallet) AddPayment(r ui.PaymentRow) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rows = append([]ui.PaymentRow{r}, f.rows...)
	for i, row := range f.rows {
		f.index[row.ID] = i
	}
	f.publish(ui.Change{Kind: ui.PaymentChanged, ID: r.ID})
}

// SetPaymentStatus records a new status for payment id (the background resume settled it),
// and publishes the change as the core does.
func (f *FakeWallet) SetPaymentStatus(id string, st ui.PaymentStatus) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if i, ok := f.index[id]; ok {
		f.rows[i].Status = st
	}
	if d, ok := f.details[id]; ok {
		d.Row.Status = st
		f.details[id] = d
	}
	f.publish(ui.Change{Kind: ui.PaymentChanged, ID: id})
}

// LastReceiptID is the ledger id of the last payment submitted.
func (f *FakeWallet) LastReceiptID() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.receipt
}

// Changes is the fake's change feed: a buffered channel per subscriber, closed when ctx ends.
func (f *FakeWallet) Changes(ctx context.Context) <-chan ui.Change {
	ch := make(chan ui.Change, 256)
	f.mu.Lock()
	f.subs = append(f.subs, ch)
	f.mu.Unlock()
	go func() {
		<-ctx.Done()
		f.mu.Lock()
		defer f.mu.Unlock()
		for i, s := range f.subs {
			if s == ch {
				f.subs = append(f.subs[:i], f.subs[i+1:]...)
				break
			}
		}
		close(ch)
	}()
	return ch
}

// publish sends c to every feed; the caller holds f.mu. A full feed gets nothing more (a test
// that records hundreds of changes unread has a bug of its own).
func (f *FakeWallet) publish(c ui.Change) {
	for _, s := range f.subs {
		select {
		case s <- c:
		default:
		}
	}
}

// SetHideBlock makes Overview leave PaymentsBlocked false while blocked (a core that cannot tell).
func (f *FakeWallet) SetHideBlock(hide bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hideBlock = hide
}

// SetOverviewErr sets or clears the start-up failure.
func (f *FakeWallet) SetOverviewErr(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.OverviewErr = err
}

func (f *FakeWallet) call(name string) {
	f.calls = append(f.calls, name)
}

// Calls lists the wallet methods called, in order.
func (f *FakeWallet) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// CallCount is how many times the wallet method name was called.
func (f *FakeWallet) CallCount(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c == name {
			n++
		}
	}
	return n
}

func (f *FakeWallet) headroom() ui.Headroom { return ui.Headroom{Limits: f.limits, Used: f.usage} }

func (f *FakeWallet) Overview(ctx context.Context) (ui.Overview, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("Overview")
	if f.OverviewErr != nil {
		return ui.Overview{}, f.OverviewErr
	}
	ov := ui.Overview{Onboarded: f.Onboarded, Headroom: f.headroom(), SecretStore: "OS keyring (Secret Service)", Sandbox: f.Sandbox}
	// As the core (app.activeConsent): the newest consent that can pay now; failing that, the
	// newest one still in place (paused, suspended, awaiting authorisation), so Home can say
	// why it cannot pay.
	now := f.Now()
	// What each consent paid, summed once: the payments are a slice here, scanned whole.
	consents := make([]ui.Consent, len(f.consents))
	for i := range f.consents {
		consents[i] = f.withPaid(f.consents[i])
	}
	for _, usable := range []bool{true, false} {
		for _, c := range consents {
			// A link without an end (Expires zero) pays, as the core's Usable says.
			if ov.Active == nil && c.Current() && (usable && ui.CanPayNow(c, now) || !usable && now.Before(c.Expires)) {
				ov.Active = &c
			}
		}
	}
	ov.Recent = append([]ui.PaymentRow(nil), f.rows[:min(5, len(f.rows))]...)
	ov.PaymentsBlocked = f.locked && !f.hideBlock
	f.bgOverview(&ov)
	f.bundlesOverview(&ov)
	ov.Banks = append([]ui.BankOption(nil), f.walletBanks...)
	return ov, nil
}

func (f *FakeWallet) scaCheck(pin, code string) error {
	if f.locked {
		return &ui.SCAError{Locked: true}
	}
	if pin == f.PIN && code == f.Code {
		f.attemptsLeft = 5
		return nil
	}
	f.attemptsLeft--
	if f.attemptsLeft <= 0 {
		f.locked = true
		return &ui.SCAError{Locked: true}
	}
	return &ui.SCAError{AttemptsLeft: f.attemptsLeft}
}

func (f *FakeWallet) Unlock(ctx context.Context, pin ui.Secret) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("Unlock")
	if pin.Reveal() != f.PIN {
		return &ui.SCAError{AttemptsLeft: 4}
	}
	return nil
}

func (f *FakeWallet) SetPIN(ctx context.Context, pin ui.Secret) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("SetPIN")
	f.PIN = pin.Reveal()
	return nil
}

func (f *FakeWallet) EnrolTOTP(ctx context.Context) (ui.TOTPEnrolment, error) {
	if err := f.gated(ctx, "EnrolTOTP", &f.EnrolGate, "authenticator key"); err != nil {
		return ui.TOTPEnrolment{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.enrolFails > 0 {
		f.enrolFails--
		return ui.TOTPEnrolment{}, &ui.Problem{What: "The authenticator secret could not be created.", Next: "Try again."}
	}
	// A visibly fake base32 seed (never a real one in a golden file).
	return ui.TOTPEnrolment{Secret: ui.NewSecret("TESTTESTTESTTESTTESTTESTTESTTEST"),
		URI:    ui.NewSecret("otpauth://totp/payterm:test?secret=TESTTESTTESTTESTTESTTESTTESTTEST&issuer=payterm"),
		Issuer: "payterm", Account: "test", Digits: 6, Period: 30 * time.Second}, nil
}

// FakeRecovery is the fake's recovery code: visibly not a real one.
const FakeRecovery = "TEST-RCVR-CODE-0001"

func (f *FakeWallet) ConfirmTOTP(ctx context.Context, code ui.Secret) (ui.Secret, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("ConfirmTOTP")
	if code.Reveal() != f.Code {
		return ui.Secret{}, &ui.Problem{What: "That code is not the one your app shows now.", Next: "Check the app's clock and type the current code."}
	}
	return ui.NewSecret(FakeRecovery), nil
}

func (f *FakeWallet) Recover(ctx context.Context, recovery, code, newPIN ui.Secret) (ui.Secret, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("Recover")
	if recovery.Reveal() != FakeRecovery || code.Reveal() != f.Code {
		return ui.Secret{}, &ui.Problem{What: "The recovery code or the authenticator code is not correct.", Next: "Check both and try again."}
	}
	f.PIN, f.locked, f.attemptsLeft = newPIN.Reveal(), false, 5
	return ui.NewSecret("TEST-RCVR-CODE-0002"), nil
}

// FakeBankURL is the address the fake's bank step shows.
var FakeBankURL = FakeStep.URL

// SetBankName renames the bank of every consent (a long name tests column sizing).
func (f *FakeWallet) SetBankName(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.consents {
		f.consents[i].Bank = name
	}
}

// Consent returns a copy of consent i (for assertions).
func (f *FakeWallet) Consent(i int) ui.Consent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.consents[i]
}

// FakeNotOnboarded returns a first-run wallet: no consent, no payees, no payments.
func FakeNotOnboarded(now func() time.Time) *FakeWallet {
	f := NewFakeWallet(now, 0)
	f.Onboarded = false
	f.consents = f.consents[1:]
	f.payees = nil
	return f
}

var _ ui.Wallet = (*FakeWallet)(nil)

// AddConsent puts c first in the consent list (the newest), e.g. a second consent at another bank.
func (f *FakeWallet) AddConsent(c ui.Consent) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.consents = append([]ui.Consent{c}, f.consents...)
	f.publish(ui.Change{Kind: ui.ConsentChanged, ID: c.ID})
}

// EditConsent changes consent i in place (for states such as near expiry or suspended).
func (f *FakeWallet) EditConsent(i int, edit func(c *ui.Consent)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	edit(&f.consents[i])
	f.publish(ui.Change{Kind: ui.ConsentChanged, ID: f.consents[i].ID})
}

// RestoreLinkEnd is the core once an OP link's approval is back (the secret store opened in
// the background): consent i's end is known, and every screen is told that everything changed.
func (f *FakeWallet) RestoreLinkEnd(i int, end time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.consents[i].Expires, f.consents[i].ExpiryRestoring = end, false
	f.publish(ui.Change{Kind: ui.EverythingChanged})
}

// plural renders n with its noun in the right number, as the screens do ("1 named payee").
func plural(n int, one, many string) string {
	if n == 1 || n == -1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
