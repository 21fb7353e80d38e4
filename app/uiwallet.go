package app

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/payterm/payterm/keystore"
	"github.com/payterm/payterm/money"
	"github.com/payterm/payterm/sca"
	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/wallet"
)

// uiWallet adapts the App to the interface the screens declare. Every method turns core
// errors into *ui.Problem or *ui.SCAError (uiError).
type uiWallet struct{ a *App }

var _ ui.Wallet = uiWallet{}

// UIWallet is the App as the terminal UI sees it.
func (a *App) UIWallet() ui.Wallet { return uiWallet{a} }

func (w uiWallet) Overview(ctx context.Context) (ui.Overview, error) {
	a := w.a
	onboarded, err := a.onboarded(ctx)
	if err != nil {
		return ui.Overview{}, uiError("Reading the ledger", err)
	}
	ov := ui.Overview{Onboarded: onboarded, Sandbox: a.onlySandboxes()}
	// The store may still be opening (secrets.go): Home is drawn without waiting for it, says
	// so, and reloads when it is open; the SCA's status needs the store.
	switch open, err := a.secretsOpen(); {
	case err != nil:
		return ui.Overview{}, secretsProblem(err)
	case !open && a.gate != nil:
		ov.SecretStore = secretsUnlocking
	case !open:
		ov.SecretStore = secretsOpening
	default:
		ov.SecretStore = a.secretStoreLabel()
		// Blocked (five failures, or tampered counters) is what the recovery code lifts; a
		// keystore that cannot be read (Err) is not, so Home does not point at recovery for it.
		if st := a.auth.Status(); st.Enrolled && st.Blocked && st.Err == nil {
			ov.PaymentsBlocked = true
		}
	}
	active, err := a.activeConsent(ctx)
	if err != nil {
		return ui.Overview{}, uiError("Reading the consents", err)
	}
	consentID := ""
	if active != nil {
		c, err := a.toUIConsent(ctx, *active)
		if err != nil {
			return ui.Overview{}, uiError("Reading the consents", err)
		}
		ov.Active, consentID = &c, active.ID
	}
	if ov.Headroom, err = a.headroom(ctx, consentID); err != nil {
		return ui.Overview{}, uiError("Reading the limits", err)
	}
	page, err := a.ledger.History(ctx, wallet.HistoryQuery{Limit: 5})
	if err != nil {
		return ui.Overview{}, uiError("Reading the history", err)
	}
	banks, err := a.consentBankIDs(ctx)
	if err != nil {
		return ui.Overview{}, uiError("Reading the consents", err)
	}
	for _, r := range page.Rows {
		ov.Recent = append(ov.Recent, a.withBank(toUIRow(r), banks[r.ConsentID]))
	}
	if ov.BundlesAwaiting, err = a.bundlesAwaiting(ctx, banks); err != nil {
		return ui.Overview{}, uiError("Reading the history", err)
	}
	ov.Banks = a.banksSideBySide()
	a.startWork.afterFrame()
	return ov, nil
}

// consentBankIDs maps each consent (link) id to its bank's id: a payment row names its bank.
func (a *App) consentBankIDs(ctx context.Context) (map[string]string, error) {
	cs, err := a.ledger.Consents(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(cs))
	for _, c := range cs {
		m[c.ID] = c.Bank
	}
	return m, nil
}

// withBank names the bank of a payment row (its display name; the id for a bank that left the
// config).
func (a *App) withBank(r ui.PaymentRow, bankID string) ui.PaymentRow {
	if bankID != "" {
		r.Bank = a.bankName(bankID)
	}
	return r
}

// activeConsent is the newest consent that can pay now at a configured bank; failing that, the
// newest current one (paused, suspended, awaiting authorisation, or at a bank that left the
// config), so Home can say why it cannot pay.
func (a *App) activeConsent(ctx context.Context) (*wallet.Consent, error) {
	cs, err := a.ledger.Consents(ctx)
	if err != nil {
		return nil, err
	}
	now := a.opts.Clock()
	for i := range cs {
		if _, configured := a.bankByID(cs[i].Bank); configured && wallet.Usable(cs[i], now) == nil {
			return &cs[i], nil
		}
	}
	for i := range cs {
		if (ui.Consent{Status: ui.ConsentStatus(cs[i].Status)}).Current() && now.Before(cs[i].Expires) {
			return &cs[i], nil
		}
	}
	return nil, nil
}

// secretsOpening is Home's "Secrets:" while the store opens in the background.
const secretsOpening = "opening…"

// secretsUnlocking is Home's "Secrets:" while the file waits for the passphrase typed on the
// Unlock screen, or derives its key from it.
const secretsUnlocking = "unlocking…"

