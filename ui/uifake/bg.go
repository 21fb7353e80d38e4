package uifake

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/payterm/payterm/ui"
)

// The fake's Berlin Group bank: a bank where the payer approves every payment at the bank
// itself (its page, its app, or its questions answered in payterm), in EUR — or, with
// FakeSB1Bank, SpareBank 1's NOK at home by Norwegian account number and EUR over SEPA. It is
// test scaffolding like the rest of FakeWallet: deterministic, obviously fake names, public
// example IBANs, and a script (FakeApproval) saying how the bank asks and what the payer does.

// FakeBGBank is the fake Berlin Group bank (generic profile: EUR, SEPA products, IBANs).
var FakeBGBank = ui.BankOption{ID: "berlin", Name: "Berlin Test Bank", Terms: FakeBGTerms()}

// FakeSB1Bank is the fake SpareBank 1 profile: NOK by Norwegian account number, EUR by IBAN.
var FakeSB1Bank = ui.BankOption{ID: "sb1", Name: "SpareBank 1 Test", Terms: FakeSB1Terms()}

// FakeBGTerms are the Berlin Group bank's terms as a core would fill them.
func FakeBGTerms() ui.PayTerms {
	return ui.PayTerms{
		Standard: "Berlin Group NextGenPSD2",
		Currency: "EUR",
		Products: []ui.Product{
			{ID: "sepa-credit-transfers", Label: "SEPA transfer", Currency: "EUR", Account: ui.AccountIBAN},
			{ID: "instant-sepa-credit-transfers", Label: "Instant SEPA transfer", Currency: "EUR", Account: ui.AccountIBAN},
			{ID: "cross-border-credit-transfers", Label: "Cross-border", Currency: "EUR", Account: ui.AccountIBAN},
		},
		Reference: ui.ReferenceField{Label: "Payee message", Max: 140},
		WalletSCA: ui.SCAWalletOnly,
		Signing:   "HTTP signature (draft-cavage rsa-sha256)",
		Approval:  "at the bank, each payment",
		Scheme:    "HTTP signature rsa-sha256 (QSealC)",
	}
}

// FakeSB1Terms are SpareBank 1's: domestic NOK to an 11-digit account number, or SEPA in EUR.
func FakeSB1Terms() ui.PayTerms {
	t := FakeBGTerms()
	t.Currency = "NOK"
	t.Products = []ui.Product{
		{ID: "norwegian-domestic-credit-transfers", Label: "Domestic transfer", Currency: "NOK", Account: ui.AccountNorwegianBBAN},
		{ID: "sepa-credit-transfers", Label: "SEPA transfer", Currency: "EUR", Account: ui.AccountIBAN},
	}
	return t
}

// bgSteps are the progress rows of a Berlin Group payment.
var bgSteps = []string{"Wallet check", "Signed", "Saved", "Sent", "Approve at your bank", "Bank says", "Executed"}

// The rows of bgSteps the fake reports on.
const (
	bgStepSent = 3
	bgApprove  = 4
	bgBankSays = 5
	bgExecuted = 6
)

// FakeApproval scripts how the fake bank has the payer approve the next payments.
type FakeApproval struct {
	// Kind is how the bank asks: ActionRedirect (its page), ActionDecoupled (its app) or
	// ActionPassword (embedded: the password, then the method when there are several, then the
	// one-time code).
	Kind ui.BankActionKind
	// Decide is the payer's decision at the bank's page or app, as the core's poll learns it: a
	// test sends true (approved) or false (declined). Nil: no decision ever comes.
	Decide chan bool
	// NeedsCallback and CallbackHere: the redirect's outcome is in the address the browser lands
	// on (pasted back: it must hold "code="), received on this computer or not.
	NeedsCallback, CallbackHere bool
	// Login: the page is the bank's login before the payment is sent (BankAction.Login, as
	// SpareBank 1's session login); it is asked and answered like the redirect page.
	Login bool
	// Confirm: after the page, the bank asks for the confirmation code it showed (TAN).
	Confirm bool
	// Message is the bank's psuMessage.
	Message string
	// Methods are the embedded approach's SCA methods (several: the payer chooses).
	Methods []ui.SCAMethod
	// Password and TAN are the right answers; Attempts the codes the bank takes (default 3).
	Password, TAN string
	Attempts      int
	MaskTAN       bool
	// AnswerGate, when non-nil, holds the bank's reaction to each answer until it is closed (an
	// answer on its way: keys typed meanwhile are queued).
	AnswerGate chan struct{}
}

