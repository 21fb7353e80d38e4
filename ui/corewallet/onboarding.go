package corewallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/payterm/payterm/consent"
	"github.com/payterm/payterm/risk"
	"github.com/payterm/payterm/sca"
	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/wallet"
)

// TokenAdopter takes the grant of a finished onboarding (*wallet.ConsentTokens).
type TokenAdopter interface {
	Adopt(consentID string, g consent.Grant) error
}

// OnboardingConfig wires the first-run wizard and renewals to the real packages.
type OnboardingConfig struct {
	Wallet *wallet.Wallet
	SCA    *sca.Authenticator
	// Bank, Store, RedirectURI and Listener configure consent.Begin (a loopback RedirectURI
	// gets a local receiver, so the UI can wait live; otherwise the user pastes the callback).
	Bank        consent.Bank
	Store       consent.TokenStore
	RedirectURI string
	Listener    consent.ListenerOptions
	Tokens      TokenAdopter
	BankName    string
	// Purpose is the consent's PaymentPurposeCode (default "MWP", mobile wallet payments).
	Purpose string
	// Validity is how long a new consent lasts (default 364 days; the standard's limit is < 1 year).
	Validity time.Duration
	Device   risk.Device
	App      risk.App
	Clock    func() time.Time
}

// Onboarding implements ui.OnboardingService and the renewal's bank step.
type Onboarding struct {
	cfg OnboardingConfig

	mu      sync.Mutex
	pin     sca.PIN // held only between SetPIN and EnrolTOTP (sca enrols PIN and TOTP together)
	enrol   *sca.Enrolment
	plan    *ui.BeneficiaryPlan
	pending map[string]*pendingConsent // by consent id
}

type pendingConsent struct {
	o           *consent.Onboarding
	purpose     string
	debtor      string
	renewedFrom string
}

var _ ui.OnboardingService = (*Onboarding)(nil)

