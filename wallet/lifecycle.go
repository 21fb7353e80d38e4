package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/payterm/payterm/consent"
	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/provider"
)

// ExpiryWarning is how long before its expiry a consent is flagged for renewal.
const ExpiryWarning = 30 * 24 * time.Hour

// ErrConsentUnusable wraps every reason a consent cannot pay now.
var ErrConsentUnusable = errors.New("consent cannot be used for payments")

// Usable says why a consent cannot pay now, or nil. Paused is reported as paused, never as
// Suspended.
func Usable(c Consent, now time.Time) error {
	unusable := func(what, next string) error {
		return &Problem{What: what, Next: next, Err: ErrConsentUnusable}
	}
	switch {
	case c.Status == ConsentRevoked:
		return unusable("This consent was revoked.", "Set up a new consent with your bank.")
	case c.Status == ConsentExpired || (!c.Expires.IsZero() && !now.Before(c.Expires)):
		return unusable("This consent has expired.", "Renew it with your bank.")
	case c.Status == ConsentRejected:
		return unusable("The bank rejected this consent.", "Set up a new consent with your bank.")
	case c.Status == ConsentConsumed:
		return unusable("This consent is used up.", "Set up a new consent with your bank.")
	case c.Status == ConsentSuspended:
		return unusable("Your bank has suspended this consent.", "Contact your bank; payments resume when it lifts the suspension.")
	case c.Status == ConsentAwaitingAuthorization:
		return unusable("This consent is not authorised yet.", "Finish the step at your bank.")
	case c.Paused:
		return unusable("You paused this consent.", "Reactivate it to pay.")
	case c.Status != ConsentAuthorized:
		return unusable("This consent is in an unknown state.", "Refresh its status.")
	}
	return nil
}

// ExpiresSoon reports whether the consent is within ExpiryWarning of its expiry.
func ExpiresSoon(c Consent, now time.Time) bool {
	return !c.Expires.IsZero() && c.Expires.Sub(now) <= ExpiryWarning
}

// Debtor is the payer account a consent fixes (PII): its IBAN and its holder's name as typed.
// The zero value means none: the user chose the account at the bank.
type Debtor struct{ IBAN, Name string }

// RecordConsent stores a consent bank bankID has just authorised (consent.Result from the
// onboarding flow), with its creditors as payees. renewedFrom is the consent it replaces, or "".
func (w *Wallet) RecordConsent(ctx context.Context, bankID string, res consent.Result, purpose string, debtor Debtor, renewedFrom string) (Consent, error) {
	if _, ok := w.cfg.Banks[bankID]; !ok {
		return Consent{}, fmt.Errorf("record consent: %w: %q", ErrBankNotConfigured, bankID)
	}
	c := Consent{
		ID: res.ConsentID, Bank: bankID, Status: ConsentAuthorized, StatusUpdated: w.cfg.Clock(),
		Created: w.cfg.Clock(), Expires: res.ExpirationDateTime, PurposeCode: purpose, DebtorAccount: debtor.IBAN, DebtorName: debtor.Name,
		LastSynced: w.cfg.Clock(),
	}
	switch res.Model {
	case consent.OpenBeneficiary:
		c.Model = BeneficiaryOpen
	case consent.SingleBeneficiary:
		c.Model = BeneficiaryOne
	case consent.MultipleBeneficiaries:
		c.Model = BeneficiaryList
	default:
		return Consent{}, fmt.Errorf("record consent: unknown beneficiary model %d", res.Model)
	}
	for _, dc := range res.Creditors {
		cr, err := creditorFromWire(dc)
		if err != nil {
			return Consent{}, fmt.Errorf("record consent: %w", err)
		}
		c.Creditors = append(c.Creditors, cr)
	}
	if renewedFrom != "" {
		old, err := w.cfg.Ledger.Consent(ctx, renewedFrom)
		if err != nil {
			return Consent{}, fmt.Errorf("record renewal: %w", err)
		}
		if old.Bank != bankID {
			return Consent{}, errors.New("record renewal: a renewal must be at the bank of the consent it renews")
		}
		c.BaseConsentID, c.RenewedFrom = old.Root(), old.ID
		if c.PurposeCode == "" {
			c.PurposeCode = old.PurposeCode
		}
	}
	if err := w.cfg.Ledger.InsertConsent(ctx, c); err != nil {
		return Consent{}, err
	}
	// An open consent's payees were saved by the user; a renewal keeps them.
	if renewedFrom != "" && c.Model == BeneficiaryOpen {
		payees, err := w.cfg.Ledger.Payees(ctx, renewedFrom)
		if err != nil {
			return Consent{}, fmt.Errorf("record renewal: %w", err)
		}
		for _, p := range payees {
			p.ConsentID = c.ID
			if _, err := w.cfg.Ledger.AddPayee(ctx, p); err != nil {
				return Consent{}, fmt.Errorf("record renewal: %w", err)
			}
		}
	}
	if err := w.cfg.Ledger.MarkOnboarded(ctx); err != nil {
		return Consent{}, err
	}
	if renewedFrom != "" {
		// The renewal is authorised: retire the consent it replaces. Best effort — the new
		// consent is recorded either way, and every consent sync retries what failed here.
		_ = w.RetireSuperseded(ctx)
	}
	return w.cfg.Ledger.Consent(ctx, c.ID)
}

