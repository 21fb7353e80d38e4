package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode"

	"github.com/payterm/payterm/consent"
	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/money"
	"github.com/payterm/payterm/provider"
	"github.com/payterm/payterm/sca"
)

// Currency is the only currency of domestic payments.
const Currency = "AED"

// PayeeInput is a new payee typed in the pay form (open consents only). Name and IBAN are PII.
type PayeeInput struct {
	Name string
	IBAN string
	Kind string // "retail" (default) or "corporate"
}

// Draft is the pay form as typed; Prepare parses and validates everything.
type Draft struct {
	ConsentID string
	PayeeID   int64       // a saved payee of the consent, or
	NewPayee  *PayeeInput // a new payee (open consents only)
	Amount    string      // as typed: "1250", "1,250.5"
	Reference string      // optional DebtorReference, 1–35
	Purpose   string      // AANI code; "" = the consent's
	// Started is when the user opened the pay form (Risk TotalDuration); zero = now.
	Started time.Time
}

// Prepared is a validated payment intent, ready for SCA. Nothing has left the machine.
type Prepared struct {
	ID        string
	ConsentID string
	Payee     Payee
	Amount    money.Amount
	Currency  string
	Purpose   string
	Reference string
	// IdempotencyKey is minted here, once per intent; the SCA signs it, so a retry can never
	// use another one.
	IdempotencyKey string
	Headroom       Headroom
	Started        time.Time

	creditor     json.RawMessage // AEDomesticCreditor for the payment PII
	prePopulated bool
	preparedAt   time.Time
}

// PreparedTTL is how long a prepared payment waits for its SCA. Its limit check and payee
// were read at Prepare; after this the user prepares it again, and an abandoned review
// screen does not hold memory for the life of the process.
const PreparedTTL = 15 * time.Minute

// providerIntent is the payment as its bank's provider builds it.
func (p *Prepared) providerIntent() provider.Intent {
	return provider.Intent{GrantID: p.ConsentID, Amount: provider.Money{Amount: p.Amount, Currency: p.Currency},
		Creditor:  provider.Party{Name: p.Payee.Name, Account: p.Payee.IBAN, Scheme: provider.SchemeIBAN, Kind: p.Payee.Kind, Wire: p.creditor},
		Reference: p.Reference, Purpose: p.Purpose, IdempotencyKey: p.IdempotencyKey}
}

// Intent is what the SCA authenticates for this payment.
func (p *Prepared) Intent() sca.Intent {
	return sca.Intent{ConsentID: p.ConsentID, Amount: p.Amount.String(), Currency: p.Currency,
		CreditorIBAN: p.Payee.IBAN, CreditorName: p.Payee.Name, IdempotencyKey: p.IdempotencyKey}
}

// Prepare validates a draft against the consent (usable, beneficiary model), the purpose
// code list and the limits, and keeps it for SubmitPayment. Refusals are *Problem or
// *LimitError.
func (w *Wallet) Prepare(ctx context.Context, d Draft) (*Prepared, error) {
	now := w.cfg.Clock()
	c, err := w.cfg.Ledger.Consent(ctx, d.ConsentID)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, &Problem{What: "That consent is unknown.", Next: "Pick a consent from the list.", Err: err}
		}
		return nil, err
	}
	if err := Usable(c, now); err != nil {
		return nil, err
	}
	if _, err := w.bankOf(c); err != nil {
		return nil, err
	}
	amount, err := money.ParseInput(d.Amount)
	if err != nil {
		return nil, amountProblem(err)
	}
	purpose := d.Purpose
	if purpose == "" {
		purpose = c.PurposeCode
	}
	codes, err := consent.PurposeCodes()
	if err != nil {
		return nil, fmt.Errorf("prepare: purpose codes: %w", err)
	}
	if _, ok := codes[purpose]; !ok {
		return nil, &Problem{What: "That purpose code is not an AANI purpose code.", Next: "Pick one from the list."}
	}
	if len(d.Reference) > 35 {
		return nil, &Problem{What: "The reference is longer than 35 characters.", Next: "Shorten it."}
	}
	if safetext.Check(d.Reference) != nil {
		return nil, &Problem{What: "The reference contains a control character or a right-to-left override (shown as \uFFFD).",
			Next: "Delete that character and type the reference again."}
	}
	payee, creditor, pre, err := w.resolvePayee(ctx, c, d)
	if err != nil {
		return nil, err
	}
	h, err := w.cfg.Ledger.CheckLimits(ctx, c.ID, amount, w.cfg.Limits)
	if err != nil {
		return nil, err
	}
	key, err := w.newUUID()
	if err != nil {
		return nil, err
	}
	id, err := w.newUUID()
	if err != nil {
		return nil, err
	}
	started := d.Started
	if started.IsZero() {
		started = now
	}
	p := &Prepared{ID: id, ConsentID: c.ID, Payee: payee, Amount: amount, Currency: Currency, Purpose: purpose,
		Reference: d.Reference, IdempotencyKey: key, Headroom: h, Started: started, creditor: creditor, prePopulated: pre,
		preparedAt: now}
	if err := p.Intent().Validate(); err != nil {
		return nil, &Problem{What: "The payment details are not valid.", Next: "Check the payee.", Err: err}
	}
	w.mu.Lock()
	w.dropExpiredLocked(now)
	w.prepared[id] = p
	w.mu.Unlock()
	return p, nil
}

