package ui

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/payterm/payterm/money"
)

// FakeWallet is deterministic test scaffolding for the screens: a fixed clock, stable ids,
// obviously fake names and the public example IBAN. It is exported only to this package's
// external tests (ui_test), never shipped.
type FakeWallet struct {
	mu  sync.Mutex
	Now func() time.Time

	Onboarded bool
	Sandbox   bool
	consents  []Consent
	payees    []Payee
	rows      []PaymentRow // newest first
	index     map[string]int
	details   map[string]PaymentDetail
	limits    Limits
	usage     Usage

	// SCA: the right PIN and code, attempts left, lock state.
	PIN, Code    string
	attemptsLeft int
	locked       bool

	// Outcome of the next payment: "settle", "reject", "pending", "refused" (the bank answered
	// 4xx: the core has the payment as Refused, with a receipt), "refuse" (no receipt).
	Outcome string
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
	BankOptions []BankOption
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
	plan      BeneficiaryPlan
	nextPay   int
	receipt   string // the ledger id of the last payment submitted
	prepared  map[string]PreparedPayment
	// subs are the change feeds (Changes): like the core, every change the fake records is
	// published, whoever made it.
	subs   []chan Change
	drafts []PaymentDraft
	calls  []string

	// bg is the fake's Berlin Group bank (fake_bg_test.go): its consent, payees, limits and the
	// script of its approval step.
	bg fakeBG
}

// LastPlan is the beneficiary plan SaveBeneficiaries received last.
func (f *FakeWallet) LastPlan() BeneficiaryPlan {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.plan
}

// Drafts lists the payment drafts PreparePayment received, in order (which consent pays).
func (f *FakeWallet) Drafts() []PaymentDraft {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]PaymentDraft(nil), f.drafts...)
}

// FakeSandboxBank is the fake's one bank unless a test configures more.
var FakeSandboxBank = BankOption{ID: "sandbox", Name: "Sandbox Bank", Sandbox: true}

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
		Outcome: "settle", details: map[string]PaymentDetail{}, prepared: map[string]PreparedPayment{}}
	f.payees = []Payee{
		{ID: "payee-1", Name: "Test Payee One", IBAN: fakeIBAN, Type: PayeeRetail},
		{ID: "payee-2", Name: "Example Trading LLC", IBAN: "AE620260001015678901234", Type: PayeeCorporate},
		{ID: "payee-3", Name: "مثال تجريبي", IBAN: "AE290330000012345678901", Type: PayeeRetail},
	}
	f.BankOptions = []BankOption{FakeSandboxBank}
	f.consents = []Consent{
		{ID: fakeConsentID, Bank: "Sandbox Bank", BankID: "sandbox", Status: ConsentAuthorized,
			Created: FakeBase.AddDate(0, -2, 0), Expires: FakeBase.AddDate(0, 10, 0), Model: BeneficiaryList,
			Creditors: f.payees, DebtorMasked: "AE07 •••• 3456", PurposeCode: "MWP"},
		{ID: "c0ffee00-0000-4000-8000-000000000000", Bank: "Sandbox Bank", BankID: "sandbox", Status: ConsentRevoked,
			Created: FakeBase.AddDate(-1, 0, 0), Expires: FakeBase.AddDate(0, -1, 0), Model: BeneficiaryOne,
			Creditors: f.payees[:1], PurposeCode: "MWP"},
	}
	f.limits = Limits{PerPayment: amt(500000), PerDay: amt(1000000), PerMonth: amt(5000000), PerDayCount: 10, ConsentTotal: amt(50000000)}
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
	statuses := []PaymentStatus{PaymentAcceptedCreditSettlementCompleted, PaymentAcceptedCreditSettlementCompleted,
		PaymentPending, PaymentRejected, PaymentAcceptedWithoutPosting}
	f.rows = make([]PaymentRow, n)
	f.index = make(map[string]int, n)
	for i := range n {
		id := fmt.Sprintf("p%07d", n-i)
		r := PaymentRow{ID: id, PaymentID: fmt.Sprintf("PAY-%07d", n-i), At: FakeBase.Add(-time.Duration(i+1) * time.Hour),
			PayeeName: f.payees[i%len(f.payees)].Name, Amount: amt(int64(1000 + (i*3701)%250000)),
			Status: statuses[i%len(statuses)], Reference: fmt.Sprintf("Invoice %d", n-i)}
		f.rows[i] = r
		f.index[id] = i
	}
	total, _ := f.paidBy(fakeConsentID)
	f.usage = Usage{Day: amt(250000), DayCount: 2, Month: amt(1250000), Consent: amt(min(total.Minor(), 49000000))}
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
		if paymentOK(r.Status) {
			sum, _ = sum.Add(r.Amount)
			n++
		}
	}
	return sum, n
}