// creditorFromWire keeps the creditor's exact wire JSON plus the display fields.
func creditorFromWire(dc consent.DomesticCreditor) (Creditor, error) {
	wire, err := json.Marshal(dc)
	if err != nil {
		return Creditor{}, fmt.Errorf("encode creditor: %w", err)
	}
	name := dc.CreditorAccount.Name.EN
	if name == "" {
		name = dc.CreditorAccount.Name.AR
	}
	kind := "retail"
	switch dc.CreditorAccount.Type {
	case consent.CreditorMerchant, consent.CreditorBusiness, consent.CreditorCharity, consent.CreditorGovernmentBody:
		kind = "corporate"
	}
	return Creditor{Name: name, IBAN: dc.CreditorAccount.Identification.Canonical(), Kind: kind, Wire: wire}, nil
}

// RenewalParams returns the consent parameters of a renewal of consentID: a new consent that
// carries the chain's root as BaseConsentId, the same purpose code, and the new expiry.
func (w *Wallet) RenewalParams(ctx context.Context, consentID string, expires time.Time) (consent.ConsentParams, error) {
	old, err := w.cfg.Ledger.Consent(ctx, consentID)
	if err != nil {
		return consent.ConsentParams{}, fmt.Errorf("renew: %w", err)
	}
	if old.Status == ConsentRevoked || old.Status == ConsentRejected {
		return consent.ConsentParams{}, &Problem{What: "A revoked or rejected consent cannot be renewed.", Next: "Set up a new consent."}
	}
	id, err := consent.NewConsentID(w.cfg.Rand)
	if err != nil {
		return consent.ConsentParams{}, fmt.Errorf("renew: %w", err)
	}
	return consent.ConsentParams{ConsentID: id, BaseConsentID: old.Root(), ExpirationDateTime: expires,
		IsSingleAuthorization: true, PaymentPurposeCode: old.PurposeCode}, nil
}

// RecordLink records a link to the payer's account at a bank without grants (the bank
// approves each payment): the account (an IBAN, or a Norwegian account number where the bank
// pays from one), its holder's name and its currency. Nothing is sent to the bank.
func (w *Wallet) RecordLink(ctx context.Context, bankID, account, holder, currency string) (Consent, error) {
	bank, ok := w.cfg.Banks[bankID]
	if !ok {
		return Consent{}, &Problem{What: fmt.Sprintf("There is no bank with id %q in your config.", bankID), Next: "Pick a bank from the list.", Err: ErrBankNotConfigured}
	}
	caps := bank.Caps()
	if caps.Grant != provider.GrantLink {
		return Consent{}, &Problem{What: "At this bank you pay with a consent you authorise there.", Next: "Set up a consent instead."}
	}
	schemes, currencies := map[provider.AccountScheme]bool{}, map[string]bool{}
	for _, p := range caps.Products {
		schemes[p.Debtor] = true
		for _, c := range p.Currencies {
			currencies[c] = true
		}
	}
	if !currencies[currency] {
		return Consent{}, &Problem{What: "This bank pays from no account in " + safetext.Short(currency, 8) + ".", Next: "Pick the currency of your account."}
	}
	holder = strings.TrimSpace(holder)
	if holder == "" || utf8.RuneCountInString(holder) > 70 || safetext.Check(holder) != nil {
		return Consent{}, &Problem{What: "The account holder's name must be 1 to 70 characters, without control or direction characters.", Next: "Type it as your bank shows it."}
	}
	var acct string
	var err error
	if acct, err = accountFits(provider.SchemeIBAN, account); err != nil && schemes[provider.SchemeNorwayBBAN] {
		acct, err = accountFits(provider.SchemeNorwayBBAN, account)
	}
	if err != nil {
		return Consent{}, &Problem{What: "Your account number is not valid: " + err.Error() + ".", Next: "Check it against your bank's app or statement."}
	}
	id, err := w.newUUID()
	if err != nil {
		return Consent{}, err
	}
	c := Consent{ID: "link-" + id, Bank: bankID, Kind: GrantLink, Status: ConsentAuthorized, StatusUpdated: w.cfg.Clock(),
		Model: BeneficiaryOpen, DebtorAccount: acct, DebtorName: holder, Currency: currency}
	if err := w.cfg.Ledger.InsertConsent(ctx, c); err != nil {
		return Consent{}, err
	}
	return w.cfg.Ledger.Consent(ctx, c.ID)
}

