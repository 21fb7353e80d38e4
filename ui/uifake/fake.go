// Package uifake is the fake wallet payterm's screen tests run on (ui.Wallet), exported so that
// testers can script journeys with ui/uitest from a module of their own (see testers/ at the
// repository's root). It is the very fake the ui tests use, and it agrees with the core where a
// screen shows what the core computes (a consent's payments and totals, limits' sentences).
package uifake

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
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

	steps     int    // consent requests staged (BeginBankStep, RenewConsent)
	bankURL   string // SetBankURL
	pasteBack bool   // SetPasteBack
	deny      bool   // the user denies at the bank (SetDeny)
	debtor    string // the plan's debtor account (PII), which the authorised consent shows masked
	plan      ui.BeneficiaryPlan
	nextPay   int
	receipt   string // the ledger id of the last payment submitted
	prepared  map[string]ui.PreparedPayment
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
	for _, usable := range []bool{true, false} {
		for i := range f.consents {
			c := f.withPaid(f.consents[i])
			if ov.Active == nil && c.Current() && now.Before(c.Expires) && (!usable || ui.CanPayNow(c, now)) {
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
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("EnrolTOTP")
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

func (f *FakeWallet) Banks(ctx context.Context) ([]ui.BankOption, error) {
	f.mu.Lock()
	f.call("Banks")
	gate := f.BanksGate
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, fmt.Errorf("list banks: %w", ctx.Err())
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.banksErr != nil {
		return nil, f.banksErr
	}
	return append([]ui.BankOption(nil), f.BankOptions...), nil
}

// SetBanks replaces the configured banks.
func (f *FakeWallet) SetBanks(banks ...ui.BankOption) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.BankOptions = banks
}

// SetBanksErr sets or clears Banks' failure.
func (f *FakeWallet) SetBanksErr(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.banksErr = err
}

// chosenBank is the bank the last plan named ("" = the first), or false when it is not one of
// BankOptions.
func (f *FakeWallet) chosenBank() (ui.BankOption, bool) {
	for _, b := range f.BankOptions {
		if b.ID == f.bank || f.bank == "" {
			return b, true
		}
	}
	return ui.BankOption{}, false
}

func (f *FakeWallet) SaveBeneficiaries(ctx context.Context, plan ui.BeneficiaryPlan) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call(fmt.Sprintf("SaveBeneficiaries(%s,%d,bank=%s)", plan.Model, len(plan.Payees), plan.Bank))
	f.plan = plan
	f.bank = plan.Bank
	if _, ok := f.chosenBank(); !ok {
		return &ui.Problem{What: "That bank is not in payterm's configuration.", Next: "Choose another bank."}
	}
	// As the core: the bank refuses an account without its holder's name (rule 18).
	if (plan.DebtorAccount == "") != (plan.DebtorName == "") {
		return &ui.Problem{What: "Your bank needs the account holder's name with the account's IBAN.", Next: "Give both, or neither."}
	}
	f.debtor = plan.DebtorAccount
	f.payees = nil
	for i, p := range plan.Payees {
		f.payees = append(f.payees, ui.Payee{ID: fmt.Sprintf("payee-%d", i+1), Name: p.Name, IBAN: p.IBAN, Type: p.Type})
	}
	return nil
}

func (f *FakeWallet) ConsentTerms(ctx context.Context) (ui.ConsentTerms, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("ConsentTerms")
	model := ui.BeneficiaryList
	switch len(f.payees) {
	case 0:
		model = ui.BeneficiaryOpen
	case 1:
		model = ui.BeneficiaryOne
	}
	b, _ := f.chosenBank()
	return ui.ConsentTerms{Bank: b.Name, Model: model, Payees: append([]ui.Payee(nil), f.payees...),
		Expires: FakeBase.AddDate(1, 0, -1), Purpose: ui.PurposeCode{Code: "MWP", Description: "Mobile Wallet Payments"}}, nil
}

// FakeStep is the first bank step BeginBankStep stages (golden files keep its address).
var FakeStep = ui.BankStep{ConsentID: "c0ffee00-0000-4000-8000-000000000002",
	// As long as a real one (~200 characters): it does not fit on one line of a 100-column terminal.
	URL: "https://bank.example/authorize?client_id=00000000-0000-4000-8000-00000000c11e&request_uri=" +
		"urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Abwc4JK-ESC0w8acc191e-Y1LTC2TestTestTest&response_type=code&scope=openid",
	InteractionID: "00000000-0000-4000-8000-0000000000aa",
	// As the core: the PAR's expires_in (the sandbox's 90 s); the bank sends the browser back
	// to a loopback callback.
	ExpiresAt: FakeBase.Add(90 * time.Second), CallbackHere: true}

func (f *FakeWallet) BeginBankStep(ctx context.Context) (ui.BankStep, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("BeginBankStep")
	return f.nextStep(), nil
}

// nextStep stages a consent request: as at the bank, each has its own consent and its own
// single-use address (the first is FakeStep, so golden files keep its address).
func (f *FakeWallet) nextStep() ui.BankStep {
	f.steps++
	st := FakeStep
	if f.bankURL != "" {
		st.URL = f.bankURL
	}
	if f.steps > 1 {
		n := fmt.Sprintf("%04d", f.steps)
		st.ConsentID = st.ConsentID[:len(st.ConsentID)-4] + n
		st.URL = strings.Replace(st.URL, "TestTestTest", "TestTest"+n, 1)
	}
	st.ExpiresAt = f.Now().Add(90 * time.Second)
	st.PasteBack = f.pasteBack
	return st
}

// SetBankURL sets the address of the bank's page in the consent requests staged from now on
// (the embedded sandbox's is on this computer).
func (f *FakeWallet) SetBankURL(u string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bankURL = u
}

// SetPasteBack makes the consent requests staged from now on paste-back ones (an https
// redirect_uri with no certificate for it): nothing waits for the bank's answer.
func (f *FakeWallet) SetPasteBack(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pasteBack = on
}

// SetDeny makes the bank answer every authorisation with the user's refusal (Deny).
func (f *FakeWallet) SetDeny(deny bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deny = deny
}

func (f *FakeWallet) authorised(step ui.BankStep) ui.Consent {
	b, _ := f.chosenBank()
	c := ui.Consent{ID: step.ConsentID, Bank: b.Name, BankID: b.ID, Status: ui.ConsentAuthorized, Created: FakeBase,
		Expires: FakeBase.AddDate(1, 0, -1), Model: ui.BeneficiaryList, Creditors: f.payees}
	if f.debtor != "" {
		c.DebtorMasked = ui.MaskIBAN(f.debtor)
	}
	f.Onboarded = true
	f.consents = append([]ui.Consent{c}, f.consents...)
	f.publish(ui.Change{Kind: ui.ConsentChanged, ID: c.ID})
	return c
}

func (f *FakeWallet) AwaitBankCallback(ctx context.Context, step ui.BankStep) (ui.Consent, error) {
	f.mu.Lock()
	f.call("AwaitBankCallback")
	ch := f.BankCallback
	if step.PasteBack {
		f.mu.Unlock()
		// As the core: nothing on this computer receives the answer.
		return ui.Consent{}, &ui.Problem{What: "payterm does not receive your bank's answer here: your browser lands on the redirect address.",
			Next: "Paste the address your browser shows after approving (v)."}
	}
	f.mu.Unlock()
	if ch != nil {
		select {
		case <-ch:
		case <-ctx.Done():
			return ui.Consent{}, fmt.Errorf("await bank callback: %w", ctx.Err())
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.deny {
		return ui.Consent{}, &ui.Problem{What: "You declined the consent at the bank.", Next: "Start again when you are ready to approve it."}
	}
	return f.authorised(step), nil
}

func (f *FakeWallet) CompleteBankStep(ctx context.Context, step ui.BankStep, callbackURL string) (ui.Consent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("CompleteBankStep")
	if !strings.Contains(callbackURL, "code=") {
		return ui.Consent{}, &ui.Problem{What: "That address has no authorisation code.", Next: "Paste the full address your browser shows after approving."}
	}
	return f.authorised(step), nil
}

func (f *FakeWallet) Consents(ctx context.Context) ([]ui.Consent, error) {
	f.mu.Lock()
	f.call("Consents")
	gate := f.ConsentsGate
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, fmt.Errorf("list consents: %w", ctx.Err())
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.consentsErr != nil {
		return nil, f.consentsErr
	}
	out := make([]ui.Consent, len(f.consents))
	for i, c := range f.consents {
		out[i] = f.withPaid(c)
	}
	return out, nil
}

// SetConsentsErr sets or clears Consents' failure.
func (f *FakeWallet) SetConsentsErr(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.consentsErr = err
}

func (f *FakeWallet) find(id string) (*ui.Consent, error) {
	for i := range f.consents {
		if f.consents[i].ID == id {
			return &f.consents[i], nil
		}
	}
	return nil, &ui.Problem{What: "That consent no longer exists.", Next: "Refresh the list (r)."}
}

func (f *FakeWallet) ConsentDetail(ctx context.Context, id string) (ui.ConsentDetail, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("ConsentDetail")
	c, err := f.find(id)
	if err != nil {
		return ui.ConsentDetail{}, err
	}
	if f.isBG(id) {
		return f.bgDetail(f.withPaid(*c)), nil
	}
	if id == fakeFTLinkID {
		return f.ftDetail(*c), nil
	}
	d := ui.ConsentDetail{Consent: f.withPaid(*c), Rules: []ui.Rule{
		{Label: "Type", Value: "Flexi Pay (delegated SCA): you approve each payment in payterm"}, // as long as the core's
		{Label: "Who you can pay", Value: plural(len(c.Creditors), "named payee", "named payees")},
		{Label: "Amounts", Value: "not fixed at the bank; your payterm limits apply"},
		{Label: "Purpose", Value: c.PurposeCode},
	}}
	// As the core: the consent's payments, newest first, up to 20, whatever its status now (a
	// revoked consent's payments were still made).
	if c.ID == fakeConsentID {
		d.Payments = append([]ui.PaymentRow(nil), f.rows[:min(20, len(f.rows))]...)
	}
	return d, nil
}

func (f *FakeWallet) setStatus(name, id string, fn func(c *ui.Consent)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call(name)
	c, err := f.find(id)
	if err != nil {
		return err
	}
	fn(c)
	f.publish(ui.Change{Kind: ui.ConsentChanged, ID: id})
	return nil
}

func (f *FakeWallet) PauseConsent(ctx context.Context, id string) error {
	return f.setStatus("PauseConsent", id, func(c *ui.Consent) { c.Paused = true })
}

func (f *FakeWallet) ReactivateConsent(ctx context.Context, id string) error {
	return f.setStatus("ReactivateConsent", id, func(c *ui.Consent) { c.Paused = false })
}

func (f *FakeWallet) RevokeConsent(ctx context.Context, id string) error {
	return f.setStatus("RevokeConsent", id, func(c *ui.Consent) { c.Status = ui.ConsentRevoked })
}

func (f *FakeWallet) RenewConsent(ctx context.Context, id string) (ui.BankStep, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("RenewConsent")
	c, err := f.find(id)
	if err != nil {
		return ui.BankStep{}, err
	}
	f.bank = c.BankID // a renewal stays at the consent's bank
	return f.nextStep(), nil
}

func (f *FakeWallet) Limits(ctx context.Context) (ui.Headroom, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("Limits")
	return f.headroom(), nil
}

// PlanLimits follows the core's rules (wallet.Limits.Validate and wallet.Raised, with the
// same sentences): see fakeCheckLimits and fakeRaised.
func (f *FakeWallet) PlanLimits(ctx context.Context, l ui.Limits) (ui.LimitPlan, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("PlanLimits")
	if err := fakeCheckLimits(l); err != nil {
		return ui.LimitPlan{}, err
	}
	return ui.LimitPlan{From: f.limits, To: l, Raised: fakeRaised(f.limits, l)}, nil
}

// SetLimits saves lowered or added limits as they are; raising or removing one needs the PIN
// and code, checked with the payments' attempts (scaCheck), as wallet.Wallet.SetLimits does.
func (f *FakeWallet) SetLimits(ctx context.Context, l ui.Limits, sca ui.SCAInput) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("SetLimits")
	if err := fakeCheckLimits(l); err != nil {
		return err
	}
	if len(fakeRaised(f.limits, l)) > 0 {
		if sca.PIN.Empty() || sca.TOTP.Empty() {
			return &ui.Problem{What: "Raising or removing a limit needs your PIN and the code from your authenticator app.",
				Next: "Type them to confirm the change."}
		}
		if err := f.scaCheck(sca.PIN.Reveal(), sca.TOTP.Reveal()); err != nil {
			return err
		}
	}
	f.limits = l
	return nil
}

// fakeCheckLimits is wallet.Limits.Validate: a count from 0 (none) to 10000; a per-payment
// limit not above the daily, monthly or consent total limit; a daily limit not above the
// monthly one. Limits that are off never contradict.
func fakeCheckLimits(l ui.Limits) error {
	if l.PerDayCount < 0 || l.PerDayCount > 10000 {
		return &ui.Problem{What: "The daily number of payments must be from 1 to 10000.", Next: "Set a number in that range, or no limit."}
	}
	for _, p := range []struct {
		high, low                       money.Amount
		highName, lowName, lower, raise string
	}{
		{l.PerPayment, l.PerDay, "per-payment", "daily", "the per-payment limit", "the daily one"},
		{l.PerPayment, l.PerMonth, "per-payment", "monthly", "the per-payment limit", "the monthly one"},
		{l.PerDay, l.PerMonth, "daily", "monthly", "the daily limit", "the monthly one"},
		{l.PerPayment, l.ConsentTotal, "per-payment", "consent total", "the per-payment limit", "the consent total"},
	} {
		if !p.high.IsZero() && !p.low.IsZero() && p.high.Cmp(p.low) > 0 {
			return &ui.Problem{What: fmt.Sprintf("The %s limit (%s AED) is above the %s limit (%s AED), so it could never be reached.",
				p.highName, p.high.Display(), p.lowName, p.low.Display()), Next: "Lower " + p.lower + " or raise " + p.raise + "."}
		}
	}
	return nil
}

// fakeRaised is wallet.Raised: the limits to raises or removes compared with from.
func fakeRaised(from, to ui.Limits) []ui.LimitName {
	f := []int64{from.PerPayment.Minor(), from.PerDay.Minor(), from.PerMonth.Minor(), int64(from.PerDayCount), from.ConsentTotal.Minor()}
	t := []int64{to.PerPayment.Minor(), to.PerDay.Minor(), to.PerMonth.Minor(), int64(to.PerDayCount), to.ConsentTotal.Minor()}
	names := []ui.LimitName{ui.LimitPerPayment, ui.LimitPerDay, ui.LimitPerMonth, ui.LimitPerDayCount, ui.LimitConsentTotal}
	var out []ui.LimitName
	for i := range names {
		if f[i] != 0 && (t[i] == 0 || t[i] > f[i]) {
			out = append(out, names[i])
		}
	}
	return out
}

func (f *FakeWallet) Payees(ctx context.Context, consentID string) ([]ui.Payee, error) {
	f.mu.Lock()
	f.call("Payees")
	gate := f.PayeesGate
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, fmt.Errorf("list payees: %w", ctx.Err())
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.isBG(consentID) {
		return append([]ui.Payee(nil), f.bg.payees...), nil
	}
	if consentID == fakeFTLinkID {
		return nil, nil // an open link: the payee is typed
	}
	return append([]ui.Payee(nil), f.payees...), nil
}

func (f *FakeWallet) PurposeCodes(ctx context.Context) ([]ui.PurposeCode, error) {
	return []ui.PurposeCode{
		{Code: "ACM", Description: "Agency Commission"}, {Code: "GDS", Description: "Goods Bought or Sold"}, {Code: "MWP", Description: "Mobile Wallet Payments"},
		{Code: "OAT", Description: "Own Account Transfer"}, {Code: "RNT", Description: "Rent"}, {Code: "SAL", Description: "Salary"}, {Code: "TOF", Description: "Transfer of funds between persons"},
		{Code: "UTL", Description: "Utility"},
	}, nil
}

func (f *FakeWallet) PreparePayment(ctx context.Context, d ui.PaymentDraft) (ui.PreparedPayment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("PreparePayment")
	f.drafts = append(f.drafts, d)
	if f.isBG(d.ConsentID) {
		return f.prepareBG(d)
	}
	a, err := money.ParseInput(d.Amount)
	if err != nil {
		return ui.PreparedPayment{}, &ui.Problem{What: ui.AmountSentence(err, ""), Err: err} // as wallet.Prepare words it
	}
	if !f.limits.PerPayment.IsZero() && a.Cmp(f.limits.PerPayment) > 0 {
		return ui.PreparedPayment{}, &ui.Problem{What: "This is above your per-payment limit of " + ui.FormatMoney(f.limits.PerPayment, "") + ".",
			Next: "Pay less, or raise the limit in Limits (l on Home)."}
	}
	var p ui.Payee
	for _, q := range f.payees {
		if q.ID == d.PayeeID {
			p = q
		}
	}
	if p.ID == "" {
		p = ui.Payee{ID: "payee-new", Name: d.NewPayee.Name, IBAN: d.NewPayee.IBAN, Type: d.NewPayee.Type}
	}
	codes, _ := f.PurposeCodes(ctx)
	var pc ui.PurposeCode
	for _, c := range codes {
		if c.Code == d.Purpose {
			pc = c
		}
	}
	f.nextPay++
	id := fmt.Sprintf("prep-%d", f.nextPay)
	hr := f.headroom()
	hr.Used.Day, _ = hr.Used.Day.Add(a)
	hr.Used.Month, _ = hr.Used.Month.Add(a)
	hr.Used.Consent, _ = hr.Used.Consent.Add(a)
	hr.Used.DayCount++
	pp := ui.PreparedPayment{ID: id, ConsentID: d.ConsentID, Payee: p, Amount: a, Reference: d.Reference, Purpose: pc, Headroom: hr}
	f.prepared[id] = pp
	return pp, nil
}

// stepGap spaces the fake pipeline's event timestamps deterministically.
const stepGap = 150 * time.Millisecond

func (f *FakeWallet) SubmitPayment(ctx context.Context, preparedID string, sca ui.SCAInput) (<-chan ui.PaymentEvent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("SubmitPayment")
	pp, ok := f.prepared[preparedID]
	if !ok {
		return nil, &ui.Problem{What: "This payment was already submitted or has expired.", Next: "Start a new payment."}
	}
	t0 := f.Now()
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * stepGap) }
	ch := make(chan ui.PaymentEvent, 32)
	if err := f.scaCheck(sca.PIN.Reveal(), sca.TOTP.Reveal()); err != nil {
		ch <- ui.PaymentEvent{Step: ui.StepSCA, State: ui.StepRunning, At: at(0)}
		ch <- ui.PaymentEvent{Step: ui.StepSCA, State: ui.StepFailed, At: at(1), Err: err, Final: true}
		close(ch)
		return ch, nil
	}
	delete(f.prepared, preparedID) // one SCA authorises exactly one intent
	n := f.nextPay
	outcome, hold := f.Outcome, f.Hold
	f.receipt = fmt.Sprintf("new%04d", n)
	receipt := &ui.Receipt{ID: f.receipt, PaymentID: fmt.Sprintf("PAY-NEW-%04d", n), InteractionID: fmt.Sprintf("00000000-0000-4000-8000-%012d", n),
		Amount: pp.Amount, Currency: pp.Currency, Payee: pp.Payee, At: at(9)}
	if f.isBG(pp.ConsentID) {
		go f.runBG(ctx, ch, pp, receipt, t0)
		return ch, nil
	}
	go func() {
		defer close(ch)
		i := 0
		emit := func(ev ui.PaymentEvent) bool {
			select {
			case ch <- ev:
				return true
			case <-ctx.Done():
				return false
			}
		}
		for _, s := range []ui.PaymentStep{ui.StepSCA, ui.StepRisk, ui.StepSealPII, ui.StepSign, ui.StepPersist} {
			if !emit(ui.PaymentEvent{Step: s, State: ui.StepRunning, At: at(i)}) || !emit(ui.PaymentEvent{Step: s, State: ui.StepDone, At: at(i + 1)}) {
				return
			}
			i++
		}
		if hold != nil {
			emit(ui.PaymentEvent{Step: ui.StepSend, State: ui.StepRunning, At: at(i)})
			select {
			case <-hold:
			case <-ctx.Done():
				return
			}
		}
		switch outcome {
		case "wait":
			// The bank answers 429 Retry-After 59: the core shows the wait and sits it out until
			// the user stops it (the submission's context), then the payment stays queued.
			if !emit(ui.PaymentEvent{Step: ui.StepSend, State: ui.StepRunning, At: at(i), Note: "Bank asked to wait 59 s", Until: t0.Add(59 * time.Second)}) {
				return
			}
			<-ctx.Done()
			receipt.Status, receipt.PaymentID = ui.PaymentPrepared, ""
			receipt.Reason = "Not sent yet: the bank asked to wait. payterm sends it only while your approval lasts, then drops it."
			f.mu.Lock()
			f.details[receipt.ID] = ui.PaymentDetail{Row: ui.PaymentRow{ID: receipt.ID, At: receipt.At, PayeeName: receipt.Payee.Name,
				Amount: receipt.Amount, Status: ui.PaymentPrepared}, Reason: receipt.Reason}
			f.mu.Unlock()
			// The context is cancelled: the final event goes into the buffer directly.
			ch <- ui.PaymentEvent{Step: ui.StepSend, State: ui.StepFailed, At: at(i + 1), Final: true, Receipt: receipt,
				Err: &ui.Problem{What: "The payment was not sent: the bank asked payterm to wait. It is queued.", Next: "To stop it now, cancel it (X on the receipt)."}}
			return
		case "refuse":
			emit(ui.PaymentEvent{Step: ui.StepSend, State: ui.StepFailed, At: at(i + 1), Final: true,
				Err: &ui.Problem{What: "The bank refused the payment: the consent is not valid for this payee.", Next: "Check the payee, or renew the consent."}})
			return
		case "refused":
			receipt.Status, receipt.Reason, receipt.ReasonCode = ui.PaymentRefused,
				"The bank refused the payment request (Consent.Invalid). Nothing was paid.", "Consent.Invalid"
			emit(ui.PaymentEvent{Step: ui.StepSend, State: ui.StepFailed, At: at(i + 1), Final: true, Receipt: receipt,
				Err: &ui.Problem{What: "The bank refused the payment request (Consent.Invalid). Nothing was paid."}})
		case "reject":
			emit(ui.PaymentEvent{Step: ui.StepSend, State: ui.StepDone, At: at(i + 1)})
			emit(ui.PaymentEvent{Step: ui.StepBankPending, State: ui.StepDone, At: at(i + 2), Note: "Pending"})
			receipt.Status, receipt.Reason, receipt.ReasonCode = ui.PaymentRejected, "Insufficient funds in the payer account", "AANI.AM04"
			emit(ui.PaymentEvent{Step: ui.StepSettled, State: ui.StepFailed, At: at(i + 3), Note: "Rejected", Final: true, Receipt: receipt})
		case "pending":
			emit(ui.PaymentEvent{Step: ui.StepSend, State: ui.StepDone, At: at(i + 1)})
			receipt.Status = ui.PaymentPending
			f.mu.Lock()
			// Pending in the ledger until a test records the bank's answer (SetPaymentStatus).
			f.details[receipt.ID] = ui.PaymentDetail{Row: ui.PaymentRow{ID: receipt.ID, PaymentID: receipt.PaymentID, At: receipt.At,
				PayeeName: receipt.Payee.Name, Amount: receipt.Amount, Status: ui.PaymentPending}}
			f.mu.Unlock()
			emit(ui.PaymentEvent{Step: ui.StepBankPending, State: ui.StepDone, At: at(i + 2), Note: "Pending", Final: true, Receipt: receipt})
		default:
			emit(ui.PaymentEvent{Step: ui.StepSend, State: ui.StepDone, At: at(i + 1)})
			emit(ui.PaymentEvent{Step: ui.StepBankPending, State: ui.StepDone, At: at(i + 2), Note: "Pending"})
			receipt.Status = ui.PaymentAcceptedCreditSettlementCompleted
			emit(ui.PaymentEvent{Step: ui.StepSettled, State: ui.StepDone, At: at(i + 4), Note: "AcceptedCreditSettlementCompleted", Final: true, Receipt: receipt})
		}
	}()
	return ch, nil
}

