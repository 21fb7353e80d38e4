package app

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/payterm/payterm/provider"
	ftprov "github.com/payterm/payterm/provider/fintecture"
	opprov "github.com/payterm/payterm/provider/op"
	xs2aprov "github.com/payterm/payterm/provider/xs2a"
	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/wallet"
)

// What the screens need to know about a bank's standard (ui.PayTerms, progress rows, the
// bank's questions and statuses), read from its provider's Caps. A UAE bank keeps the zero
// values the screens have always drawn.

// capsOf is the provider caps of a Berlin Group or Fintecture bank, false for a UAE bank (or one that left
// the config).
func (a *App) capsOf(bankID string) (provider.Caps, bool) {
	if p, ok := a.psd2Provider(bankID); ok {
		return p.Caps(), true
	}
	return provider.Caps{}, false
}

// psd2Provider is the provider of a European bank in the config (false for a UAE bank).
func (a *App) psd2Provider(bankID string) (provider.Bank, bool) {
	bc, ok := a.bankByID(bankID)
	switch {
	case ok && bc.bg != nil:
		return bc.bg.prov, true
	case ok && bc.ft != nil:
		return bc.ft.prov, true
	case ok && bc.op != nil:
		return bc.op.prov, true
	}
	return nil, false
}

// termsOf is what paying under a consent (or link) means at its bank, in its currency.
func (a *App) termsOf(bankID, currency string) ui.PayTerms {
	caps, ok := a.capsOf(bankID)
	if !ok {
		return ui.UAETerms()
	}
	t := ui.PayTerms{Standard: standardName(caps), Currency: currency, Purpose: caps.Fields.Purpose,
		Reference: ui.ReferenceField{Label: caps.Fields.ReferenceName, Max: caps.Fields.ReferenceMax, Required: caps.Fields.ReferenceRequired},
		WalletSCA: ui.SCAWalletOnly, Signing: caps.Signing, Approval: approvalOf(caps), Scheme: caps.Scheme,
		Bundle: caps.Bundle}
	if p, ok := a.psd2Provider(bankID); ok {
		_, can := p.(provider.Canceller)
		t.NoCancel = !can
	}
	for _, p := range caps.Products {
		if !slices.Contains(p.Currencies, currency) {
			continue
		}
		t.Products = append(t.Products, ui.Product{ID: p.ID, Label: p.Label, Currency: currency, Account: accountScheme(p), PayeeBank: p.PayeeBank})
	}
	return t
}

// approvalOf is who approves a payment at the bank, in a few words, from the Caps' approval
// model (the wallet's check delegated, or the bank's own SCA per payment or per grant).
func approvalOf(caps provider.Caps) string {
	switch {
	case caps.WalletSCA == provider.WalletSCAIsTheSCA:
		return "in payterm (PIN + code)"
	case caps.BankSCA == provider.BankSCAOnGrant:
		return "at the bank, once per consent"
	default:
		return "at the bank, each payment"
	}
}

// linkRules are the "Payment Rules" of a link at a bank whose standard is not the UAE's.
func linkRules(caps provider.Caps, c ui.Consent, who string) []ui.Rule {
	t := c.Terms
	rules := []ui.Rule{
		{Label: "Type", Value: "A link to your account (" + t.Standard + "): no consent at the bank"},
		{Label: "Approval", Value: approvalOf(caps) + "; your PIN + code only guard this wallet"},
		{Label: "Who you can pay", Value: who},
		{Label: "Amounts", Value: "in " + t.Currency + "; your bank's own limits, and your payterm limits"},
		{Label: "Signed with", Value: caps.Signing},
		{Label: "Linked", Value: c.Created.Format("2 Jan 2006")},
	}
	switch {
	case !c.Expires.IsZero():
		rules = append(rules, ui.Rule{Label: "Expires", Value: c.Expires.Format("2 Jan 2006")})
	case c.ExpiryRestoring:
		rules = append(rules, ui.Rule{Label: "Expires", Value: "… (restoring your bank approval)"})
	}
	return rules
}

// bankTerms is a configured bank's terms in its own currency (the UAE's for a UAE bank).
func (a *App) bankTerms(bankID string) ui.PayTerms {
	caps, ok := a.capsOf(bankID)
	if !ok {
		return ui.UAETerms()
	}
	return a.termsOf(bankID, caps.Currency())
}