// fakeBG is the fake Berlin Group bank's state inside FakeWallet.
type fakeBG struct {
	bank      ui.BankOption
	consentID string
	payees    []ui.Payee
	headroom  ui.Headroom
	approval  FakeApproval
	pending   *fakePending   // the question the bank waits on
	inputs    []ui.BankInput // every answer ContinuePayment took
	// bankApproval is PreparedPayment.BankApproval for the payments prepared next.
	bankApproval string
	// payeeBanks are the saved payees' banks and addresses (AddSavedForeignPayee), by payee id.
	payeeBanks map[string]ui.PayeeBank
}

// fakePending is one question of the bank, for one payment.
type fakePending struct {
	id   string
	kind ui.BankActionKind
	in   chan ui.BankInput
}

const fakeBGConsentID = "b0000000-0000-4000-8000-000000000001"

// NewFakeBGWallet is NewFakeWallet with a consent at the fake Berlin Group bank first: Home's
// active consent, what p pays from.
func NewFakeBGWallet(now func() time.Time, n int) *FakeWallet {
	f := NewFakeWallet(now, n)
	f.AddBGConsent(FakeBGBank)
	return f
}

// AddBGConsent puts an active consent at bank (FakeBGBank or FakeSB1Bank) first, with its
// payees, its limits (in its currency) and three payments of its own at the top of the history.
func (f *FakeWallet) AddBGConsent(bank ui.BankOption) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := bank.Terms.Resolved()
	f.bg.bank, f.bg.consentID = bank, fakeBGConsentID
	f.bg.payees = []ui.Payee{
		// The ISO 13616 example German IBAN and the Berlin Group specification's creditor.
		{ID: "bg-payee-1", Name: "Test Payee GmbH", IBAN: "DE89370400440532013000"},
		{ID: "bg-payee-2", Name: "Example Merchant", IBAN: "DE02100100109307118603"},
	}
	if t.Currency == "NOK" {
		f.bg.payees = append([]ui.Payee{{ID: "bg-payee-0", Name: "Test Mottaker AS", IBAN: "12345678903"}}, f.bg.payees...)
	}
	f.bg.headroom = ui.Headroom{Currency: t.Currency,
		Limits: ui.Limits{PerPayment: amt(200000), PerDay: amt(500000), PerMonth: amt(2000000), PerDayCount: 10},
		Used:   ui.Usage{Day: amt(4200), DayCount: 1, Month: amt(4200), Consent: amt(4200)}}
	f.bg.approval = FakeApproval{Kind: ui.ActionRedirect, Password: "test-bank-password", TAN: "246810"}
	c := ui.Consent{ID: fakeBGConsentID, Bank: bank.Name, BankID: bank.ID, Status: ui.ConsentAuthorized, Link: true,
		Created: FakeBase.AddDate(0, -1, 0), Expires: FakeBase.AddDate(0, 11, 0), Model: ui.BeneficiaryList,
		Creditors: f.bg.payees, DebtorMasked: "DE40 •••• 8608", TotalPaid: amt(4200), PaymentCount: 2, Terms: bank.Terms}
	if t.Currency == "NOK" {
		c.DebtorMasked, c.TotalPaid, c.PaymentCount = "1234 •••• 8903", amt(125000), 3
		c.OtherPaid = []ui.Money{{Amount: amt(1250), Currency: "EUR"}}
	}
	f.consents = append([]ui.Consent{c}, f.consents...)
	rows := []ui.PaymentRow{
		{ID: "bg0000003", PaymentID: "bg-pay-3", At: FakeBase.Add(-10 * time.Minute), PayeeName: "Test Payee GmbH", Amount: amt(4200),
			Currency: t.Currency, Status: ui.PaymentExecuted, BankStatus: "ACSC", Reference: "Order 3"},
		{ID: "bg0000002", PaymentID: "bg-pay-2", At: FakeBase.Add(-20 * time.Minute), PayeeName: "Example Merchant", Amount: amt(999),
			Currency: t.Currency, Status: ui.PaymentRejected, BankStatus: "RJCT", Reference: "Order 2"},
		{ID: "bg0000001", PaymentID: "bg-pay-1", At: FakeBase.Add(-30 * time.Minute), PayeeName: "Example Merchant", Amount: amt(1500),
			Currency: t.Currency, Status: ui.PaymentAwaitingBankSCA, BankStatus: "RCVD", Reference: "Order 1"},
	}
	f.rows = append(rows, f.rows...)
	for i, r := range f.rows {
		f.index[r.ID] = i
	}
	for _, r := range rows {
		f.details[r.ID] = ui.PaymentDetail{Row: r, InteractionID: "00000000-0000-4000-8000-0000000b9" + r.ID[len(r.ID)-3:], ConsentID: fakeBGConsentID,
			Timeline: []ui.StatusChange{{At: r.At, Status: ui.PaymentPrepared}, {At: r.At.Add(time.Second), Status: ui.PaymentAwaitingBankSCA, BankStatus: "RCVD"},
				{At: r.At.Add(40 * time.Second), Status: r.Status, BankStatus: r.BankStatus}}}
	}
}