// SyncConsent reads the consent's status from the bank and records it. A link has nothing at
// the bank to read.
func (w *Wallet) SyncConsent(ctx context.Context, consentID string) (Consent, error) {
	cur, err := w.cfg.Ledger.Consent(ctx, consentID)
	if err != nil {
		return Consent{}, fmt.Errorf("sync consent: %w", err)
	}
	if cur.Kind == GrantLink {
		return cur, nil
	}
	bank, err := w.bankOf(cur)
	if err != nil {
		return Consent{}, fmt.Errorf("sync consent: %w", err)
	}
	bc, err := bank.SyncGrant(ctx, consentID)
	if err != nil {
		return Consent{}, fmt.Errorf("sync consent: %w", err)
	}
	if bc.ID != consentID {
		return Consent{}, errors.New("sync consent: the bank answered for a different consent")
	}
	status := ConsentStatus(bc.Status)
	if !status.Known() {
		return Consent{}, fmt.Errorf("sync consent: the bank reported an unknown status")
	}
	if cur.Status != status || cur.RevokedBy != bc.RevokedBy {
		at := bc.UpdatedAt
		if at.IsZero() {
			at = w.cfg.Clock()
		}
		if err := w.cfg.Ledger.SetConsentStatus(ctx, consentID, status, bc.RevokedBy, at); err != nil {
			return Consent{}, err
		}
	} else if err := w.cfg.Ledger.MarkConsentSynced(ctx, consentID); err != nil {
		return Consent{}, err
	}
	return w.cfg.Ledger.Consent(ctx, consentID)
}

// SyncConsents refreshes every consent that can still change (not in a terminal status) at a
// configured bank, then retires the consents authorised renewals replaced (RetireSuperseded).
// It returns the first error but tries them all; a consent whose bank left the config keeps
// its last known status.
func (w *Wallet) SyncConsents(ctx context.Context) error {
	all, err := w.cfg.Ledger.Consents(ctx)
	if err != nil {
		return err
	}
	var first error
	for _, c := range all {
		if _, configured := w.cfg.Banks[c.Bank]; c.Status.Terminal() || !configured || c.Kind == GrantLink {
			continue
		}
		if _, err := w.SyncConsent(ctx, c.ID); err != nil && first == nil {
			first = err
		}
	}
	if err := w.RetireSuperseded(ctx); err != nil && first == nil {
		first = err
	}
	return first
}

// PauseConsent stops payments from a consent locally; the bank is not told.
func (w *Wallet) PauseConsent(ctx context.Context, consentID string) error {
	return w.cfg.Ledger.SetConsentPaused(ctx, consentID, true)
}

// ReactivateConsent lifts a local pause. A consent the bank ended stays unusable.
func (w *Wallet) ReactivateConsent(ctx context.Context, consentID string) error {
	c, err := w.cfg.Ledger.Consent(ctx, consentID)
	if err != nil {
		return err
	}
	if c.Status.Terminal() {
		return &Problem{What: "This consent has ended at the bank and cannot be reactivated.", Next: "Set up a new consent."}
	}
	return w.cfg.Ledger.SetConsentPaused(ctx, consentID, false)
}

// RevokeConsent revokes the consent at the bank (PATCH Status=Revoked, RevokedBy
// TPP.InitiatedByUser), records it and forgets its tokens. When the PATCH's outcome is unknown
// the bank is asked for the consent's status before anything is recorded.
func (w *Wallet) RevokeConsent(ctx context.Context, consentID string) error {
	return w.revoke(ctx, consentID, provider.RevokedByUser)
}

