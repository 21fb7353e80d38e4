package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/payterm/payterm/consent"
	"github.com/payterm/payterm/lfi"
	"github.com/payterm/payterm/provider/uae"
	"github.com/payterm/payterm/risk"
	"github.com/payterm/payterm/sca"
	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/wallet"
)

// onboardingState is what the first-run wizard has chosen so far. It lives in memory only: the
// PIN until the TOTP enrolment takes it, the beneficiary plan until the bank step is staged.
type onboardingState struct {
	mu        sync.Mutex
	pin       string
	enrolment *sca.Enrolment
	plan      *ui.BeneficiaryPlan
	step      *bankStep
}

func (o *onboardingState) closeAll() {
	o.mu.Lock()
	st := o.step
	o.step = nil
	o.mu.Unlock()
	if st != nil {
		st.close()
	}
}

// bankStep is one consent staged at the bank (PAR done). A goroutine waits for the loopback
// callback and finishes the consent on its own, so the UI may stop and restart its wait, or
// paste the callback instead, without losing the single-use authorization code.
type bankStep struct {
	bank        *bankConn
	ob          *consent.Onboarding
	info        ui.BankStep
	purpose     string
	debtor      wallet.Debtor
	renewedFrom string
	cancel      context.CancelFunc

	mu     sync.Mutex // serialises the loopback waiter and a pasted callback
	done   chan struct{}
	result ui.Consent
	err    error
}

func (s *bankStep) close() {
	s.cancel()
	s.ob.Close()
}

// settle runs f unless the step already has its outcome, and records what f returns. The
// loopback waiter and a pasted callback both go through it, so exactly one of them exchanges
// the code and the other sees that outcome.
func (s *bankStep) settle(f func() (ui.Consent, error)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.done:
		return
	default:
	}
	s.result, s.err = f()
	close(s.done)
}

// consentExpiry is when a new consent ends: just under the standard's one-year maximum.
func consentExpiry(now time.Time) time.Time { return now.AddDate(1, 0, -1) }

// SetPIN keeps the PIN for the TOTP enrolment. A wallet that was enrolled but never reached
// the bank (the wizard was quit half way) is reset first: no consent is bound to that device
// key yet, so the reset loses nothing, and the user gets a fresh authenticator secret.
func (w uiWallet) SetPIN(ctx context.Context, pin ui.Secret) error {
	a := w.a
	if err := sca.CheckPINPolicy(sca.PIN(pin.Reveal())); err != nil {
		return uiError("Setting the PIN", err)
	}
	if a.auth.Status().Enrolled {
		onboarded, err := a.onboarded(ctx)
		if err != nil {
			return uiError("Checking the wallet", err)
		}
		if onboarded {
			return &ui.Problem{What: "This wallet is already set up.", Next: "Use the recovery code (u on Home) to change the PIN."}
		}
		if err := a.auth.Reset(); err != nil {
			return uiError("Restarting the set-up", err)
		}
	}
	a.ob.mu.Lock()
	a.ob.pin, a.ob.enrolment = pin.Reveal(), nil
	a.ob.mu.Unlock()
	return nil
}

func (w uiWallet) EnrolTOTP(ctx context.Context) (ui.TOTPEnrolment, error) {
	a := w.a
	a.ob.mu.Lock()
	defer a.ob.mu.Unlock()
	if a.ob.pin == "" {
		return ui.TOTPEnrolment{}, &ui.Problem{What: "Choose a PIN first.", Next: "Go back one step."}
	}
	e, err := a.auth.BeginEnrolment(sca.PIN(a.ob.pin))
	if err != nil {
		return ui.TOTPEnrolment{}, uiError("Creating the authenticator secret", err)
	}
	a.ob.enrolment = e
	return ui.TOTPEnrolment{Secret: ui.NewSecret(e.Secret()), URI: ui.NewSecret(e.URI()), Issuer: "payterm", Account: "wallet",
		Digits: 6, Period: 30 * time.Second}, nil
}