// resolvePayee finds the creditor the payment names and its exact wire form. A saved payee of
// a single or list consent carries the wire JSON from the consent, so it matches byte for byte.
func (w *Wallet) resolvePayee(ctx context.Context, c Consent, d Draft) (Payee, json.RawMessage, bool, error) {
	if d.PayeeID != 0 {
		p, err := w.cfg.Ledger.Payee(ctx, d.PayeeID)
		if err != nil || p.ConsentID != c.ID {
			return Payee{}, nil, false, &Problem{What: "That payee does not belong to this consent.", Next: "Pick a payee from the list."}
		}
		if len(p.Wire) == 0 {
			return Payee{}, nil, false, &Problem{What: "That payee has no stored account details.", Next: "Add it again."}
		}
		return p, json.RawMessage(p.Wire), true, nil
	}
	if d.NewPayee == nil {
		return Payee{}, nil, false, &Problem{What: "No payee chosen.", Next: "Pick or add a payee."}
	}
	if c.Model != BeneficiaryOpen {
		return Payee{}, nil, false, &Problem{What: "This consent only pays the payees fixed at your bank.", Next: "Pick one of them, or set up a consent without fixed payees."}
	}
	accountType := consent.CreditorIndividual
	kind := "retail"
	if d.NewPayee.Kind == "corporate" {
		accountType, kind = consent.CreditorBusiness, "corporate"
	}
	dc, err := consent.BuildCreditor(consent.CreditorInput{IBAN: d.NewPayee.IBAN, AccountName: PayeeName(d.NewPayee.Name), AccountType: accountType})
	if err != nil {
		return Payee{}, nil, false, &Problem{What: "The payee is not valid: " + err.Error() + ".", Next: "Check the name and IBAN.", Err: err}
	}
	cr, err := creditorFromWire(dc)
	if err != nil {
		return Payee{}, nil, false, err
	}
	p, err := w.cfg.Ledger.AddPayee(ctx, Payee{ConsentID: c.ID, Name: cr.Name, IBAN: cr.IBAN, Kind: kind, Wire: cr.Wire})
	if err != nil {
		return Payee{}, nil, false, err
	}
	return p, json.RawMessage(p.Wire), false, nil
}

// PayeeName puts a typed payee name in the slot of its script: a name with Arabic letters is
// the Arabic name, any other the English one (AEName keeps the two apart). The consent page and
// the pay form use it alike, so a payee typed either way is the same creditor.
func PayeeName(typed string) consent.Name {
	for _, r := range typed {
		if unicode.Is(unicode.Arabic, r) {
			return consent.Name{AR: typed}
		}
	}
	return consent.Name{EN: typed}
}

// takePrepared removes and returns a prepared payment that has not expired.
func (w *Wallet) takePrepared(id string) (*Prepared, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.dropExpiredLocked(w.cfg.Clock())
	p, ok := w.prepared[id]
	if ok {
		delete(w.prepared, id)
	}
	return p, ok
}

func (w *Wallet) dropExpiredLocked(now time.Time) {
	for id, p := range w.prepared {
		if now.Sub(p.preparedAt) >= PreparedTTL {
			delete(w.prepared, id)
		}
	}
}

// amountProblem is a typed amount money refused, as the one sentence the user sees: what is
// wrong, then what to type (money.InputError never quotes the input).
func amountProblem(err error) error {
	var ie *money.InputError
	if errors.As(err, &ie) {
		return &Problem{What: ie.Sentence(), Err: err}
	}
	return &Problem{What: "The amount is not valid; type it in digits, like 125.50.", Err: err}
}