// bgDetail is the Berlin Group consent's rules and its own payments; the caller holds f.mu.
func (f *FakeWallet) bgDetail(c ui.Consent) ui.ConsentDetail {
	d := ui.ConsentDetail{Consent: c, Rules: []ui.Rule{
		{Label: "Type", Value: "Each payment approved at " + c.Bank + " (" + c.Terms.Standard + ")"},
		{Label: "Who you can pay", Value: plural(len(c.Creditors), "named payee", "named payees")},
		{Label: "Amounts", Value: "your bank's own limits, and your payterm limits"},
	}}
	for _, r := range f.rows {
		if strings.HasPrefix(r.ID, "bg") {
			d.Payments = append(d.Payments, r)
		}
	}
	return d
}

// SetBankApproval sets the bank's forecast of its approval (PreparedPayment.BankApproval) of
// the payments prepared from now on.
func (f *FakeWallet) SetBankApproval(words string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bg.bankApproval = words
}

// SetApproval scripts the bank's approval of the payments submitted from now on.
func (f *FakeWallet) SetApproval(a FakeApproval) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bg.approval = a
}

// BankInputs lists the answers ContinuePayment took, in order.
func (f *FakeWallet) BankInputs() []ui.BankInput {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]ui.BankInput(nil), f.bg.inputs...)
}

// isBG reports a consent at the fake Berlin Group bank; the caller holds f.mu.
func (f *FakeWallet) isBG(consentID string) bool {
	return f.bg.consentID != "" && consentID == f.bg.consentID
}

// bgOverview gives Home the limits per currency: the active consent's first; the caller holds f.mu.
func (f *FakeWallet) bgOverview(ov *ui.Overview) {
	if f.bg.consentID == "" {
		return
	}
	if ov.Active != nil && f.isBG(ov.Active.ID) {
		ov.Headroom, ov.OtherHeadroom = f.bg.headroom, []ui.Headroom{ov.Headroom}
		return
	}
	ov.OtherHeadroom = []ui.Headroom{f.bg.headroom}
}

// prepareBG is PreparePayment at the Berlin Group bank; the caller holds f.mu.
func (f *FakeWallet) prepareBG(d ui.PaymentDraft) (ui.PreparedPayment, error) {
	c, err := f.find(d.ConsentID)
	if err != nil {
		return ui.PreparedPayment{}, err
	}
	t := c.Terms.Resolved()
	prod, found := t.Products[0], d.Product == ""
	for _, p := range t.Products {
		if p.ID == d.Product {
			prod, found = p, true
		}
	}
	if !found {
		return ui.PreparedPayment{}, &ui.Problem{What: "The bank does not offer that product.", Next: "Choose another one (←/→)."}
	}
	a, err := ui.ParseAmountIn(d.Amount, prod.Currency)
	if err != nil {
		return ui.PreparedPayment{}, &ui.Problem{What: ui.AmountSentence(err, prod.Currency), Err: err}
	}
	hr := ui.Headroom{Currency: prod.Currency}
	if ui.SameCurrency(prod.Currency, f.bg.headroom.Currency) {
		hr = f.bg.headroom
		if l := hr.Limits.PerPayment; !l.IsZero() && a.Cmp(l) > 0 {
			return ui.PreparedPayment{}, &ui.Problem{What: "This is above your per-payment limit of " + ui.FormatMoney(l, hr.Currency) + ".",
				Next: "Pay less, or raise the limit in Limits (l on Home)."}
		}
		hr.Used.Day, _ = hr.Used.Day.Add(a)
		hr.Used.Month, _ = hr.Used.Month.Add(a)
		hr.Used.Consent, _ = hr.Used.Consent.Add(a)
		hr.Used.DayCount++
	}
	var p ui.Payee
	for _, q := range f.bg.payees {
		if q.ID == d.PayeeID {
			p = q
		}
	}
	if p.ID == "" {
		p = ui.Payee{ID: "payee-new", Name: d.NewPayee.Name, IBAN: d.NewPayee.IBAN}
	}
	if !ui.AccountValid(prod, p.IBAN) {
		return ui.PreparedPayment{}, &ui.Problem{What: "That payee's account cannot receive a " + prod.Label + ".", Next: "Choose another product or payee."}
	}
	f.nextPay++
	id := fmt.Sprintf("prep-%d", f.nextPay)
	pp := ui.PreparedPayment{ID: id, ConsentID: d.ConsentID, Payee: p, Amount: a, Currency: prod.Currency, Reference: d.Reference,
		Product: prod.ID, Headroom: hr, Steps: append([]string(nil), bgSteps...), BankApproval: f.bg.bankApproval}
	if prod.PayeeBank {
		pp.PayeeBank = f.payeeBankFor(p.ID, d.NewPayee)
	}
	f.prepared[id] = pp
	return pp, nil
}