// revoke is RevokeConsent saying who ends it: the user, or the wallet when it retires a
// consent a renewal replaced.
func (w *Wallet) revoke(ctx context.Context, consentID string, by provider.RevokedBy) error {
	if c, err := w.cfg.Ledger.Consent(ctx, consentID); err == nil && c.Kind == GrantLink {
		// Nothing at the bank: the link is ended here (its history stays). A bank the payer
		// logged in at (provider.Login) forgets that login too: ending the link logs out; one
		// holding the payer's tokens (provider.PayerTokens) forgets them.
		if err := w.cfg.Ledger.SetConsentStatus(ctx, consentID, ConsentRevoked, string(by), w.cfg.Clock()); err != nil {
			return err
		}
		if bank, err := w.bankOf(c); err == nil {
			if _, ok := bank.(provider.Login); ok || holdsPayerTokens(bank) {
				if _, err := bank.RevokeGrant(ctx, consentID, by); err != nil {
					return fmt.Errorf("the link is ended, but payterm could not forget your login at the bank: %w", err)
				}
			}
		}
		return nil
	}
	bank, err := w.bankOfConsent(ctx, consentID)
	if err != nil {
		return err
	}
	revokedBy, err := bank.RevokeGrant(ctx, consentID, by)
	if revokedBy == "" {
		return fmt.Errorf("revoke consent: %w", err)
	}
	// Revoked at the bank (err may still say that forgetting its tokens failed).
	if serr := w.cfg.Ledger.SetConsentStatus(ctx, consentID, ConsentRevoked, revokedBy, w.cfg.Clock()); serr != nil {
		return serr
	}
	return err
}

// wireCreditor mirrors AEDomesticCreditor for reading back a stored creditor.
type wireCreditor struct {
	CreditorAgent *struct {
		SchemeName     string `json:"SchemeName"`
		Identification string `json:"Identification"`
		Name           string `json:"Name"`
	} `json:"CreditorAgent"`
	Creditor *struct {
		Name string `json:"Name"`
	} `json:"Creditor"`
	CreditorAccount struct {
		Identification string        `json:"Identification"`
		Name           consent.Name  `json:"Name"`
		TradingName    *consent.Name `json:"TradingName"`
		Type           string        `json:"Type"`
	} `json:"CreditorAccount"`
}

// RenewalCreditors returns the beneficiary model and the creditors of a consent as inputs for
// the renewal's consent PII, so the renewed consent names exactly the same payees.
func (w *Wallet) RenewalCreditors(ctx context.Context, consentID string) (consent.BeneficiaryModel, []consent.CreditorInput, error) {
	c, err := w.cfg.Ledger.Consent(ctx, consentID)
	if err != nil {
		return 0, nil, fmt.Errorf("renew: %w", err)
	}
	model := map[BeneficiaryModel]consent.BeneficiaryModel{BeneficiaryOpen: consent.OpenBeneficiary,
		BeneficiaryOne: consent.SingleBeneficiary, BeneficiaryList: consent.MultipleBeneficiaries}[c.Model]
	if model == 0 {
		return 0, nil, fmt.Errorf("renew: unknown beneficiary model %q", c.Model)
	}
	var out []consent.CreditorInput
	for _, cr := range c.Creditors {
		var wc wireCreditor
		if err := json.Unmarshal(cr.Wire, &wc); err != nil {
			return 0, nil, fmt.Errorf("renew: read stored creditor: %w", err)
		}
		in := consent.CreditorInput{IBAN: wc.CreditorAccount.Identification, AccountName: wc.CreditorAccount.Name,
			TradingName: wc.CreditorAccount.TradingName, AccountType: consent.CreditorAccountType(wc.CreditorAccount.Type)}
		if wc.Creditor != nil {
			in.PartyName = wc.Creditor.Name
		}
		if wc.CreditorAgent != nil {
			in.Agent = &consent.CreditorAgentInput{SchemeName: wc.CreditorAgent.SchemeName,
				Identification: wc.CreditorAgent.Identification, Name: wc.CreditorAgent.Name}
		}
		out = append(out, in)
	}
	return model, out, nil
}

func holdsPayerTokens(b provider.Bank) bool {
	t, ok := b.(provider.PayerTokens)
	return ok && t.HoldsPayerTokens()
}