func (w uiWallet) ConfirmTOTP(ctx context.Context, code ui.Secret) (ui.Secret, error) {
	a := w.a
	a.ob.mu.Lock()
	defer a.ob.mu.Unlock()
	if a.ob.enrolment == nil {
		return ui.Secret{}, &ui.Problem{What: "There is no authenticator enrolment in progress.", Next: "Go back and choose your PIN again."}
	}
	rc, err := a.auth.ConfirmEnrolment(a.ob.enrolment, sca.OTP(code.Reveal()))
	if err != nil {
		return ui.Secret{}, uiError("Checking the code", err)
	}
	a.ob.pin, a.ob.enrolment = "", nil
	return ui.NewSecret(rc.Reveal()), nil
}

// Banks lists the configured banks a consent can be set up with, in config order: a Berlin
// Group bank has no consent to set up (its link comes from the config).
func (w uiWallet) Banks(ctx context.Context) ([]ui.BankOption, error) {
	out := make([]ui.BankOption, 0, len(w.a.banks))
	for _, bc := range w.a.banks {
		if bc.bg != nil || bc.ft != nil || bc.op != nil {
			continue
		}
		out = append(out, ui.BankOption{ID: bc.cfg.ID, Name: bc.cfg.Name, Sandbox: bc.sandbox != nil})
	}
	return out, nil
}

// planBank is the bank a beneficiary plan names; "" is the first bank.
func (a *App) planBank(id string) (*bankConn, error) {
	if id == "" {
		return a.banks[0], nil
	}
	if bc, ok := a.bankByID(id); ok && bc.bg == nil && bc.ft == nil && bc.op == nil {
		return bc, nil
	}
	return nil, &ui.Problem{What: "That bank is not in your config.", Next: "Pick one of the banks listed."}
}

// SaveBeneficiaries validates the plan now (every IBAN and name), so the consent page never
// shows something the bank step would refuse.
func (w uiWallet) SaveBeneficiaries(ctx context.Context, plan ui.BeneficiaryPlan) error {
	n := len(plan.Payees)
	switch {
	case plan.Model == ui.BeneficiaryOpen && n != 0:
		return &ui.Problem{What: "A consent without fixed payees cannot name payees.", Next: "Remove them, or choose named payees."}
	case plan.Model == ui.BeneficiaryOne && n != 1:
		return &ui.Problem{What: "A single-payee consent needs exactly one payee.", Next: "Add one payee, or choose a list of payees."}
	case plan.Model == ui.BeneficiaryList && (n < 2 || n > consent.MaxCreditors):
		return &ui.Problem{What: fmt.Sprintf("A list of payees needs 2 to %d payees.", consent.MaxCreditors), Next: "Add or remove payees."}
	case plan.Model != ui.BeneficiaryOpen && plan.Model != ui.BeneficiaryOne && plan.Model != ui.BeneficiaryList:
		return &ui.Problem{What: "Choose who this consent lets you pay.", Next: "Pick open, one payee, or a list."}
	}
	for i, p := range plan.Payees {
		if _, err := consent.BuildCreditor(creditorInput(p)); err != nil {
			return &ui.Problem{What: fmt.Sprintf("Payee %d is not valid: %s.", i+1, problemText(err)), Next: "Correct it and try again.", Err: err}
		}
	}
	if err := checkDebtor(plan.DebtorAccount, plan.DebtorName); err != nil {
		return err
	}
	bc, err := w.a.planBank(plan.Bank)
	if err != nil {
		return err
	}
	cp := plan
	cp.Bank = bc.cfg.ID
	cp.Payees = append([]ui.PayeeDraft(nil), plan.Payees...)
	w.a.ob.mu.Lock()
	w.a.ob.plan = &cp
	w.a.ob.mu.Unlock()
	return nil
}