// ContinuePayment takes the payer's answer to the question the bank waits on, as the core does:
// only for that payment and of that kind; what the bank makes of it comes as the next event.
func (f *FakeWallet) ContinuePayment(ctx context.Context, paymentID string, in ui.BankInput) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("ContinuePayment(" + string(in.Kind) + ")")
	if f.answerBundle(paymentID, in) {
		return nil
	}
	p := f.bg.pending
	switch {
	case p == nil || p.id != paymentID:
		return &ui.Problem{What: "No approval is waiting for this payment.", Next: "Check its status in History."}
	case p.kind != in.Kind:
		return &ui.Problem{What: "The bank did not ask for that.", Next: "Answer the question on the screen."}
	}
	f.bg.inputs = append(f.bg.inputs, in)
	f.bg.pending = nil // one answer per question
	p.in <- in         // buffered: the bank takes it when it is ready
	return nil
}

// fakeBGURL is the address of the bank's approval page for a payment.
func fakeBGURL(id string) string {
	return "https://bank.example/psd2/authorise?payment=" + id + "&authorisation=00000000-0000-4000-8000-0000000000bb"
}

// runBG is a Berlin Group payment after the wallet's check: signed, saved, sent, approved at the
// bank (as FakeApproval scripts it), then executed, rejected, or left waiting at the bank.
func (f *FakeWallet) runBG(ctx context.Context, ch chan ui.PaymentEvent, pp ui.PreparedPayment, r *ui.Receipt, t0 time.Time) {
	defer close(ch)
	f.mu.Lock()
	ap, bank := f.bg.approval, f.bg.bank.Name
	f.mu.Unlock()
	emit, at := fakeEmitter(ctx, ch, t0)
	for step := range ui.PaymentStep(bgStepSent + 1) {
		note := ""
		if step == bgStepSent {
			note = "RCVD"
		}
		if !emit(ui.PaymentEvent{Step: step, State: ui.StepRunning, At: at()}) || !emit(ui.PaymentEvent{Step: step, State: ui.StepDone, At: at(), Note: note}) {
			f.bgFinal(ch, pp, r, "stopped", bank, at())
			return
		}
	}
	outcome := f.bgApprove(ctx, emit, ap, pp, bank, at)
	f.bgFinal(ch, pp, r, outcome, bank, at())
}