func (f *FakeWallet) Payment(ctx context.Context, id string) (ui.PaymentDetail, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("Payment")
	if d, ok := f.details[id]; ok {
		return f.withBundle(d), nil
	}
	i, ok := f.index[id]
	if !ok {
		return ui.PaymentDetail{}, &ui.Problem{What: "That payment is not in the ledger."}
	}
	r := f.rows[i]
	d := ui.PaymentDetail{Row: r, InteractionID: "00000000-0000-4000-8000-" + fmt.Sprintf("%012d", i+1), ConsentID: fakeConsentID, Purpose: "MWP Mobile Wallet Payments"}
	if r.Bank != "" {
		d.Terms = ui.UAETerms()
	}
	d.Timeline = []ui.StatusChange{{At: r.At, Status: ui.PaymentPrepared}, {At: r.At.Add(time.Second), Status: ui.PaymentSending},
		{At: r.At.Add(2 * time.Second), Status: ui.PaymentPending, Note: "201 Created, signature verified"}}
	if r.Status != ui.PaymentPending {
		d.Timeline = append(d.Timeline, ui.StatusChange{At: r.At.Add(9 * time.Second), Status: r.Status})
	}
	if r.Status == ui.PaymentRejected {
		d.Reason = "Insufficient funds in the payer account (AANI.AM04)"
	}
	return d, nil
}