// withPaid is c with what it has paid, read from the payments as the core does. A consent a
// test added with figures of its own and no payments here keeps them.
func (f *FakeWallet) withPaid(c Consent) Consent {
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
func (f *FakeWallet) AddPayment(r PaymentRow) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rows = append([]PaymentRow{r}, f.rows...)
	for i, row := range f.rows {
		f.index[row.ID] = i
	}
	f.publish(Change{Kind: PaymentChanged, ID: r.ID})
}

// SetPaymentStatus records a new status for payment id (the background resume settled it),
// and publishes the change as the core does.
func (f *FakeWallet) SetPaymentStatus(id string, st PaymentStatus) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if i, ok := f.index[id]; ok {
		f.rows[i].Status = st
	}
	if d, ok := f.details[id]; ok {
		d.Row.Status = st
		f.details[id] = d
	}
	f.publish(Change{Kind: PaymentChanged, ID: id})
}

// LastReceiptID is the ledger id of the last payment submitted.
func (f *FakeWallet) LastReceiptID() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.receipt
}

// Changes is the fake's change feed: a buffered channel per subscriber, closed when ctx ends.
func (f *FakeWallet) Changes(ctx context.Context) <-chan Change {
	ch := make(chan Change, 256)
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
func (f *FakeWallet) publish(c Change) {
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

func (f *FakeWallet) headroom() Headroom { return Headroom{Limits: f.limits, Used: f.usage} }

func (f *FakeWallet) Overview(ctx context.Context) (Overview, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("Overview")
	if f.OverviewErr != nil {
		return Overview{}, f.OverviewErr
	}
	ov := Overview{Onboarded: f.Onboarded, Headroom: f.headroom(), SecretStore: "OS keyring (Secret Service)", Sandbox: f.Sandbox}
	// As the core (app.activeConsent): the newest consent that can pay now; failing that, the
	// newest one still in place (paused, suspended, awaiting authorisation), so Home can say
	// why it cannot pay.
	now := f.Now()
	for _, usable := range []bool{true, false} {
		for i := range f.consents {
			c := f.withPaid(f.consents[i])
			if ov.Active == nil && c.Current() && now.Before(c.Expires) && (!usable || canPayNow(c, now)) {
				ov.Active = &c
			}
		}
	}
	ov.Recent = append([]PaymentRow(nil), f.rows[:min(5, len(f.rows))]...)
	ov.PaymentsBlocked = f.locked && !f.hideBlock
	f.bgOverview(&ov)
	return ov, nil
}

func (f *FakeWallet) scaCheck(pin, code string) error {
	if f.locked {
		return &SCAError{Locked: true}
	}
	if pin == f.PIN && code == f.Code {
		f.attemptsLeft = 5
		return nil
	}
	f.attemptsLeft--
	if f.attemptsLeft <= 0 {
		f.locked = true
		return &SCAError{Locked: true}
	}
	return &SCAError{AttemptsLeft: f.attemptsLeft}
}

func (f *FakeWallet) Unlock(ctx context.Context, pin Secret) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("Unlock")
	if pin.Reveal() != f.PIN {
		return &SCAError{AttemptsLeft: 4}
	}
	return nil
}

func (f *FakeWallet) SetPIN(ctx context.Context, pin Secret) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("SetPIN")
	f.PIN = pin.Reveal()
	return nil
}

func (f *FakeWallet) EnrolTOTP(ctx context.Context) (TOTPEnrolment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("EnrolTOTP")
	// A visibly fake base32 seed (never a real one in a golden file).
	return TOTPEnrolment{Secret: NewSecret("TESTTESTTESTTESTTESTTESTTESTTEST"),
		URI:    NewSecret("otpauth://totp/payterm:test?secret=TESTTESTTESTTESTTESTTESTTESTTEST&issuer=payterm"),
		Issuer: "payterm", Account: "test", Digits: 6, Period: 30 * time.Second}, nil
}

// FakeRecovery is the fake's recovery code: visibly not a real one.
const FakeRecovery = "TEST-RCVR-CODE-0001"

func (f *FakeWallet) ConfirmTOTP(ctx context.Context, code Secret) (Secret, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("ConfirmTOTP")
	if code.Reveal() != f.Code {
		return Secret{}, &Problem{What: "That code is not the one your app shows now.", Next: "Check the app's clock and type the current code."}
	}
	return NewSecret(FakeRecovery), nil
}

func (f *FakeWallet) Recover(ctx context.Context, recovery, code, newPIN Secret) (Secret, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("Recover")
	if recovery.Reveal() != FakeRecovery || code.Reveal() != f.Code {
		return Secret{}, &Problem{What: "The recovery code or the authenticator code is not correct.", Next: "Check both and try again."}
	}
	f.PIN, f.locked, f.attemptsLeft = newPIN.Reveal(), false, 5
	return NewSecret("TEST-RCVR-CODE-0002"), nil
}