// bgApprove plays the bank's approval step: "approved", "declined", "blocked" (too many wrong
// codes) or "stopped" (the payer stopped watching: the submission's context ended).
func (f *FakeWallet) bgApprove(ctx context.Context, emit func(ui.PaymentEvent) bool, ap FakeApproval, pp ui.PreparedPayment, bank string, at func() time.Time) string {
	ask := func(kind ui.BankActionKind) *fakePending {
		f.mu.Lock()
		defer f.mu.Unlock()
		p := &fakePending{id: pp.ID, kind: kind, in: make(chan ui.BankInput, 1)}
		f.bg.pending = p
		return p
	}
	defer func() {
		f.mu.Lock()
		f.bg.pending = nil
		f.mu.Unlock()
	}()
	// answer waits for the payer's answer to p, then for the gate (the bank reacting).
	answer := func(p *fakePending) (ui.BankInput, bool) {
		select {
		case in := <-p.in:
			if ap.AnswerGate != nil {
				select {
				case <-ap.AnswerGate:
				case <-ctx.Done():
					return ui.BankInput{}, false
				}
			}
			return in, true
		case <-ctx.Done():
			return ui.BankInput{}, false
		}
	}
	question := func(a ui.BankAction, err error) bool {
		return emit(ui.PaymentEvent{Step: bgApprove, State: ui.StepRunning, At: at(), Action: &a, Err: err})
	}
	var err error
	switch ap.Kind {
	case ui.ActionRedirect, ui.ActionDecoupled:
		a := ui.BankAction{Kind: ap.Kind, Message: ap.Message}
		if ap.Kind == ui.ActionRedirect {
			a.URL, a.ExpiresAt = fakeBGURL(pp.ID), FakeBase.Add(5*time.Minute)
			a.NeedsCallback, a.CallbackHere, a.Login = ap.NeedsCallback, ap.CallbackHere, ap.Login
		}
		for {
			in := make(chan ui.BankInput) // a polled approval takes no answer
			if a.NeedsCallback {
				in = ask(ui.ActionRedirect).in
			}
			if !question(a, err) {
				return "stopped"
			}
			select {
			case ok := <-ap.Decide:
				if !ok {
					return "declined"
				}
			case got := <-in:
				if !strings.Contains(got.Secret.Reveal(), "code=") {
					err = &ui.Problem{What: "That address does not carry " + bank + "'s answer.", Next: "Paste the whole address your browser shows after approving."}
					continue
				}
			case <-ctx.Done():
				return "stopped"
			}
			break
		}
		if !ap.Confirm {
			return "approved"
		}
		err = nil
		for {
			p := ask(ui.ActionConfirmation)
			if !question(ui.BankAction{Kind: ui.ActionConfirmation, Challenge: &ui.Challenge{Text: "Type the confirmation code shown on the page."}}, err) {
				return "stopped"
			}
			got, ok := answer(p)
			if !ok {
				return "stopped"
			}
			if s := got.Secret.Reveal(); s == ap.TAN || strings.Contains(s, "confirmationCode="+ap.TAN) {
				return "approved"
			}
			err = &ui.Problem{What: bank + " did not accept that confirmation code.", Next: "Type the code its page showed."}
		}
	}
	// Embedded: the password, the method, the one-time code.
	for {
		p := ask(ui.ActionPassword)
		if !question(ui.BankAction{Kind: ui.ActionPassword, Message: ap.Message}, err) {
			return "stopped"
		}
		got, ok := answer(p)
		if !ok {
			return "stopped"
		}
		if got.Secret.Reveal() == ap.Password {
			break
		}
		err = &ui.Problem{What: bank + " did not accept the password.", Next: "Type your online banking password again."}
	}
	method := ui.SCAMethod{Label: "SMS"}
	if len(ap.Methods) > 0 {
		method = ap.Methods[0]
	}
	for err = nil; len(ap.Methods) > 1; {
		p := ask(ui.ActionMethod)
		if !question(ui.BankAction{Kind: ui.ActionMethod, Methods: ap.Methods}, err) {
			return "stopped"
		}
		got, ok := answer(p)
		if !ok {
			return "stopped"
		}
		found := false
		for _, m := range ap.Methods {
			if m.ID == got.MethodID {
				method, found = m, true
			}
		}
		if found {
			break
		}
		err = &ui.Problem{What: bank + " does not offer that method.", Next: "Choose one from its list."}
	}
	left := ap.Attempts
	if left <= 0 {
		left = 3
	}
	for err = nil; ; {
		p := ask(ui.ActionOTP)
		ch := &ui.Challenge{Text: "Enter the TAN we sent you by " + method.Label + ".", Masked: ap.MaskTAN, Digits: true, MaxLength: 6, AttemptsLeft: left}
		if !question(ui.BankAction{Kind: ui.ActionOTP, Challenge: ch}, err) {
			return "stopped"
		}
		got, ok := answer(p)
		if !ok {
			return "stopped"
		}
		if got.Secret.Reveal() == ap.TAN {
			return "approved"
		}
		if left--; left == 0 {
			return "blocked"
		}
		err = &ui.Problem{What: bank + " did not accept that code.", Next: "Type the code from its latest message."}
	}
}