func (f *FakeWallet) CancelPayment(ctx context.Context, id string) (ui.PaymentDetail, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("CancelPayment")
	d, ok := f.details[id]
	switch {
	case ok && d.Row.Status == ui.PaymentPrepared:
		d.Row.Status, d.Reason = ui.PaymentCancelled, "You cancelled the payment before it was sent. Nothing was paid."
	case ok && d.Row.Status == ui.PaymentAwaitingBankSCA:
		// The bank is asked, as the core asks it (DELETE): it cancels what it has not approved.
		d.Row.Status, d.Row.BankStatus, d.Reason = ui.PaymentCancelled, "CANC", "Cancelled at your bank at your request. Nothing was paid."
		d.Timeline = append(d.Timeline, ui.StatusChange{At: f.Now(), Status: ui.PaymentCancelled, BankStatus: "CANC", Note: "cancellation asked by the user"})
	default:
		return ui.PaymentDetail{}, &ui.Problem{What: "Only a queued payment, or one still awaiting your bank's approval, can be cancelled.", Next: "Check its status in History."}
	}
	f.details[id] = d
	if i, ok := f.index[id]; ok {
		f.rows[i].Status, f.rows[i].BankStatus = d.Row.Status, d.Row.BankStatus
	}
	f.publish(ui.Change{Kind: ui.PaymentChanged, ID: id})
	return d, nil
}