func (f *FakeWallet) Banks(ctx context.Context) ([]BankOption, error) {
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
	return append([]BankOption(nil), f.BankOptions...), nil
}

// SetBanks replaces the configured banks.
func (f *FakeWallet) SetBanks(banks ...BankOption) {
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
func (f *FakeWallet) chosenBank() (BankOption, bool) {
	for _, b := range f.BankOptions {
		if b.ID == f.bank || f.bank == "" {
			return b, true
		}
	}
	return BankOption{}, false
}

func (f *FakeWallet) SaveBeneficiaries(ctx context.Context, plan BeneficiaryPlan) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call(fmt.Sprintf("SaveBeneficiaries(%s,%d,bank=%s)", plan.Model, len(plan.Payees), plan.Bank))
	f.plan = plan
	f.bank = plan.Bank
	if _, ok := f.chosenBank(); !ok {
		return &Problem{What: "That bank is not in payterm's configuration.", Next: "Choose another bank."}
	}
	// As the core: the bank refuses an account without its holder's name (rule 18).
	if (plan.DebtorAccount == "") != (plan.DebtorName == "") {
		return &Problem{What: "Your bank needs the account holder's name with the account's IBAN.", Next: "Give both, or neither."}
	}
	f.debtor = plan.DebtorAccount
	f.payees = nil
	for i, p := range plan.Payees {
		f.payees = append(f.payees, Payee{ID: fmt.Sprintf("payee-%d", i+1), Name: p.Name, IBAN: p.IBAN, Type: p.Type})
	}
	return nil
}

func (f *FakeWallet) ConsentTerms(ctx context.Context) (ConsentTerms, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("ConsentTerms")
	model := BeneficiaryList
	switch len(f.payees) {
	case 0:
		model = BeneficiaryOpen
	case 1:
		model = BeneficiaryOne
	}
	b, _ := f.chosenBank()
	return ConsentTerms{Bank: b.Name, Model: model, Payees: append([]Payee(nil), f.payees...),
		Expires: FakeBase.AddDate(1, 0, -1), Purpose: PurposeCode{Code: "MWP", Description: "Mobile Wallet Payments"}}, nil
}

var fakeStep = BankStep{ConsentID: "c0ffee00-0000-4000-8000-000000000002",
	// As long as a real one (~200 characters): it does not fit on one line of a 100-column terminal.
	URL: "https://bank.example/authorize?client_id=00000000-0000-4000-8000-00000000c11e&request_uri=" +
		"urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Abwc4JK-ESC0w8acc191e-Y1LTC2TestTestTest&response_type=code&scope=openid",
	InteractionID: "00000000-0000-4000-8000-0000000000aa",
	// As the core: the PAR's expires_in (the sandbox's 90 s); the bank sends the browser back
	// to a loopback callback.
	ExpiresAt: FakeBase.Add(90 * time.Second), CallbackHere: true}

func (f *FakeWallet) BeginBankStep(ctx context.Context) (BankStep, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("BeginBankStep")
	return f.nextStep(), nil
}