// bgFinal reports how a Berlin Group payment ended and records it for Payment.
func (f *FakeWallet) bgFinal(ch chan ui.PaymentEvent, pp ui.PreparedPayment, r *ui.Receipt, outcome, bank string, at time.Time) {
	last := ui.PaymentEvent{Step: bgApprove, State: ui.StepFailed, At: at, Final: true, Receipt: r}
	switch outcome {
	case "approved":
		ch <- ui.PaymentEvent{Step: bgApprove, State: ui.StepDone, At: at, Note: "finalised"}
		ch <- ui.PaymentEvent{Step: bgBankSays, State: ui.StepDone, At: at, Note: "ACTC"}
		r.Status, r.BankStatus = ui.PaymentExecuted, "ACSC"
		last = ui.PaymentEvent{Step: bgExecuted, State: ui.StepDone, At: at, Note: "ACSC", Final: true, Receipt: r}
	case "declined":
		r.Status, r.BankStatus, r.Reason = ui.PaymentRejected, "RJCT", "You declined the payment at "+bank+"."
		last.Note = "declined"
	case "blocked":
		r.Status, r.BankStatus, r.Reason = ui.PaymentRejected, "RJCT", bank+" stopped the approval after too many wrong codes."
		last.Note = "too many wrong codes"
	default:
		r.Status, r.BankStatus = ui.PaymentAwaitingBankSCA, "RCVD"
		r.Reason = "Waiting for your approval at " + bank + "; it lapses if you do not approve it."
		last.Err = context.Canceled // as the core: the watch's context ended (the screen words it)
	}
	f.mu.Lock()
	f.details[r.ID] = ui.PaymentDetail{Row: ui.PaymentRow{ID: r.ID, PaymentID: r.PaymentID, At: r.At, PayeeName: r.Payee.Name, Amount: r.Amount,
		Currency: r.Currency, Status: r.Status, BankStatus: r.BankStatus, Reference: pp.Reference}, ConsentID: pp.ConsentID, Reason: r.Reason}
	if i, ok := f.index[r.ID]; ok { // History's row follows, as the core's does
		f.rows[i].Status, f.rows[i].BankStatus = r.Status, r.BankStatus
		f.publish(ui.Change{Kind: ui.PaymentChanged, ID: r.ID})
	}
	f.mu.Unlock()
	// A payment of a waiting bundle: OP's one page ended the others too.
	f.endBundleWith(r.ID)
	ch <- last // the channel has room: the submission's context may be over
}

// ApproveAgain asks the fake bank again for its approval of a payment awaiting it, as the core
// does (ui.ApprovalResumer): the approval scripted by SetApproval runs again, then the payment
// ends as it says; the payment's detail follows.
func (f *FakeWallet) ApproveAgain(ctx context.Context, paymentID string) (ui.PreparedPayment, <-chan ui.PaymentEvent, error) {
	f.mu.Lock()
	f.call("ApproveAgain")
	d, ok := f.details[paymentID]
	if !ok || d.Row.Status != ui.PaymentAwaitingBankSCA {
		f.mu.Unlock()
		return ui.PreparedPayment{}, nil, &ui.Problem{What: "This payment is not awaiting your bank's approval.", Next: "Check its status in History."}
	}
	ap, bank := f.bg.approval, f.bg.bank.Name
	f.mu.Unlock()
	pp := ui.PreparedPayment{ID: paymentID, ConsentID: d.ConsentID, Payee: ui.Payee{Name: d.Row.PayeeName}, Amount: d.Row.Amount,
		Currency: d.Row.Currency, Reference: d.Row.Reference, Steps: append([]string(nil), bgSteps...)}
	r := &ui.Receipt{ID: d.Row.ID, PaymentID: d.Row.PaymentID, InteractionID: d.InteractionID, Amount: d.Row.Amount,
		Currency: d.Row.Currency, Payee: pp.Payee, At: d.Row.At}
	ch := make(chan ui.PaymentEvent, 16)
	t0 := f.Now()
	go func() {
		defer close(ch)
		emit, at := fakeEmitter(ctx, ch, t0)
		outcome := f.bgApprove(ctx, emit, ap, pp, bank, at)
		f.bgFinal(ch, pp, r, outcome, bank, at())
	}()
	return pp, ch, nil
}

// fakeEmitter sends a run's events on ch until ctx ends (emit says whether it was sent), and
// times them stepGap apart from t0 (at).
func fakeEmitter(ctx context.Context, ch chan ui.PaymentEvent, t0 time.Time) (emit func(ui.PaymentEvent) bool, at func() time.Time) {
	n := 0
	at = func() time.Time { n++; return t0.Add(time.Duration(n) * stepGap) }
	emit = func(ev ui.PaymentEvent) bool {
		select {
		case ch <- ev:
			return true
		case <-ctx.Done():
			return false
		}
	}
	return emit, at
}