// banksSideBySide are every configured bank with its terms, in config order: the banks side by
// side on Home and in the inspector.
func (a *App) banksSideBySide() []ui.BankOption {
	out := make([]ui.BankOption, 0, len(a.banks))
	for _, bc := range a.banks {
		out = append(out, ui.BankOption{ID: bc.cfg.ID, Name: bc.cfg.Name, Sandbox: bc.sandbox != nil, Terms: a.bankTerms(bc.cfg.ID)})
	}
	return out
}

// standardName is a Berlin Group bank's standard in words, with the bank's reading of it.
func standardName(caps provider.Caps) string {
	if caps.Kind == provider.Fintecture {
		return "Fintecture payment session (PSD2 PISP)"
	}
	if caps.Kind == provider.OP {
		return "OP PSD2 Payment Initiation v1"
	}
	if caps.Profile == "bog" {
		return "Berlin Group NextGenPSD2 (Bank of Georgia)"
	}
	return "Berlin Group NextGenPSD2"
}

// accountScheme is how the pay form asks for a product's payee account.
func accountScheme(p provider.Product) ui.AccountScheme {
	if p.Creditor == provider.SchemeNorwayBBAN {
		return ui.AccountNorwegianBBAN
	}
	if len(p.IBANCountries) == 1 {
		return ui.AccountScheme("IBAN:" + p.IBANCountries[0])
	}
	return ui.AccountIBAN
}

// stepsOf is the progress screen's rows for a payment at the bank; nil is the UAE pipeline.
func (a *App) stepsOf(bankID string) []string {
	caps, ok := a.capsOf(bankID)
	if !ok {
		return nil
	}
	return caps.Steps
}

// bgRow is the row of a Berlin Group payment's progress (xs2aprov's Steps) each wallet step
// lights. Risk and sealing do not happen there.
var bgRow = map[wallet.Step]string{
	wallet.StepSCA: xs2aprov.StepWallet, wallet.StepSign: xs2aprov.StepSigned, wallet.StepPersist: xs2aprov.StepSaved,
	wallet.StepSend: xs2aprov.StepSent, wallet.StepApprove: xs2aprov.StepApprove, wallet.StepBankPending: xs2aprov.StepBankSays,
	wallet.StepSettled: xs2aprov.StepExecuted, wallet.StepRisk: xs2aprov.StepSigned, wallet.StepSealPII: xs2aprov.StepSigned,
}

// opRow and ftRow are the same for OP's and Fintecture's rows (opprov's and ftprov's Steps).
var (
	opRow = map[wallet.Step]string{
		wallet.StepSCA: opprov.StepWallet, wallet.StepSign: opprov.StepSigned, wallet.StepPersist: opprov.StepSaved,
		wallet.StepSend: opprov.StepCreated, wallet.StepApprove: opprov.StepApprove, wallet.StepBankPending: opprov.StepSubmitted,
		wallet.StepSettled: opprov.StepExecuted, wallet.StepRisk: opprov.StepSigned, wallet.StepSealPII: opprov.StepSigned,
	}
	ftRow = map[wallet.Step]string{
		wallet.StepSCA: ftprov.StepWallet, wallet.StepSign: ftprov.StepSigned, wallet.StepPersist: ftprov.StepSaved,
		wallet.StepSend: ftprov.StepSent, wallet.StepApprove: ftprov.StepApprove, wallet.StepBankPending: ftprov.StepBankSays,
		wallet.StepSettled: ftprov.StepExecuted, wallet.StepRisk: ftprov.StepSigned, wallet.StepSealPII: ftprov.StepSigned,
	}
)

// rowOf is the progress row of a wallet event: its step's index in steps, or the UAE
// pipeline's step when steps is nil. At OP the bank's first word on a payment that still waits
// for the payer's approval belongs to "Created at OP", not to "Submitted": nothing is
// submitted before the approval (or OP's waiver of it).
func rowOf(steps []string, s wallet.Step, status wallet.PaymentStatus) ui.PaymentStep {
	if steps == nil {
		return toUIStep(s)
	}
	if s == wallet.StepBankPending && status == wallet.PaymentAwaitingBankSCA && slices.Contains(steps, opprov.StepCreated) {
		s = wallet.StepSend
	}
	for _, rows := range []map[wallet.Step]string{bgRow, opRow, ftRow} {
		if i := slices.Index(steps, rows[s]); i >= 0 {
			return ui.PaymentStep(i)
		}
	}
	return 0
}