func (a *App) secretStoreLabel() string {
	if a.store.Kind() == keystore.KindEncryptedFile {
		return "encrypted file (" + filepath.Join(a.dir, keystore.FileName) + ")"
	}
	return a.store.Kind().String()
}

func (a *App) headroom(ctx context.Context, consentID string) (ui.Headroom, error) {
	h, err := a.wallet.Headroom(ctx, consentID)
	if err != nil {
		return ui.Headroom{}, err
	}
	return ui.Headroom{Limits: ui.Limits(h.Limits), Used: uiUsage(h.Used), Currency: h.Used.Currency}, nil
}

func (w uiWallet) Recover(ctx context.Context, recoveryCode, totp, newPIN ui.Secret) (ui.Secret, error) {
	a := w.a
	if err := sca.CheckPINPolicy(sca.PIN(newPIN.Reveal())); err != nil {
		return ui.Secret{}, uiError("Setting the new PIN", err)
	}
	rc, err := a.auth.Recover(sca.RecoveryCode(strings.TrimSpace(recoveryCode.Reveal())), sca.OTP(totp.Reveal()), sca.PIN(newPIN.Reveal()))
	if err != nil {
		return ui.Secret{}, uiError("Recovering", err)
	}
	return ui.NewSecret(rc.Reveal()), nil
}

func (a *App) toUIConsent(ctx context.Context, c wallet.Consent) (ui.Consent, error) {
	// Paid to date: what the bank accepted, not what the consent total limit reserves (a queued
	// payment the bank never got is not paid).
	paid, err := a.ledger.ConsentPaid(ctx, c.ID)
	if err != nil {
		return ui.Consent{}, err
	}
	total, count := money.Zero, 0
	var other []ui.Money
	for _, t := range paid {
		count += t.Count
		if t.Currency == c.Currency {
			total = t.Paid
		} else {
			other = append(other, ui.Money{Amount: t.Paid, Currency: t.Currency})
		}
	}
	out := ui.Consent{ID: c.ID, BaseConsentID: c.BaseConsentID, Bank: a.bankName(c.Bank), BankID: c.Bank, Status: ui.ConsentStatus(c.Status),
		Paused: c.Paused, Link: c.Kind == wallet.GrantLink, Created: c.Created, Expires: c.Expires, Model: ui.BeneficiaryModel(c.Model),
		DebtorMasked: maskIBAN(c.DebtorAccount), TotalPaid: total, PaymentCount: count, OtherPaid: other, PurposeCode: c.PurposeCode,
		Terms: a.termsOf(c.Bank, c.Currency)}
	if c.Status == wallet.ConsentAuthorized {
		if end, restoring := a.opLinkEnd(c); !end.IsZero() || restoring {
			out.Expires, out.ExpiryRestoring = end, restoring
		}
	}
	if c.Model != wallet.BeneficiaryOpen {
		payees, err := a.ledger.Payees(ctx, c.ID)
		if err != nil {
			return ui.Consent{}, err
		}
		for _, p := range payees {
			out.Creditors = append(out.Creditors, toUIPayee(p))
		}
	}
	return out, nil
}

// maskIBAN is ui.MaskIBAN for a stored account; no account stays "" (DebtorMasked's "none").
func maskIBAN(iban string) string {
	if iban == "" {
		return ""
	}
	return ui.MaskIBAN(iban)
}

func toUIPayee(p wallet.Payee) ui.Payee {
	return ui.Payee{ID: strconv.FormatInt(p.ID, 10), Name: p.Name, IBAN: p.IBAN, Type: payeeType(p.Kind)}
}

func toUIRow(r wallet.PaymentRow) ui.PaymentRow {
	st, bank := uiStatuses(r.Status, r.BankStatus)
	return ui.PaymentRow{ID: strconv.FormatInt(r.ID, 10), PaymentID: r.BankPaymentID, At: r.Created, PayeeName: r.PayeeName,
		Amount: r.Amount, Currency: r.Currency, Status: st, BankStatus: bank, Reference: r.Reference}
}

func (w uiWallet) Consents(ctx context.Context) ([]ui.Consent, error) {
	cs, err := w.a.ledger.Consents(ctx)
	if err != nil {
		return nil, uiError("Reading the consents", err)
	}
	out := make([]ui.Consent, 0, len(cs))
	for _, c := range cs {
		uc, err := w.a.toUIConsent(ctx, c)
		if err != nil {
			return nil, uiError("Reading the consents", err)
		}
		out = append(out, uc)
	}
	return out, nil
}