// checkDebtor refuses half a debtor account: the bank refuses an IBAN without its holder's
// name (uae-spec §11 rule 18), so both are given or neither.
func checkDebtor(iban, name string) error {
	switch {
	case iban == "" && name == "":
		return nil
	case iban == "":
		return &ui.Problem{What: "An account name was given without the account's IBAN.", Next: "Add the IBAN, or clear the name to choose the account at your bank."}
	case name == "":
		return &ui.Problem{What: "Your bank needs the account holder's name with the account's IBAN.", Next: "Add the name as your bank knows it, or clear the IBAN to choose the account at your bank."}
	}
	if _, err := consent.ParseIBAN(iban); err != nil {
		return &ui.Problem{What: "Your account's IBAN is not valid: " + ibanReason(err) + ".", Next: "Correct it, or leave it empty.", Err: err}
	}
	n := uae.PayeeName(name)
	if err := consent.ValidateDebtor(consent.DebtorAccountInput{IBAN: iban, Name: &n}); err != nil {
		return &ui.Problem{What: "The account holder's name is not valid: " + problemText(err) + ".", Next: "Correct it, or clear both account fields.", Err: err}
	}
	return nil
}

func problemText(err error) string {
	var f *consent.FieldError
	if errors.As(err, &f) {
		return f.Reason
	}
	return ibanReason(err)
}

// creditorInput turns a typed payee into the consent's creditor. A name with Arabic letters
// goes in the Arabic slot, as the standard's AEName separates the two.
func creditorInput(p ui.PayeeDraft) consent.CreditorInput {
	name := uae.PayeeName(p.Name)
	t := consent.CreditorIndividual
	if p.Type == ui.PayeeCorporate {
		t = consent.CreditorBusiness
	}
	return consent.CreditorInput{IBAN: p.IBAN, AccountName: name, AccountType: t}
}

func (w uiWallet) ConsentTerms(ctx context.Context) (ui.ConsentTerms, error) {
	a := w.a
	a.ob.mu.Lock()
	plan := a.ob.plan
	a.ob.mu.Unlock()
	if plan == nil {
		return ui.ConsentTerms{}, &ui.Problem{What: "No payees chosen yet.", Next: "Go back one step."}
	}
	bc, err := a.planBank(plan.Bank)
	if err != nil {
		return ui.ConsentTerms{}, err
	}
	t := ui.ConsentTerms{Bank: bc.cfg.Name, Model: plan.Model, Expires: consentExpiry(a.opts.Clock()),
		Purpose: purposeOf(bc.cfg.DefaultPurposeCode)}
	for i, p := range plan.Payees {
		t.Payees = append(t.Payees, ui.Payee{ID: fmt.Sprintf("new-%d", i+1), Name: p.Name, IBAN: canonicalIBAN(p.IBAN), Type: p.Type})
	}
	return t, nil
}

func canonicalIBAN(s string) string {
	if i, err := consent.ParseIBAN(s); err == nil {
		return i.Canonical()
	}
	return s
}

func purposeOf(code string) ui.PurposeCode {
	codes, err := consent.PurposeCodes()
	if err != nil {
		return ui.PurposeCode{Code: code}
	}
	return ui.PurposeCode{Code: code, Description: codes[code]}
}

// BeginBankStep stages the consent the plan describes (PAR) and starts waiting for the callback.
func (w uiWallet) BeginBankStep(ctx context.Context) (ui.BankStep, error) {
	a := w.a
	a.ob.mu.Lock()
	plan := a.ob.plan
	a.ob.mu.Unlock()
	if plan == nil {
		return ui.BankStep{}, &ui.Problem{What: "No payees chosen yet.", Next: "Go back to the payees step."}
	}
	if !a.auth.Status().Enrolled {
		return ui.BankStep{}, &ui.Problem{What: "The PIN and authenticator are not set up yet.", Next: "Go back to the first steps."}
	}
	bc, err := a.planBank(plan.Bank)
	if err != nil {
		return ui.BankStep{}, err
	}
	model := consent.OpenBeneficiary
	switch plan.Model {
	case ui.BeneficiaryOne:
		model = consent.SingleBeneficiary
	case ui.BeneficiaryList:
		model = consent.MultipleBeneficiaries
	}
	var creditors []consent.CreditorInput
	for _, p := range plan.Payees {
		creditors = append(creditors, creditorInput(p))
	}
	params := consent.ConsentParams{ExpirationDateTime: consentExpiry(a.opts.Clock()), IsSingleAuthorization: true,
		PaymentPurposeCode: bc.cfg.DefaultPurposeCode}
	var single *ui.PayeeDraft
	if len(plan.Payees) == 1 {
		single = &plan.Payees[0]
	}
	st, err := a.beginStep(ctx, bc, params, model, creditors, wallet.Debtor{IBAN: plan.DebtorAccount, Name: plan.DebtorName}, single, "")
	if err != nil {
		return ui.BankStep{}, uiError("Staging the consent at the bank", err)
	}
	return st, nil
}