// nextStep stages a consent request: as at the bank, each has its own consent and its own
// single-use address (the first is fakeStep, so golden files keep its address).
func (f *FakeWallet) nextStep() BankStep {
	f.steps++
	st := fakeStep
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

func (f *FakeWallet) authorised(step BankStep) Consent {
	b, _ := f.chosenBank()
	c := Consent{ID: step.ConsentID, Bank: b.Name, BankID: b.ID, Status: ConsentAuthorized, Created: FakeBase,
		Expires: FakeBase.AddDate(1, 0, -1), Model: BeneficiaryList, Creditors: f.payees}
	if f.debtor != "" {
		c.DebtorMasked = MaskIBAN(f.debtor)
	}
	f.Onboarded = true
	f.consents = append([]Consent{c}, f.consents...)
	f.publish(Change{Kind: ConsentChanged, ID: c.ID})
	return c
}

func (f *FakeWallet) AwaitBankCallback(ctx context.Context, step BankStep) (Consent, error) {
	f.mu.Lock()
	f.call("AwaitBankCallback")
	ch := f.BankCallback
	if step.PasteBack {
		f.mu.Unlock()
		// As the core: nothing on this computer receives the answer.
		return Consent{}, &Problem{What: "payterm does not receive your bank's answer here: your browser lands on the redirect address.",
			Next: "Paste the address your browser shows after approving (v)."}
	}
	f.mu.Unlock()
	if ch != nil {
		select {
		case <-ch:
		case <-ctx.Done():
			return Consent{}, fmt.Errorf("await bank callback: %w", ctx.Err())
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.deny {
		return Consent{}, &Problem{What: "You declined the consent at the bank.", Next: "Start again when you are ready to approve it."}
	}
	return f.authorised(step), nil
}

func (f *FakeWallet) CompleteBankStep(ctx context.Context, step BankStep, callbackURL string) (Consent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("CompleteBankStep")
	if !strings.Contains(callbackURL, "code=") {
		return Consent{}, &Problem{What: "That address has no authorisation code.", Next: "Paste the full address your browser shows after approving."}
	}
	return f.authorised(step), nil
}

func (f *FakeWallet) Consents(ctx context.Context) ([]Consent, error) {
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
	out := make([]Consent, len(f.consents))
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

func (f *FakeWallet) find(id string) (*Consent, error) {
	for i := range f.consents {
		if f.consents[i].ID == id {
			return &f.consents[i], nil
		}
	}
	return nil, &Problem{What: "That consent no longer exists.", Next: "Refresh the list (r)."}
}

func (f *FakeWallet) ConsentDetail(ctx context.Context, id string) (ConsentDetail, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("ConsentDetail")
	c, err := f.find(id)
	if err != nil {
		return ConsentDetail{}, err
	}
	if f.isBG(id) {
		return f.bgDetail(f.withPaid(*c)), nil
	}
	d := ConsentDetail{Consent: f.withPaid(*c), Rules: []Rule{
		{"Type", "Flexi Pay (delegated SCA): you approve each payment in payterm"}, // as long as the core's
		{"Who you can pay", count(len(c.Creditors), "named payee", "named payees")},
		{"Amounts", "not fixed at the bank; your payterm limits apply"},
		{"Purpose", c.PurposeCode},
	}}
	// As the core: the consent's payments, newest first, up to 20, whatever its status now (a
	// revoked consent's payments were still made).
	if c.ID == fakeConsentID {
		d.Payments = append([]PaymentRow(nil), f.rows[:min(20, len(f.rows))]...)
	}
	return d, nil
}

func (f *FakeWallet) setStatus(name, id string, fn func(c *Consent)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call(name)
	c, err := f.find(id)
	if err != nil {
		return err
	}
	fn(c)
	f.publish(Change{Kind: ConsentChanged, ID: id})
	return nil
}

func (f *FakeWallet) PauseConsent(ctx context.Context, id string) error {
	return f.setStatus("PauseConsent", id, func(c *Consent) { c.Paused = true })
}

func (f *FakeWallet) ReactivateConsent(ctx context.Context, id string) error {
	return f.setStatus("ReactivateConsent", id, func(c *Consent) { c.Paused = false })
}

func (f *FakeWallet) RevokeConsent(ctx context.Context, id string) error {
	return f.setStatus("RevokeConsent", id, func(c *Consent) { c.Status = ConsentRevoked })
}

func (f *FakeWallet) RenewConsent(ctx context.Context, id string) (BankStep, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("RenewConsent")
	c, err := f.find(id)
	if err != nil {
		return BankStep{}, err
	}
	f.bank = c.BankID // a renewal stays at the consent's bank
	return f.nextStep(), nil
}

func (f *FakeWallet) Limits(ctx context.Context) (Headroom, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("Limits")
	return f.headroom(), nil
}

// PlanLimits follows the core's rules (wallet.Limits.Validate and wallet.Raised, with the
// same sentences): see fakeCheckLimits and fakeRaised.
func (f *FakeWallet) PlanLimits(ctx context.Context, l Limits) (LimitPlan, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("PlanLimits")
	if err := fakeCheckLimits(l); err != nil {
		return LimitPlan{}, err
	}
	return LimitPlan{From: f.limits, To: l, Raised: fakeRaised(f.limits, l)}, nil
}

// SetLimits saves lowered or added limits as they are; raising or removing one needs the PIN
// and code, checked with the payments' attempts (scaCheck), as wallet.Wallet.SetLimits does.
func (f *FakeWallet) SetLimits(ctx context.Context, l Limits, sca SCAInput) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("SetLimits")
	if err := fakeCheckLimits(l); err != nil {
		return err
	}
	if len(fakeRaised(f.limits, l)) > 0 {
		if sca.PIN.Empty() || sca.TOTP.Empty() {
			return &Problem{What: "Raising or removing a limit needs your PIN and the code from your authenticator app.",
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
func fakeCheckLimits(l Limits) error {
	if l.PerDayCount < 0 || l.PerDayCount > 10000 {
		return &Problem{What: "The daily number of payments must be from 1 to 10000.", Next: "Set a number in that range, or no limit."}
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
			return &Problem{What: fmt.Sprintf("The %s limit (%s AED) is above the %s limit (%s AED), so it could never be reached.",
				p.highName, p.high.Display(), p.lowName, p.low.Display()), Next: "Lower " + p.lower + " or raise " + p.raise + "."}
		}
	}
	return nil
}

// fakeRaised is wallet.Raised: the limits to raises or removes compared with from.
func fakeRaised(from, to Limits) []LimitName {
	f := []int64{from.PerPayment.Minor(), from.PerDay.Minor(), from.PerMonth.Minor(), int64(from.PerDayCount), from.ConsentTotal.Minor()}
	t := []int64{to.PerPayment.Minor(), to.PerDay.Minor(), to.PerMonth.Minor(), int64(to.PerDayCount), to.ConsentTotal.Minor()}
	names := []LimitName{LimitPerPayment, LimitPerDay, LimitPerMonth, LimitPerDayCount, LimitConsentTotal}
	var out []LimitName
	for i := range names {
		if f[i] != 0 && (t[i] == 0 || t[i] > f[i]) {
			out = append(out, names[i])
		}
	}
	return out
}

func (f *FakeWallet) Payees(ctx context.Context, consentID string) ([]Payee, error) {
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
		return append([]Payee(nil), f.bg.payees...), nil
	}
	return append([]Payee(nil), f.payees...), nil
}

func (f *FakeWallet) PurposeCodes(ctx context.Context) ([]PurposeCode, error) {
	return []PurposeCode{
		{"ACM", "Agency Commission"}, {"GDS", "Goods Bought or Sold"}, {"MWP", "Mobile Wallet Payments"},
		{"OAT", "Own Account Transfer"}, {"RNT", "Rent"}, {"SAL", "Salary"}, {"TOF", "Transfer of funds between persons"},
		{"UTL", "Utility"},
	}, nil
}

func (f *FakeWallet) PreparePayment(ctx context.Context, d PaymentDraft) (PreparedPayment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("PreparePayment")
	f.drafts = append(f.drafts, d)
	if f.isBG(d.ConsentID) {
		return f.prepareBG(d)
	}
	a, err := money.ParseInput(d.Amount)
	if err != nil {
		return PreparedPayment{}, &Problem{What: amountSentence(err), Err: err} // as wallet.Prepare words it
	}
	if !f.limits.PerPayment.IsZero() && a.Cmp(f.limits.PerPayment) > 0 {
		return PreparedPayment{}, &Problem{What: "This is above your per-payment limit of " + formatAmount(f.limits.PerPayment) + ".",
			Next: "Pay less, or raise the limit in Limits (l on Home)."}
	}
	var p Payee
	for _, q := range f.payees {
		if q.ID == d.PayeeID {
			p = q
		}
	}
	if p.ID == "" {
		p = Payee{ID: "payee-new", Name: d.NewPayee.Name, IBAN: d.NewPayee.IBAN, Type: d.NewPayee.Type}
	}
	codes, _ := f.PurposeCodes(ctx)
	var pc PurposeCode
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
	pp := PreparedPayment{ID: id, ConsentID: d.ConsentID, Payee: p, Amount: a, Reference: d.Reference, Purpose: pc, Headroom: hr}
	f.prepared[id] = pp
	return pp, nil
}

// stepGap spaces the fake pipeline's event timestamps deterministically.
const stepGap = 150 * time.Millisecond

func (f *FakeWallet) SubmitPayment(ctx context.Context, preparedID string, sca SCAInput) (<-chan PaymentEvent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("SubmitPayment")
	pp, ok := f.prepared[preparedID]
	if !ok {
		return nil, &Problem{What: "This payment was already submitted or has expired.", Next: "Start a new payment."}
	}
	t0 := f.Now()
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * stepGap) }
	ch := make(chan PaymentEvent, 32)
	if err := f.scaCheck(sca.PIN.Reveal(), sca.TOTP.Reveal()); err != nil {
		ch <- PaymentEvent{Step: StepSCA, State: StepRunning, At: at(0)}
		ch <- PaymentEvent{Step: StepSCA, State: StepFailed, At: at(1), Err: err, Final: true}
		close(ch)
		return ch, nil
	}
	delete(f.prepared, preparedID) // one SCA authorises exactly one intent
	n := f.nextPay
	outcome, hold := f.Outcome, f.Hold
	f.receipt = fmt.Sprintf("new%04d", n)
	receipt := &Receipt{ID: f.receipt, PaymentID: fmt.Sprintf("PAY-NEW-%04d", n), InteractionID: fmt.Sprintf("00000000-0000-4000-8000-%012d", n),
		Amount: pp.Amount, Currency: pp.Currency, Payee: pp.Payee, At: at(9)}
	if f.isBG(pp.ConsentID) {
		go f.runBG(ctx, ch, pp, receipt, t0)
		return ch, nil
	}
	go func() {
		defer close(ch)
		i := 0
		emit := func(ev PaymentEvent) bool {
			select {
			case ch <- ev:
				return true
			case <-ctx.Done():
				return false
			}
		}
		for _, s := range []PaymentStep{StepSCA, StepRisk, StepSealPII, StepSign, StepPersist} {
			if !emit(PaymentEvent{Step: s, State: StepRunning, At: at(i)}) || !emit(PaymentEvent{Step: s, State: StepDone, At: at(i + 1)}) {
				return
			}
			i++
		}
		if hold != nil {
			emit(PaymentEvent{Step: StepSend, State: StepRunning, At: at(i)})
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
			if !emit(PaymentEvent{Step: StepSend, State: StepRunning, At: at(i), Note: "Bank asked to wait 59 s", Until: t0.Add(59 * time.Second)}) {
				return
			}
			<-ctx.Done()
			receipt.Status, receipt.PaymentID = PaymentPrepared, ""
			receipt.Reason = "Not sent yet: the bank asked to wait. payterm sends it only while your approval lasts, then drops it."
			f.mu.Lock()
			f.details[receipt.ID] = PaymentDetail{Row: PaymentRow{ID: receipt.ID, At: receipt.At, PayeeName: receipt.Payee.Name,
				Amount: receipt.Amount, Status: PaymentPrepared}, Reason: receipt.Reason}
			f.mu.Unlock()
			// The context is cancelled: the final event goes into the buffer directly.
			ch <- PaymentEvent{Step: StepSend, State: StepFailed, At: at(i + 1), Final: true, Receipt: receipt,
				Err: &Problem{What: "The payment was not sent: the bank asked payterm to wait. It is queued.", Next: "To stop it now, cancel it (X on the receipt)."}}
			return
		case "refuse":
			emit(PaymentEvent{Step: StepSend, State: StepFailed, At: at(i + 1), Final: true,
				Err: &Problem{What: "The bank refused the payment: the consent is not valid for this payee.", Next: "Check the payee, or renew the consent."}})
			return
		case "refused":
			receipt.Status, receipt.Reason, receipt.ReasonCode = PaymentRefused,
				"The bank refused the payment request (Consent.Invalid). Nothing was paid.", "Consent.Invalid"
			emit(PaymentEvent{Step: StepSend, State: StepFailed, At: at(i + 1), Final: true, Receipt: receipt,
				Err: &Problem{What: "The bank refused the payment request (Consent.Invalid). Nothing was paid."}})
		case "reject":
			emit(PaymentEvent{Step: StepSend, State: StepDone, At: at(i + 1)})
			emit(PaymentEvent{Step: StepBankPending, State: StepDone, At: at(i + 2), Note: "Pending"})
			receipt.Status, receipt.Reason, receipt.ReasonCode = PaymentRejected, "Insufficient funds in the payer account", "AANI.AM04"
			emit(PaymentEvent{Step: StepSettled, State: StepFailed, At: at(i + 3), Note: "Rejected", Final: true, Receipt: receipt})
		case "pending":
			emit(PaymentEvent{Step: StepSend, State: StepDone, At: at(i + 1)})
			receipt.Status = PaymentPending
			f.mu.Lock()
			// Pending in the ledger until a test records the bank's answer (SetPaymentStatus).
			f.details[receipt.ID] = PaymentDetail{Row: PaymentRow{ID: receipt.ID, PaymentID: receipt.PaymentID, At: receipt.At,
				PayeeName: receipt.Payee.Name, Amount: receipt.Amount, Status: PaymentPending}}
			f.mu.Unlock()
			emit(PaymentEvent{Step: StepBankPending, State: StepDone, At: at(i + 2), Note: "Pending", Final: true, Receipt: receipt})
		default:
			emit(PaymentEvent{Step: StepSend, State: StepDone, At: at(i + 1)})
			emit(PaymentEvent{Step: StepBankPending, State: StepDone, At: at(i + 2), Note: "Pending"})
			receipt.Status = PaymentAcceptedCreditSettlementCompleted
			emit(PaymentEvent{Step: StepSettled, State: StepDone, At: at(i + 4), Note: "AcceptedCreditSettlementCompleted", Final: true, Receipt: receipt})
		}
	}()
	return ch, nil
}

func (f *FakeWallet) Payment(ctx context.Context, id string) (PaymentDetail, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("Payment")
	if d, ok := f.details[id]; ok {
		return d, nil
	}
	i, ok := f.index[id]
	if !ok {
		return PaymentDetail{}, &Problem{What: "That payment is not in the ledger."}
	}
	r := f.rows[i]
	d := PaymentDetail{Row: r, InteractionID: "00000000-0000-4000-8000-" + fmt.Sprintf("%012d", i+1), ConsentID: fakeConsentID, Purpose: "MWP Mobile Wallet Payments"}
	d.Timeline = []StatusChange{{At: r.At, Status: PaymentPrepared}, {At: r.At.Add(time.Second), Status: PaymentSending},
		{At: r.At.Add(2 * time.Second), Status: PaymentPending, Note: "201 Created, signature verified"}}
	if r.Status != PaymentPending {
		d.Timeline = append(d.Timeline, StatusChange{At: r.At.Add(9 * time.Second), Status: r.Status})
	}
	if r.Status == PaymentRejected {
		d.Reason = "Insufficient funds in the payer account (AANI.AM04)"
	}
	return d, nil
}

func (f *FakeWallet) CancelPayment(ctx context.Context, id string) (PaymentDetail, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("CancelPayment")
	d, ok := f.details[id]
	if !ok || d.Row.Status != PaymentPrepared {
		return PaymentDetail{}, &Problem{What: "Only a queued payment, which the bank has not got, can be cancelled.", Next: "Check its status in History."}
	}
	d.Row.Status, d.Reason = PaymentCancelled, "You cancelled the payment before it was sent. Nothing was paid."
	f.details[id] = d
	if i, ok := f.index[id]; ok {
		f.rows[i].Status = PaymentCancelled
	}
	f.publish(Change{Kind: PaymentChanged, ID: id})
	return d, nil
}

func outcomeOf(s PaymentStatus) Outcome {
	switch {
	case paymentOK(s):
		return OutcomeSuccessful
	case s == PaymentRejected || s == PaymentRefused || s == PaymentAbandoned || s == PaymentCancelled:
		return OutcomeFailed
	default:
		return OutcomePending
	}
}

func (f *FakeWallet) match(r PaymentRow, q HistoryFilter) bool {
	if q.PayeeName != "" && !strings.Contains(strings.ToLower(r.PayeeName), strings.ToLower(q.PayeeName)) {
		return false
	}
	if q.Outcome != OutcomeAny && outcomeOf(r.Status) != q.Outcome {
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
func (f *FakeWallet) History(ctx context.Context, q HistoryQuery) (HistoryPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	limit := q.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	filtered := q.Filter != (HistoryFilter{})
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
	var page HistoryPage
	page.Total = len(rows)
	if q.Oldest || (q.After == "" && q.Before == "") {
		// As the core: the sums for the first and the last page (a scan of the matching rows).
		page.Totals = fakeTotals(rows)
	}
	switch {
	case q.Oldest:
		start := max(0, len(rows)-limit)
		page.Rows = append([]PaymentRow(nil), rows[start:]...)
		page.More = start > 0
	case q.After != "":
		start := pos(q.After) + 1
		end := min(len(rows), start+limit)
		if start < end {
			page.Rows = append([]PaymentRow(nil), rows[start:end]...)
		}
		page.More = end < len(rows)
	case q.Before != "":
		end := pos(q.Before)
		start := max(0, end-limit)
		page.Rows = append([]PaymentRow(nil), rows[start:end]...)
		page.More = start > 0
	default:
		end := min(len(rows), limit)
		page.Rows = append([]PaymentRow(nil), rows[:end]...)
		page.More = end < len(rows)
	}
	return page, nil
}

// fakeTotals adds up rows as the ledger does (every row is AED here): nil when there are none.
func fakeTotals(rows []PaymentRow) []CurrencyTotal {
	if len(rows) == 0 {
		return nil
	}
	t := CurrencyTotal{Currency: currency, Count: len(rows)}
	for _, r := range rows {
		t.Sum, _ = t.Sum.Add(r.Amount)
		if paymentOK(r.Status) {
			t.Paid, _ = t.Paid.Add(r.Amount)
		}
	}
	return []CurrencyTotal{t}
}

func (f *FakeWallet) Inspect(ctx context.Context) (Inspection, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("Inspect")
	par := &Exchange{Request: "POST /par HTTP/1.1", Response: "HTTP/1.1 201 Created", InteractionID: "00000000-0000-4000-8000-0000000000aa",
		Headers:   []Field{{Name: "Content-Type", Value: "application/x-www-form-urlencoded"}, {Name: "Authorization", Value: "Bearer not-a-real-token"}},
		JWTHeader: []Field{{Name: "alg", Value: "PS256"}, {Name: "kid", Value: "test-signing-key-1"}},
		JWTClaims: []Field{{Name: "iss", Value: "payterm-test"}, {Name: "aud", Value: "https://bank.example"},
			{Name: "code_verifier", Value: "not-shown-anyway"}, {Name: "client_assertion", Value: "eyJ.fake.jwt", Secret: true},
			{Name: "Creditor.Name", Value: "Test Payee One", PII: true}},
		JWEHeader: []Field{{Name: "alg", Value: "RSA-OAEP-256"}, {Name: "enc", Value: "A256GCM"}, {Name: "kid", Value: "bank-enc-1"}},
		Checks:    []Check{{Name: "response signature", OK: true, Detail: "PS256, kid bank-sig-1"}, {Name: "request_uri lifetime", OK: true, Detail: "90 s"}}}
	pay := &Exchange{Request: "POST /open-finance/payment/v2.1/payments HTTP/1.1", Response: "HTTP/1.1 201 Created",
		InteractionID: "00000000-0000-4000-8000-0000000000bb",
		Headers:       []Field{{Name: "x-idempotency-key", Value: "7d3c1c2e-0000-4000-8000-000000000001"}, {Name: "x-fapi-auth-date", Value: "Tue, 15 Jan 2030 09:29:58 GMT"}},
		JWTClaims: []Field{{Name: "message.Data.Instruction.Amount.Amount", Value: "10.00"},
			// A compact JWE as long as the real one: the inspector shows only its start.
			{Name: "message.Data.PersonalIdentifiableInformation", Value: "eyJhbGciOiJSU0EtT0FFUC0yNTYiLCJlbmMiOiJBMjU2R0NNIn0." +
				strings.Repeat("c2VhbGVk", 60) + "." + strings.Repeat("aXY", 5) + "." + strings.Repeat("Y2lwaGVy", 90) + "." + "dGFnLXRhZy10YWc"}},
		JWEHeader: []Field{{Name: "PII alg", Value: "RSA-OAEP-256"}, {Name: "PII enc", Value: "A256GCM"}},
		Sealed: []Field{{Name: "Initiation.Creditor.Name", Value: "Test Payee One", PII: true},
			{Name: "Initiation.Creditor.CreditorAccount.Identification", Value: "AE620260001015678901234", PII: true}},
		Checks: []Check{{Name: "response signature", OK: true}, {Name: "Status is Pending", OK: true}}}
	// The token call's form values are longer than the inspector's pane at 100 columns.
	token := &Exchange{Request: "POST /token HTTP/1.1", Response: "HTTP/1.1 200 OK", InteractionID: "00000000-0000-4000-8000-0000000000cc",
		Headers: []Field{{Name: "form client_assertion_type", Value: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
			{Name: "form redirect_uri", Value: "https://wallet.example/open-finance/callback/return?from=bank&step=token"}},
		JWTHeader: []Field{{Name: "kid", Value: "X7bm8z1JUh0BoWS-Y_u0rimdmbZoUINvF4ByjHnXQ-I"}}}
	if len(f.BankOptions) > 1 {
		// With several banks the core names the bank of each message; the fake's are all at
		// its first bank.
		par.Bank, token.Bank, pay.Bank = f.BankOptions[0].Name, f.BankOptions[0].Name, f.BankOptions[0].Name
	}
	in := Inspection{ShowPII: f.Sandbox, ConsentID: f.consents[0].ID, Steps: []SequenceStep{
		{Name: "Discovery + JWKS", State: SeqDone},
		{Name: "PAR", State: SeqDone, Exchange: par},
		{Name: "Authorize at the bank", State: SeqDone},
		{Name: "Callback + token", State: SeqDone, Exchange: token},
		{Name: "SCA in payterm (PIN + code + device key)", State: SeqDone},
		{Name: "POST /payments", State: SeqCurrent, Exchange: pay},
		{Name: "GET /payments/{id} until final", State: SeqPending},
	}}
	if f.AllStepsDone {
		for i := range in.Steps {
			in.Steps[i].State = SeqDone
		}
	}
	if n := f.CurrentStep; n > 0 && n < len(in.Steps) {
		for i := range in.Steps {
			in.Steps[i].State = map[bool]SequenceState{true: SeqDone, false: SeqPending}[i < n]
		}
		in.Steps[n].State = SeqCurrent
	}
	if f.Sandbox {
		// Named after their step, as the production core does.
		in.Verdicts = []Verdict{{Rule: "PAR · rule 3: request object signed PS256", Passed: true},
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
var FakeBankURL = fakeStep.URL

// SetBankName renames the bank of every consent (a long name tests column sizing).
func (f *FakeWallet) SetBankName(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.consents {
		f.consents[i].Bank = name
	}
}

// Consent returns a copy of consent i (for assertions).
func (f *FakeWallet) Consent(i int) Consent {
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

var _ Wallet = (*FakeWallet)(nil)

// AddConsent puts c first in the consent list (the newest), e.g. a second consent at another bank.
func (f *FakeWallet) AddConsent(c Consent) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.consents = append([]Consent{c}, f.consents...)
	f.publish(Change{Kind: ConsentChanged, ID: c.ID})
}

// EditConsent changes consent i in place (for states such as near expiry or suspended).
func (f *FakeWallet) EditConsent(i int, edit func(c *Consent)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	edit(&f.consents[i])
	f.publish(Change{Kind: ConsentChanged, ID: f.consents[i].ID})
}

// ExplainForTest exposes explain (the words every screen shows for an error) to ui_test.
func ExplainForTest(err error) string { return explain(err) }

// QueueRow makes the i-th newest payment a queued one (PaymentPrepared: not sent, cancellable).
func (f *FakeWallet) QueueRow(i int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := &f.rows[i]
	r.Status, r.PaymentID = PaymentPrepared, ""
	f.details[r.ID] = PaymentDetail{Row: *r, Reason: "Not sent yet: the bank has not got it.",
		Timeline: []StatusChange{{At: r.At, Status: PaymentPrepared, Note: "queued, not sent: the bank asked to wait 59 s"}}}
}