func (w uiWallet) ConsentDetail(ctx context.Context, consentID string) (ui.ConsentDetail, error) {
	a := w.a
	c, err := a.ledger.Consent(ctx, consentID)
	if err != nil {
		return ui.ConsentDetail{}, uiError("Reading the consent", err)
	}
	uc, err := a.toUIConsent(ctx, c)
	if err != nil {
		return ui.ConsentDetail{}, uiError("Reading the consent", err)
	}
	who := "any payee you add in payterm (no payees fixed at the bank)"
	switch c.Model {
	case wallet.BeneficiaryOne:
		who = "one named payee"
	case wallet.BeneficiaryList:
		who = count(len(uc.Creditors), "named payee", "named payees")
	}
	p := purposeOf(c.PurposeCode)
	d := ui.ConsentDetail{Consent: uc, Rules: []ui.Rule{
		{Label: "Type", Value: "Flexi Pay (delegated SCA): you approve each payment in payterm"},
		{Label: "Who you can pay", Value: who},
		{Label: "Amounts", Value: "not fixed at the bank; your payterm limits apply"},
		{Label: "Purpose", Value: strings.TrimSpace(p.Code + " " + p.Description)},
		{Label: "Authorised", Value: c.Created.Format("2 Jan 2006")},
		{Label: "Expires", Value: c.Expires.Format("2 Jan 2006")},
	}}
	if caps, ok := a.capsOf(c.Bank); ok {
		// A link under another standard: no grant at the bank, which approves each payment
		// itself; its rules say so, from the provider's Caps, never the UAE consent's.
		d.Rules = linkRules(caps, uc, who)
	}
	if c.BaseConsentID != "" {
		d.Rules = append(d.Rules, ui.Rule{Label: "Renewal of", Value: c.BaseConsentID})
	}
	page, err := a.ledger.History(ctx, wallet.HistoryQuery{Filter: wallet.HistoryFilter{ConsentID: consentID}, Limit: 20})
	if err != nil {
		return ui.ConsentDetail{}, uiError("Reading the consent's payments", err)
	}
	for _, r := range page.Rows {
		d.Payments = append(d.Payments, a.withBank(toUIRow(r), c.Bank))
	}
	return d, nil
}

func (w uiWallet) PauseConsent(ctx context.Context, consentID string) error {
	return uiError("Pausing the consent", w.a.wallet.PauseConsent(ctx, consentID))
}

func (w uiWallet) ReactivateConsent(ctx context.Context, consentID string) error {
	return uiError("Reactivating the consent", w.a.wallet.ReactivateConsent(ctx, consentID))
}

func (w uiWallet) RevokeConsent(ctx context.Context, consentID string) error {
	return uiError("Revoking the consent", w.a.wallet.RevokeConsent(ctx, consentID))
}

func (w uiWallet) Limits(ctx context.Context) (ui.Headroom, error) {
	active, err := w.a.activeConsent(ctx)
	if err != nil {
		return ui.Headroom{}, uiError("Reading the limits", err)
	}
	id := ""
	if active != nil {
		id = active.ID
	}
	h, err := w.a.headroom(ctx, id)
	if err != nil {
		return ui.Headroom{}, uiError("Reading the limits", err)
	}
	return h, nil
}

func (w uiWallet) PlanLimits(ctx context.Context, l ui.Limits) (ui.LimitPlan, error) {
	p, err := w.a.wallet.PlanLimits(ctx, wallet.Limits(l))
	if err != nil {
		return ui.LimitPlan{}, uiError("Checking the limits", err)
	}
	plan := ui.LimitPlan{From: ui.Limits(p.From), To: ui.Limits(p.To)}
	for _, name := range p.Raised {
		plan.Raised = append(plan.Raised, ui.LimitName(name))
	}
	return plan, nil
}

// SetLimits saves the edit; the wallet core asks for the SCA itself when the edit raises or
// removes a limit, whatever the screen did.
func (w uiWallet) SetLimits(ctx context.Context, l ui.Limits, in ui.SCAInput) error {
	err := w.a.wallet.SetLimits(ctx, wallet.Limits(l), sca.PIN(in.PIN.Reveal()), sca.OTP(in.TOTP.Reveal()))
	return uiError("Saving the limits", err)
}

func (w uiWallet) Payees(ctx context.Context, consentID string) ([]ui.Payee, error) {
	ps, err := w.a.ledger.Payees(ctx, consentID)
	if err != nil {
		return nil, uiError("Reading the payees", err)
	}
	out := make([]ui.Payee, 0, len(ps))
	for _, p := range ps {
		out = append(out, toUIPayee(p))
	}
	return out, nil
}

// uiUsage is what the screens show of the limits' usage (in the consent's currency).
func uiUsage(u wallet.Usage) ui.Usage {
	return ui.Usage{Day: u.Day, DayCount: u.DayCount, Month: u.Month, Consent: u.Consent}
}