// NewOnboarding checks cfg and fills defaults.
func NewOnboarding(cfg OnboardingConfig) (*Onboarding, error) {
	switch {
	case cfg.Wallet == nil || cfg.SCA == nil || cfg.Bank == nil || cfg.Store == nil || cfg.Tokens == nil:
		return nil, errors.New("corewallet onboarding: wallet, sca, bank, token store and token adopter are required")
	case cfg.RedirectURI == "":
		return nil, errors.New("corewallet onboarding: a redirect URI is required")
	}
	if cfg.Purpose == "" {
		cfg.Purpose = "MWP"
	}
	if cfg.Validity <= 0 {
		cfg.Validity = 364 * 24 * time.Hour
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.BankName == "" {
		cfg.BankName = "your bank"
	}
	return &Onboarding{cfg: cfg, pending: map[string]*pendingConsent{}}, nil
}

// SetPIN checks the PIN policy now (so the user hears about a weak PIN on the PIN step) and
// keeps it until EnrolTOTP hands it to sca.BeginEnrolment.
func (ob *Onboarding) SetPIN(ctx context.Context, pin ui.Secret) error {
	p := sca.PIN(pin.Reveal())
	if err := sca.CheckPINPolicy(p); err != nil {
		return &ui.Problem{What: "That PIN is too easy to guess.", Next: "Choose 6 to 12 digits that are not a sequence or a repeat.", Err: err}
	}
	ob.mu.Lock()
	ob.pin = p
	ob.mu.Unlock()
	return nil
}

// EnrolTOTP starts the enrolment: a fresh TOTP seed, nothing stored until ConfirmTOTP.
func (ob *Onboarding) EnrolTOTP(ctx context.Context) (ui.TOTPEnrolment, error) {
	ob.mu.Lock()
	defer ob.mu.Unlock()
	if ob.pin == "" {
		return ui.TOTPEnrolment{}, &ui.Problem{What: "Choose a PIN first.", Next: "Go back one step."}
	}
	en, err := ob.cfg.SCA.BeginEnrolment(ob.pin)
	if err != nil {
		if errors.Is(err, sca.ErrAlreadyEnrolled) {
			return ui.TOTPEnrolment{}, &ui.Problem{What: "This device is already enrolled.", Next: "Unblock with your recovery code (u on Home) instead.", Err: err}
		}
		return ui.TOTPEnrolment{}, fmt.Errorf("begin enrolment: %w", err)
	}
	ob.pin, ob.enrol = "", en
	return ui.TOTPEnrolment{Secret: ui.NewSecret(en.Secret()), URI: ui.NewSecret(en.URI()), Issuer: "payterm",
		Account: "wallet", Digits: 6, Period: 30 * time.Second}, nil
}

// ConfirmTOTP activates the enrolment with one valid code and returns the recovery code.
func (ob *Onboarding) ConfirmTOTP(ctx context.Context, code ui.Secret) (ui.Secret, error) {
	ob.mu.Lock()
	defer ob.mu.Unlock()
	if ob.enrol == nil {
		return ui.Secret{}, &ui.Problem{What: "No enrolment is in progress.", Next: "Start again from the PIN step."}
	}
	rc, err := ob.cfg.SCA.ConfirmEnrolment(ob.enrol, sca.OTP(code.Reveal()))
	if err != nil {
		if errors.Is(err, sca.ErrEnrolmentCode) {
			return ui.Secret{}, &ui.Problem{What: "That code is not the one your app shows now.", Next: "Check the app's clock and type the current code.", Err: err}
		}
		return ui.Secret{}, fmt.Errorf("confirm enrolment: %w", err)
	}
	ob.enrol = nil
	return ui.NewSecret(string(rc)), nil
}

// SaveBeneficiaries validates every payee the way the consent PII will carry it and keeps the
// plan for the consent page; the ledger records the payees when the bank authorises.
func (ob *Onboarding) SaveBeneficiaries(ctx context.Context, plan ui.BeneficiaryPlan) error {
	for i, p := range plan.Payees {
		if _, err := consent.BuildCreditor(creditorInput(p)); err != nil {
			return &ui.Problem{What: fmt.Sprintf("Payee %d is not valid: %s.", i+1, fieldReason(err)), Next: "Fix its name or IBAN.", Err: err}
		}
	}
	if plan.DebtorAccount != "" {
		if _, err := consent.ParseIBAN(plan.DebtorAccount); err != nil {
			return &ui.Problem{What: "Your account is not a valid IBAN.", Next: "Fix it or leave it empty.", Err: err}
		}
	}
	ob.mu.Lock()
	ob.plan = &plan
	ob.mu.Unlock()
	return nil
}

// fieldReason keeps the reason of a consent.FieldError (which never carries the value).
func fieldReason(err error) string {
	var fe *consent.FieldError
	if errors.As(err, &fe) {
		return fe.Reason
	}
	return "invalid"
}

func creditorInput(p ui.PayeeDraft) consent.CreditorInput {
	in := consent.CreditorInput{IBAN: p.IBAN, AccountType: consent.CreditorIndividual}
	if p.Type == ui.PayeeCorporate {
		in.AccountType = consent.CreditorBusiness
	}
	// The standard's Name carries an English and an Arabic form; a name typed in Arabic goes
	// in the Arabic one.
	if hasArabic(p.Name) {
		in.AccountName = consent.Name{AR: strings.TrimSpace(p.Name)}
	} else {
		in.AccountName = consent.Name{EN: strings.TrimSpace(p.Name)}
	}
	return in
}

func hasArabic(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Arabic, r) {
			return true
		}
	}
	return false
}

func modelOf(m ui.BeneficiaryModel) consent.BeneficiaryModel {
	switch m {
	case ui.BeneficiaryOpen:
		return consent.OpenBeneficiary
	case ui.BeneficiaryOne:
		return consent.SingleBeneficiary
	}
	return consent.MultipleBeneficiaries
}

// ConsentTerms is the consent page's content from the saved plan.
func (ob *Onboarding) ConsentTerms(ctx context.Context) (ui.ConsentTerms, error) {
	ob.mu.Lock()
	plan := ob.plan
	ob.mu.Unlock()
	if plan == nil {
		return ui.ConsentTerms{}, &ui.Problem{What: "No payees chosen yet.", Next: "Go back one step."}
	}
	t := ui.ConsentTerms{Bank: ob.cfg.BankName, Model: plan.Model, Expires: ob.cfg.Clock().Add(ob.cfg.Validity)}
	for _, p := range plan.Payees {
		t.Payees = append(t.Payees, ui.Payee{Name: p.Name, IBAN: p.IBAN, Type: p.Type})
	}
	if m, err := consent.PurposeCodes(); err == nil {
		t.Purpose = ui.PurposeCode{Code: ob.cfg.Purpose, Description: m[ob.cfg.Purpose]}
	}
	return t, nil
}