// submittedRow is OP's "Submitted" row when e ends the approval with the payment submitted:
// at OP the approval (or its waiver) ends in the submission, which no later event reports.
func submittedRow(steps []string, e wallet.Event) (ui.PaymentStep, bool) {
	if e.Step != wallet.StepApprove || e.State != wallet.StepDone {
		return 0, false
	}
	switch e.Status {
	case wallet.PaymentProcessing, wallet.PaymentExecuted, wallet.PaymentSettled:
	default:
		return 0, false
	}
	i := slices.Index(steps, opprov.StepSubmitted)
	return ui.PaymentStep(i), i >= 0
}

// toUIAction is the bank's question as the screens ask it.
func toUIAction(act *provider.Action) *ui.BankAction {
	if act == nil {
		return nil
	}
	out := &ui.BankAction{Message: act.Message, URL: act.URL, ExpiresAt: act.Deadline, NeedsCallback: act.NeedsCallback, Login: act.Login}
	switch act.Kind {
	case provider.ActionRedirect:
		out.Kind = ui.ActionRedirect
	case provider.ActionDecoupled:
		out.Kind = ui.ActionDecoupled
	case provider.ActionPassword:
		out.Kind = ui.ActionPassword
		out.Challenge = &ui.Challenge{Masked: true, MaxLength: 64, AttemptsLeft: act.AttemptsLeft}
	case provider.ActionChooseMethod:
		out.Kind = ui.ActionMethod
		for _, m := range act.Methods {
			out.Methods = append(out.Methods, ui.SCAMethod{ID: m.ID, Label: m.Label})
		}
	case provider.ActionOTP:
		out.Kind = ui.ActionOTP
		out.Challenge = &ui.Challenge{Text: act.Challenge, Masked: true, MaxLength: 64, AttemptsLeft: act.AttemptsLeft}
	default:
		out.Kind = ui.BankActionKind(act.Kind)
	}
	return out
}

// ContinuePayment passes the payer's answer to the bank's approval step of a payment in
// flight. A UAE bank asks nothing during a payment: the PIN and code were its approval.
func (w uiWallet) ContinuePayment(ctx context.Context, paymentID string, in ui.BankInput) error {
	a := w.a
	id, ok := a.paying.ledgerID(paymentID)
	login := !ok && a.wallet.WaitingForLogin(paymentID) // the bank's login before the payment is saved
	if !ok && !login {
		return &ui.Problem{What: "No payment is waiting for your bank's approval here.",
			Next: "Check the payment in History: if your bank still asks, approve it there."}
	}
	var pin provider.Input
	switch in.Kind {
	case ui.ActionPassword:
		pin.Password = in.Secret.Reveal()
	case ui.ActionOTP, ui.ActionConfirmation:
		pin.OTP = in.Secret.Reveal()
	case ui.ActionMethod:
		pin.MethodID = in.MethodID
	case ui.ActionRedirect:
		pin.CallbackURL = in.Secret.Reveal()
	default:
		return &ui.Problem{What: "That answer is not one your bank asked for.", Next: "Answer the question on screen."}
	}
	if login {
		return uiError("Answering your bank", a.wallet.ContinueLogin(ctx, paymentID, pin))
	}
	return uiError("Answering your bank", a.wallet.ContinuePayment(ctx, id, pin))
}

// paying maps the pay screens' ids (PreparedPayment.ID: a prepared payment's id, or the ledger
// id of a payment whose approval is asked again) to what the core knows: the bank the payment
// goes to (its progress rows), and its ledger id once saved (where the bank's questions are
// answered). An entry ends with its run, or after the wallet's own PreparedTTL when nobody
// submitted it.
type paying struct {
	mu sync.Mutex
	m  map[string]payingEntry
}

type payingEntry struct {
	bank     string
	ledgerID int64
	at       time.Time
}

func (p *paying) prepared(id, bank string, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]payingEntry{}
	}
	for k, e := range p.m {
		if e.ledgerID == 0 && now.Sub(e.at) > wallet.PreparedTTL {
			delete(p.m, k)
		}
	}
	p.m[id] = payingEntry{bank: bank, at: now}
}

func (p *paying) bank(id string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.m[id].bank
}

func (p *paying) set(id string, ledgerID int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e, ok := p.m[id]; ok {
		e.ledgerID = ledgerID
		p.m[id] = e
	}
}

func (p *paying) ledgerID(id string) (int64, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.m[id]
	return e.ledgerID, ok && e.ledgerID != 0
}

func (p *paying) forget(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.m, id)
}