// beginStep runs consent.Begin at bank bc with the consent-time Risk block and starts the
// callback waiter.
func (a *App) beginStep(ctx context.Context, bc *bankConn, params consent.ConsentParams, model consent.BeneficiaryModel,
	creditors []consent.CreditorInput, debtor wallet.Debtor, single *ui.PayeeDraft, renewedFrom string) (ui.BankStep, error) {
	riskJSON, err := a.consentRisk(single)
	if err != nil {
		return ui.BankStep{}, err
	}
	pii := consent.ConsentPIIInput{Model: model, Creditors: creditors, Risk: riskJSON}
	if debtor.IBAN != "" {
		name := uae.PayeeName(debtor.Name)
		pii.Debtor = &consent.DebtorAccountInput{IBAN: debtor.IBAN, Name: &name}
		debtor.IBAN = canonicalIBAN(debtor.IBAN)
	}
	ob, err := consent.Begin(ctx, consent.OnboardingConfig{Bank: bc.lfi, RedirectURI: bc.cfg.RedirectURI,
		Store: tokenStore{a.store}, Rand: a.opts.Rand, Clock: a.opts.Clock, Guard: &a.guard,
		Listener: consent.ListenerOptions{TLS: bc.redirectTLS}},
		consent.OnboardingRequest{Params: params, PII: pii})
	if err != nil {
		return ui.BankStep{}, err
	}
	info := ui.BankStep{ConsentID: ob.ConsentID(), URL: ob.URL(), PasteBack: !ob.UsesLoopback(),
		CallbackHere: consent.IsLoopbackRedirect(bc.cfg.RedirectURI)}
	if par, ok := a.trace.last("PAR"); ok {
		info.InteractionID = par.InteractionID
		if v, ok := par.ResponseJSON["expires_in"].(float64); ok && v > 0 && v < 24*3600 {
			info.ExpiresAt = par.Started.Add(time.Duration(v) * time.Second)
		}
	}
	wctx, cancel := context.WithCancel(context.Background())
	st := &bankStep{bank: bc, ob: ob, info: info, purpose: params.PaymentPurposeCode, debtor: debtor,
		renewedFrom: renewedFrom, cancel: cancel, done: make(chan struct{})}
	a.ob.mu.Lock()
	old := a.ob.step
	a.ob.step = st
	a.ob.mu.Unlock()
	if old != nil {
		old.close()
	}
	if ob.UsesLoopback() {
		go func() {
			code, err := ob.WaitCallback(wctx)
			st.settle(func() (ui.Consent, error) {
				if err != nil {
					return ui.Consent{}, err
				}
				return a.completeStep(wctx, st, code)
			})
		}()
	}
	return info, nil
}

// consentRisk builds the consent-time Risk block from what the wallet knows: the device and its
// key binding, the build, when the user enrolled and, for one payee, that payee's kind.
func (a *App) consentRisk(single *ui.PayeeDraft) (json.RawMessage, error) {
	st := a.auth.Status()
	dev := a.device
	if st.Enrolled {
		dev.BindingID, dev.BoundAt, dev.BindingStatus = st.DeviceBindingID, st.BoundAt, risk.BindingActive
	}
	in := risk.ConsentInput{Now: a.opts.Clock(), Device: dev, App: a.build, History: risk.History{OnboardedAt: st.BoundAt}}
	if single != nil {
		kind := risk.AccountRetail
		if single.Type == ui.PayeeCorporate {
			kind = risk.AccountCorporate
		}
		in.Payee = &risk.Payee{Kind: kind}
	}
	r, err := risk.ForConsent(in)
	if err != nil {
		return nil, fmt.Errorf("consent risk: %w", err)
	}
	raw, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode consent risk: %w", err)
	}
	return raw, nil
}