// consentRisk is the consent-time Risk block: device and app facts (no SCA ran yet).
func (ob *Onboarding) consentRisk(now time.Time) (json.RawMessage, error) {
	rb, err := risk.ForConsent(risk.ConsentInput{Now: now, Device: ob.cfg.Device, App: ob.cfg.App})
	if err != nil {
		return nil, fmt.Errorf("consent risk block: %w", err)
	}
	raw, err := json.Marshal(rb)
	if err != nil {
		return nil, fmt.Errorf("consent risk block: %w", err)
	}
	return raw, nil
}

// BeginBankStep stages the consent at the bank (PAR) and returns the URL to open.
func (ob *Onboarding) BeginBankStep(ctx context.Context) (ui.BankStep, error) {
	ob.mu.Lock()
	plan := ob.plan
	ob.mu.Unlock()
	if plan == nil {
		return ui.BankStep{}, &ui.Problem{What: "No payees chosen yet.", Next: "Go back to the payees step."}
	}
	now := ob.cfg.Clock()
	pii := consent.ConsentPIIInput{Model: modelOf(plan.Model)}
	if plan.Model != ui.BeneficiaryOpen {
		for _, p := range plan.Payees {
			pii.Creditors = append(pii.Creditors, creditorInput(p))
		}
	}
	if plan.DebtorAccount != "" {
		pii.Debtor = &consent.DebtorAccountInput{IBAN: plan.DebtorAccount}
	}
	var err error
	if pii.Risk, err = ob.consentRisk(now); err != nil {
		return ui.BankStep{}, err
	}
	params := consent.ConsentParams{ExpirationDateTime: now.Add(ob.cfg.Validity), IsSingleAuthorization: true, PaymentPurposeCode: ob.cfg.Purpose}
	return ob.begin(ctx, params, pii, plan.DebtorAccount, "")
}

func (ob *Onboarding) begin(ctx context.Context, params consent.ConsentParams, pii consent.ConsentPIIInput, debtor, renewedFrom string) (ui.BankStep, error) {
	o, err := consent.Begin(ctx, consent.OnboardingConfig{Bank: ob.cfg.Bank, RedirectURI: ob.cfg.RedirectURI, Store: ob.cfg.Store,
		Clock: ob.cfg.Clock, Listener: ob.cfg.Listener}, consent.OnboardingRequest{Params: params, PII: pii})
	if err != nil {
		return ui.BankStep{}, &ui.Problem{What: "The bank did not accept the consent request.", Next: "Try again; if it persists, open the inspector (ctrl+t).", Err: err}
	}
	ob.mu.Lock()
	// One bank step at a time: a new one (the user went back and forth) releases the old
	// request's loopback receiver; its code could no longer be used anyway.
	for id, p := range ob.pending {
		p.o.Close()
		delete(ob.pending, id)
	}
	ob.pending[o.ConsentID()] = &pendingConsent{o: o, purpose: params.PaymentPurposeCode, debtor: debtor, renewedFrom: renewedFrom}
	ob.mu.Unlock()
	return ui.BankStep{ConsentID: o.ConsentID(), URL: o.URL(), ExpiresAt: ob.cfg.Clock().Add(consent.CallbackTimeout)}, nil
}

func (ob *Onboarding) take(id string) (*pendingConsent, error) {
	ob.mu.Lock()
	defer ob.mu.Unlock()
	p, ok := ob.pending[id]
	if !ok {
		return nil, &ui.Problem{What: "This bank step is no longer open.", Next: "Start the consent again."}
	}
	return p, nil
}