func outcomeOf(s ui.PaymentStatus) ui.Outcome {
	switch {
	case ui.PaymentPaid(s):
		return ui.OutcomeSuccessful
	case s == ui.PaymentRejected || s == ui.PaymentRefused || s == ui.PaymentAbandoned || s == ui.PaymentCancelled:
		return ui.OutcomeFailed
	default:
		return ui.OutcomePending
	}
}

func (f *FakeWallet) match(r ui.PaymentRow, q ui.HistoryFilter) bool {
	if q.PayeeName != "" && !strings.Contains(strings.ToLower(r.PayeeName), strings.ToLower(q.PayeeName)) {
		return false
	}
	if q.Outcome != ui.OutcomeAny && outcomeOf(r.Status) != q.Outcome {
		return false
	}
	if !q.From.IsZero() && r.At.Before(q.From) {
		return false
	}
	if !q.To.IsZero() && !r.At.Before(q.To) {
		return false
	}
	return true
}

// History pages like the ledger: keyset on ids, newest first. Without a filter it indexes
// directly, so a page costs the same at any depth (the benchmark relies on this).
func (f *FakeWallet) History(ctx context.Context, q ui.HistoryQuery) (ui.HistoryPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	limit := q.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	filtered := q.Filter != (ui.HistoryFilter{})
	rows := f.rows
	if filtered {
		rows = nil
		for _, r := range f.rows {
			if f.match(r, q.Filter) {
				rows = append(rows, r)
			}
		}
	}
	pos := func(id string) int {
		if !filtered {
			return f.index[id]
		}
		return sort.Search(len(rows), func(i int) bool { return rows[i].ID <= id })
	}
	var page ui.HistoryPage
	page.Total = len(rows)
	if q.Oldest || (q.After == "" && q.Before == "") {
		// As the core: the sums for the first and the last page (a scan of the matching rows).
		page.Totals = fakeTotals(rows)
	}
	switch {
	case q.Oldest:
		start := max(0, len(rows)-limit)
		page.Rows = append([]ui.PaymentRow(nil), rows[start:]...)
		page.More = start > 0
	case q.After != "":
		start := pos(q.After) + 1
		end := min(len(rows), start+limit)
		if start < end {
			page.Rows = append([]ui.PaymentRow(nil), rows[start:end]...)
		}
		page.More = end < len(rows)
	case q.Before != "":
		end := pos(q.Before)
		start := max(0, end-limit)
		page.Rows = append([]ui.PaymentRow(nil), rows[start:end]...)
		page.More = start > 0
	default:
		end := min(len(rows), limit)
		page.Rows = append([]ui.PaymentRow(nil), rows[:end]...)
		page.More = end < len(rows)
	}
	return page, nil
}