// completeStep exchanges the code, hands the grant to the token manager and records the consent.
func (a *App) completeStep(ctx context.Context, st *bankStep, code consent.AuthCode) (ui.Consent, error) {
	res, err := st.ob.Complete(ctx, code)
	if err != nil {
		return ui.Consent{}, err
	}
	if err := a.tokens.Adopt(res.ConsentID, res.Tokens); err != nil {
		return ui.Consent{}, fmt.Errorf("keep the new tokens: %w", err)
	}
	c, err := a.wallet.RecordConsent(ctx, st.bank.cfg.ID, res, st.purpose, st.debtor, st.renewedFrom)
	if err != nil {
		return ui.Consent{}, a.unrecordedConsent(ctx, st.bank, res.ConsentID, err)
	}
	a.ob.mu.Lock()
	if a.ob.step == st {
		a.ob.step, a.ob.plan = nil, nil
	}
	a.ob.mu.Unlock()
	return a.toUIConsent(ctx, c)
}

// unrecordedConsent handles a consent the bank authorised but the ledger could not record
// (recordErr): one the wallet does not show must not stay able to pay, so it is revoked at the
// bank (RevokedBy TPP: the wallet's decision, not the user's) and its tokens are forgotten.
// A consent that did reach the ledger is kept; the next sync corrects anything else.
func (a *App) unrecordedConsent(ctx context.Context, bc *bankConn, consentID string, recordErr error) error {
	if _, err := a.ledger.Consent(ctx, consentID); !errors.Is(err, wallet.ErrNotFound) {
		return recordErr
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if _, err := bc.client.RevokeConsent(rctx, consentID, lfi.RevokedByTPP); err != nil {
		return errors.Join(recordErr, fmt.Errorf("the bank authorised the consent but payterm could not record it, "+
			"nor revoke it at the bank: check your bank and cancel it there: %w", err))
	}
	_ = a.tokens.Forget(rctx, consentID) // the consent is revoked: its tokens are worthless
	return errors.Join(recordErr, errors.New("payterm could not record the consent, so it revoked it at the bank; set it up again"))
}

func (a *App) currentStep(step ui.BankStep) (*bankStep, error) {
	a.ob.mu.Lock()
	defer a.ob.mu.Unlock()
	st := a.ob.step
	if st == nil || st.info.ConsentID != step.ConsentID {
		return nil, &ui.Problem{What: "This bank request is no longer open.", Next: "Start the bank step again."}
	}
	return st, nil
}

func (w uiWallet) AwaitBankCallback(ctx context.Context, step ui.BankStep) (ui.Consent, error) {
	a := w.a
	st, err := a.currentStep(step)
	if err != nil {
		// Finished already (the step is dropped once recorded): report the recorded consent.
		if c, lerr := a.ledger.Consent(ctx, step.ConsentID); lerr == nil {
			return a.toUIConsent(ctx, c)
		}
		return ui.Consent{}, err
	}
	if !st.ob.UsesLoopback() {
		return ui.Consent{}, &ui.Problem{What: "payterm does not receive your bank's answer here: your browser lands on the redirect address.",
			Next: "Paste the address your browser shows after approving (v)."}
	}
	select {
	case <-st.done:
		if st.err != nil {
			return ui.Consent{}, uiError("Finishing the consent", st.err)
		}
		return st.result, nil
	case <-ctx.Done():
		return ui.Consent{}, ctx.Err()
	}
}

func (w uiWallet) BankStepDone(ctx context.Context, step ui.BankStep) (ui.Consent, bool, error) {
	a := w.a
	st, err := a.currentStep(step)
	if err != nil {
		// Finished already (the step is dropped once recorded): report the recorded consent.
		if c, lerr := a.ledger.Consent(ctx, step.ConsentID); lerr == nil {
			uc, err := a.toUIConsent(ctx, c)
			return uc, true, err
		}
		return ui.Consent{}, false, nil
	}
	select {
	case <-st.done:
		if st.err != nil {
			return ui.Consent{}, true, uiError("Finishing the consent", st.err)
		}
		return st.result, true, nil
	default:
		return ui.Consent{}, false, nil
	}
}

func (w uiWallet) CompleteBankStep(ctx context.Context, step ui.BankStep, callbackURL string) (ui.Consent, error) {
	a := w.a
	st, err := a.currentStep(step)
	if err != nil {
		// Finished already (the loopback callback won): report the recorded consent.
		if c, lerr := a.ledger.Consent(ctx, step.ConsentID); lerr == nil {
			return a.toUIConsent(ctx, c)
		}
		return ui.Consent{}, err
	}
	st.settle(func() (ui.Consent, error) {
		code, err := st.ob.ParseCallback(callbackURL)
		if err != nil {
			return ui.Consent{}, err
		}
		return a.completeStep(ctx, st, code)
	})
	if st.err != nil {
		return ui.Consent{}, uiError("Finishing the consent", st.err)
	}
	return st.result, nil
}

// RenewConsent stages a renewal with the same payees and purpose, carrying the root consent id.
func (w uiWallet) RenewConsent(ctx context.Context, consentID string) (ui.BankStep, error) {
	a := w.a
	if c, err := a.ledger.Consent(ctx, consentID); err == nil && c.Kind == wallet.GrantLink {
		// Before RenewalParams, whose UAE checks would blame something "typed".
		return ui.BankStep{}, &ui.Problem{What: "A link has no consent at its bank to renew.",
			Next: "Pay through it as before: the bank approves each payment."}
	}
	params, err := a.wallet.RenewalParams(ctx, consentID, consentExpiry(a.opts.Clock()))
	if err != nil {
		return ui.BankStep{}, uiError("Preparing the renewal", err)
	}
	model, creditors, err := a.wallet.RenewalCreditors(ctx, consentID)
	if err != nil {
		return ui.BankStep{}, uiError("Preparing the renewal", err)
	}
	old, err := a.ledger.Consent(ctx, consentID)
	if err != nil {
		return ui.BankStep{}, uiError("Preparing the renewal", err)
	}
	// A renewal is a new consent at the same bank: its BaseConsentId means nothing elsewhere.
	bc, ok := a.bankByID(old.Bank)
	if !ok {
		return ui.BankStep{}, &ui.Problem{What: "This consent's bank is no longer in your config.",
			Next: fmt.Sprintf("Add the bank with id %q back to renew it.", old.Bank)}
	}
	var single *ui.PayeeDraft
	if model == consent.SingleBeneficiary && len(old.Creditors) == 1 {
		single = &ui.PayeeDraft{Type: payeeType(old.Creditors[0].Kind)}
	}
	// A consent recorded before the holder's name was kept cannot name its account again (the
	// bank would refuse the IBAN alone): the renewal leaves the choice to the bank's page.
	debtor := wallet.Debtor{IBAN: old.DebtorAccount, Name: old.DebtorName}
	if debtor.Name == "" {
		debtor = wallet.Debtor{}
	}
	st, err := a.beginStep(ctx, bc, params, model, creditors, debtor, single, consentID)
	if err != nil {
		return ui.BankStep{}, uiError("Staging the renewal at the bank", err)
	}
	return st, nil
}

func payeeType(kind string) ui.PayeeType {
	if kind == "corporate" {
		return ui.PayeeCorporate
	}
	return ui.PayeeRetail
}

// PurposeCodes lists the AANI purpose codes, sorted by code.
func (w uiWallet) PurposeCodes(ctx context.Context) ([]ui.PurposeCode, error) {
	codes, err := consent.PurposeCodes()
	if err != nil {
		return nil, uiError("Loading the purpose codes", err)
	}
	out := make([]ui.PurposeCode, 0, len(codes))
	for c, d := range codes {
		out = append(out, ui.PurposeCode{Code: c, Description: d})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}