// AwaitBankCallback waits for the loopback receiver, then completes the consent.
func (ob *Onboarding) AwaitBankCallback(ctx context.Context, step ui.BankStep) (ui.Consent, error) {
	p, err := ob.take(step.ConsentID)
	if err != nil {
		return ui.Consent{}, err
	}
	if !p.o.UsesLoopback() {
		return ui.Consent{}, &ui.Problem{What: "payterm cannot receive the bank's answer by itself here.", Next: "Paste the address you land on (v)."}
	}
	code, err := p.o.WaitCallback(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return ui.Consent{}, ctx.Err()
		}
		ob.forget(step.ConsentID)
		return ui.Consent{}, &ui.Problem{What: "The answer from the bank was not valid.", Next: "Start the consent again.", Err: err}
	}
	return ob.finish(ctx, step.ConsentID, p, code)
}

// CompleteBankStep completes the consent from a pasted callback URL.
func (ob *Onboarding) CompleteBankStep(ctx context.Context, step ui.BankStep, callbackURL string) (ui.Consent, error) {
	p, err := ob.take(step.ConsentID)
	if err != nil {
		return ui.Consent{}, err
	}
	code, err := p.o.ParseCallback(callbackURL)
	if err != nil {
		ob.forget(step.ConsentID)
		return ui.Consent{}, &ui.Problem{What: "That address is not the bank's answer to this request.", Next: "Start the consent again and paste the address shown after you approve.", Err: err}
	}
	return ob.finish(ctx, step.ConsentID, p, code)
}

func (ob *Onboarding) forget(id string) {
	ob.mu.Lock()
	defer ob.mu.Unlock()
	if p, ok := ob.pending[id]; ok {
		p.o.Close()
		delete(ob.pending, id)
	}
}

func (ob *Onboarding) finish(ctx context.Context, id string, p *pendingConsent, code consent.AuthCode) (ui.Consent, error) {
	defer ob.forget(id)
	res, err := p.o.Complete(ctx, code)
	if err != nil {
		return ui.Consent{}, &ui.Problem{What: "The bank did not authorise the consent.", Next: "Start again; nothing was paid.", Err: err}
	}
	if err := ob.cfg.Tokens.Adopt(res.ConsentID, res.Tokens); err != nil {
		return ui.Consent{}, fmt.Errorf("adopt consent tokens: %w", err)
	}
	c, err := ob.cfg.Wallet.RecordConsent(ctx, res, p.purpose, p.debtor, p.renewedFrom)
	if err != nil {
		return ui.Consent{}, fmt.Errorf("record consent: %w", err)
	}
	if err := ob.cfg.Wallet.Ledger().MarkOnboarded(ctx); err != nil {
		return ui.Consent{}, fmt.Errorf("record onboarding: %w", err)
	}
	return toUIConsent(ctx, ob.cfg.Wallet.Ledger(), c)
}

// Renew stages a renewal: same creditors, the root BaseConsentId, a fresh expiry.
func (ob *Onboarding) Renew(ctx context.Context, consentID string) (ui.BankStep, error) {
	now := ob.cfg.Clock()
	params, err := ob.cfg.Wallet.RenewalParams(ctx, consentID, now.Add(ob.cfg.Validity))
	if err != nil {
		return ui.BankStep{}, uiErr(err)
	}
	model, creditors, err := ob.cfg.Wallet.RenewalCreditors(ctx, consentID)
	if err != nil {
		return ui.BankStep{}, uiErr(err)
	}
	pii := consent.ConsentPIIInput{Model: model, Creditors: creditors}
	if pii.Risk, err = ob.consentRisk(now); err != nil {
		return ui.BankStep{}, err
	}
	return ob.begin(ctx, params, pii, "", consentID)
}

// RecoverWith adapts sca.Authenticator.Recover for Extras.Recover.
func RecoverWith(a *sca.Authenticator) func(ctx context.Context, rc, code, pin ui.Secret) (ui.Secret, error) {
	return func(ctx context.Context, rc, code, pin ui.Secret) (ui.Secret, error) {
		next, err := a.Recover(sca.RecoveryCode(rc.Reveal()), sca.OTP(code.Reveal()), sca.PIN(pin.Reveal()))
		if err != nil {
			var re *sca.RecoveryError
			if errors.As(err, &re) {
				return ui.Secret{}, &ui.Problem{What: fmt.Sprintf("The recovery code or the authenticator code is not correct (%d tries left).", re.Remaining), Next: "Check both and try again.", Err: err}
			}
			return ui.Secret{}, uiErr(err)
		}
		return ui.NewSecret(string(next)), nil
	}
}