// fakeTotals adds up rows as the ledger does (every row is AED here): nil when there are none.
func fakeTotals(rows []ui.PaymentRow) []ui.CurrencyTotal {
	if len(rows) == 0 {
		return nil
	}
	// One total per currency, in the order first met, as the core sums them (never two
	// currencies in one sum).
	var out []ui.CurrencyTotal
	for _, r := range rows {
		cur := r.Currency
		if cur == "" {
			cur = "AED"
		}
		i := slices.IndexFunc(out, func(t ui.CurrencyTotal) bool { return t.Currency == cur })
		if i < 0 {
			out = append(out, ui.CurrencyTotal{Currency: cur})
			i = len(out) - 1
		}
		t := &out[i]
		t.Count++
		t.Sum, _ = t.Sum.Add(r.Amount)
		if ui.PaymentPaid(r.Status) {
			t.Paid, _ = t.Paid.Add(r.Amount)
		}
	}
	return out
}

func (f *FakeWallet) Inspect(ctx context.Context) (ui.Inspection, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("Inspect")
	par := &ui.Exchange{Request: "POST /par HTTP/1.1", Response: "HTTP/1.1 201 Created", InteractionID: "00000000-0000-4000-8000-0000000000aa",
		Headers:   []ui.Field{{Name: "Content-Type", Value: "application/x-www-form-urlencoded"}, {Name: "Authorization", Value: "Bearer not-a-real-token"}},
		JWTHeader: []ui.Field{{Name: "alg", Value: "PS256"}, {Name: "kid", Value: "test-signing-key-1"}},
		JWTClaims: []ui.Field{{Name: "iss", Value: "payterm-test"}, {Name: "aud", Value: "https://bank.example"},
			{Name: "code_verifier", Value: "not-shown-anyway"}, {Name: "client_assertion", Value: "eyJ.fake.jwt", Secret: true},
			{Name: "Creditor.Name", Value: "Test Payee One", PII: true}},
		JWEHeader: []ui.Field{{Name: "alg", Value: "RSA-OAEP-256"}, {Name: "enc", Value: "A256GCM"}, {Name: "kid", Value: "bank-enc-1"}},
		Checks:    []ui.Check{{Name: "response signature", OK: true, Detail: "PS256, kid bank-sig-1"}, {Name: "request_uri lifetime", OK: true, Detail: "90 s"}}}
	pay := &ui.Exchange{Request: "POST /open-finance/payment/v2.1/payments HTTP/1.1", Response: "HTTP/1.1 201 Created",
		InteractionID: "00000000-0000-4000-8000-0000000000bb",
		Headers:       []ui.Field{{Name: "x-idempotency-key", Value: "7d3c1c2e-0000-4000-8000-000000000001"}, {Name: "x-fapi-auth-date", Value: "Tue, 15 Jan 2030 09:29:58 GMT"}},
		JWTClaims: []ui.Field{{Name: "message.Data.Instruction.Amount.Amount", Value: "10.00"},
			// A compact JWE as long as the real one: the inspector shows only its start.
			{Name: "message.Data.PersonalIdentifiableInformation", Value: "eyJhbGciOiJSU0EtT0FFUC0yNTYiLCJlbmMiOiJBMjU2R0NNIn0." +
				strings.Repeat("c2VhbGVk", 60) + "." + strings.Repeat("aXY", 5) + "." + strings.Repeat("Y2lwaGVy", 90) + "." + "dGFnLXRhZy10YWc"}},
		JWEHeader: []ui.Field{{Name: "PII alg", Value: "RSA-OAEP-256"}, {Name: "PII enc", Value: "A256GCM"}},
		Sealed: []ui.Field{{Name: "Initiation.Creditor.Name", Value: "Test Payee One", PII: true},
			{Name: "Initiation.Creditor.CreditorAccount.Identification", Value: "AE620260001015678901234", PII: true}},
		Checks: []ui.Check{{Name: "response signature", OK: true}, {Name: "Status is Pending", OK: true}}}
	// The token call's form values are longer than the inspector's pane at 100 columns.
	token := &ui.Exchange{Request: "POST /token HTTP/1.1", Response: "HTTP/1.1 200 OK", InteractionID: "00000000-0000-4000-8000-0000000000cc",
		Headers: []ui.Field{{Name: "form client_assertion_type", Value: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
			{Name: "form redirect_uri", Value: "https://wallet.example/open-finance/callback/return?from=bank&step=token"}},
		JWTHeader: []ui.Field{{Name: "kid", Value: "X7bm8z1JUh0BoWS-Y_u0rimdmbZoUINvF4ByjHnXQ-I"}}}
	if len(f.BankOptions) > 1 {
		// With several banks the core names the bank of each message; the fake's are all at
		// its first bank.
		par.Bank, token.Bank, pay.Bank = f.BankOptions[0].Name, f.BankOptions[0].Name, f.BankOptions[0].Name
	}
	in := ui.Inspection{ShowPII: f.Sandbox, ConsentID: f.consents[0].ID, Banks: append([]ui.BankOption(nil), f.walletBanks...), Steps: []ui.SequenceStep{
		{Name: "Discovery + JWKS", State: ui.SeqDone},
		{Name: "PAR", State: ui.SeqDone, Exchange: par},
		{Name: "Authorize at the bank", State: ui.SeqDone},
		{Name: "Callback + token", State: ui.SeqDone, Exchange: token},
		{Name: "SCA in payterm (PIN + code + device key)", State: ui.SeqDone},
		{Name: "POST /payments", State: ui.SeqCurrent, Exchange: pay},
		{Name: "GET /payments/{id} until final", State: ui.SeqPending},
	}}
	if f.AllStepsDone {
		for i := range in.Steps {
			in.Steps[i].State = ui.SeqDone
		}
	}
	if n := f.CurrentStep; n > 0 && n < len(in.Steps) {
		for i := range in.Steps {
			in.Steps[i].State = map[bool]ui.SequenceState{true: ui.SeqDone, false: ui.SeqPending}[i < n]
		}
		in.Steps[n].State = ui.SeqCurrent
	}
	if f.Sandbox {
		// Named after their step, as the production core does.
		in.Verdicts = []ui.Verdict{{Rule: "PAR · rule 3: request object signed PS256", Passed: true},
			{Rule: "POST /payments · IsDelegatedAuthentication is true", Passed: true}, {Rule: "POST /payments · Risk.DebtorIndicators.Authentication has two factor categories", Passed: true},
			{Rule: "POST /payments · Creditor matches the consent", Passed: true}}
	}
	return in, nil
}

func (f *FakeWallet) ExportSupportBundle(ctx context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("ExportSupportBundle")
	return "/tmp/payterm-support-test.json", nil
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

// QueueRow makes the i-th newest payment a queued one (PaymentPrepared: not sent, cancellable).
func (f *FakeWallet) QueueRow(i int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := &f.rows[i]
	r.Status, r.PaymentID = ui.PaymentPrepared, ""
	f.details[r.ID] = ui.PaymentDetail{Row: *r, Reason: "Not sent yet: the bank has not got it.",
		Timeline: []ui.StatusChange{{At: r.At, Status: ui.PaymentPrepared, Note: "queued, not sent: the bank asked to wait 59 s"}}}
}

// plural renders n with its noun in the right number, as the screens do ("1 named payee").
func plural(n int, one, many string) string {
	if n == 1 || n == -1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// CheckPayee answers from PayeeChecks, as the core would (an accepted answer comes back accepted).
func (f *FakeWallet) CheckPayee(ctx context.Context, consentID string, p ui.PayeeDraft) (ui.PayeeCheck, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("CheckPayee")
	c, ok := f.PayeeChecks[p.Name]
	if !ok {
		return ui.PayeeCheck{Answer: ui.PayeeCheckNone}, nil
	}
	for _, a := range f.accepted {
		if a == p.Name || a == p.Name+" (no match confirmed)" {
			c.Accepted = true
		}
	}
	return c, nil
}

// AcceptPayee refuses what the core refuses (a no match without the confirmation, an unknown
// account) and records the rest.
func (f *FakeWallet) AcceptPayee(ctx context.Context, consentID string, p ui.PayeeDraft, noMatchConfirmed bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("AcceptPayee")
	c := f.PayeeChecks[p.Name]
	switch {
	case c.Answer == ui.PayeeCheckNotFound:
		return &ui.Problem{What: "The bank has no account with this IBAN, so it cannot be paid.", Next: "Check the IBAN with the payee."}
	case c.Answer == ui.PayeeCheckNoMatch && !noMatchConfirmed:
		return &ui.Problem{What: "The name does not match the account holder's.", Next: "Confirm explicitly, or change the payee."}
	case c.Answer == ui.PayeeCheckNoMatch:
		f.accepted = append(f.accepted, p.Name+" (no match confirmed)")
	default:
		f.accepted = append(f.accepted, p.Name)
	}
	return nil
}

// AcceptedPayees lists the payees the payer accepted on the bank's answer.
func (f *FakeWallet) AcceptedPayees() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.accepted...)
}
