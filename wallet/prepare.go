package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/payterm/payterm/consent"
	"github.com/payterm/payterm/internal/iban"
	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/money"
	"github.com/payterm/payterm/provider"
	"github.com/payterm/payterm/sca"
)

// PayeeInput is a new payee typed in the pay form (open consents only). Name and IBAN are PII.
type PayeeInput struct {
	Name string
	IBAN string
	Kind string // "retail" (default) or "corporate"
	// BIC, Address and Country: the payee's bank and address, for products that need them (OP's
	// foreign payments); the bank's provider checks them and keeps them in the payee's stored form.
	BIC     string
	Address []string
	Country string
}

// Draft is the pay form as typed; Prepare parses and validates everything.
type Draft struct {
	ConsentID string
	PayeeID   int64       // a saved payee of the consent, or
	NewPayee  *PayeeInput // a new payee (open consents only)
	Amount    string      // as typed: "1250", "1,250.5"
	Reference string      // optional DebtorReference, 1–35
	Purpose   string      // AANI code; "" = the consent's (only at a bank whose standard has one)
	// Product is the kind of payment at banks that offer several ("sepa-credit-transfers");
	// "" = the bank's first. It must allow the consent's currency.
	Product string
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
	Product   string
	// IdempotencyKey is minted here, once per intent; the SCA signs it, so a retry can never
	// use another one.
	IdempotencyKey string
	Headroom       Headroom
	Started        time.Time
	// BankApproval is the bank's forecast of its own approval of this payment, in its words
	// (provider.ApprovalForecaster: OP's exemption); "" when it has none.
	BankApproval string
	// PayeeBank is the payee's bank (BIC) and address the payment carries, for a product that
	// names them (OP's foreign payments), read from the payee's stored form (payeeBankOf); nil
	// elsewhere. PII.
	PayeeBank *provider.PayeeBank

	creditor     json.RawMessage // the payee's stored wire form (the UAE creditor of the consent)
	debtor       *provider.Party // the payer's account, for banks whose payments name it
	prePopulated bool
	preparedAt   time.Time
}

// PreparedTTL is how long a prepared payment waits for its SCA. Its limit check and payee
// were read at Prepare; after this the user prepares it again, and an abandoned review
// screen does not hold memory for the life of the process.
const PreparedTTL = 15 * time.Minute

// providerIntent is the payment as its bank's provider builds it.
func (p *Prepared) providerIntent() provider.Intent {
	return provider.Intent{GrantID: p.ConsentID, Product: p.Product, Amount: provider.Money{Amount: p.Amount, Currency: p.Currency},
		Creditor: provider.Party{Name: p.Payee.Name, Account: p.Payee.IBAN, Kind: p.Payee.Kind, Wire: p.creditor},
		Debtor:   p.debtor, Reference: p.Reference, Purpose: p.Purpose, IdempotencyKey: p.IdempotencyKey}
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
	bank, err := w.bankOf(c)
	if err != nil {
		return nil, err
	}
	caps := bank.Caps()
	product, ok := caps.Product(d.Product)
	if !ok {
		return nil, &Problem{What: "This bank does not offer that kind of payment.", Next: "Pick one from the list."}
	}
	currency := currencyOr(c.Currency)
	if !slices.Contains(product.Currencies, currency) {
		return nil, &Problem{What: "This kind of payment is not made in " + currency + ", the currency of your account.",
			Next: "Pick another kind of payment."}
	}
	amount, err := money.ParseInputIn(d.Amount, currency)
	if err != nil {
		return nil, amountProblem(err)
	}
	purpose := ""
	if caps.Fields.Purpose {
		if purpose = d.Purpose; purpose == "" {
			purpose = c.PurposeCode
		}
		codes, err := consent.PurposeCodes()
		if err != nil {
			return nil, fmt.Errorf("prepare: purpose codes: %w", err)
		}
		if _, ok := codes[purpose]; !ok {
			return nil, &Problem{What: "That purpose code is not an AANI purpose code.", Next: "Pick one from the list."}
		}
	} else if d.Purpose != "" {
		return nil, &Problem{What: "Payments at this bank have no purpose code.", Next: "Leave the purpose empty."}
	}
	if max := caps.Fields.ReferenceMax; utf8.RuneCountInString(d.Reference) > max {
		if max == 0 {
			return nil, &Problem{What: "Payments at this bank carry no reference.", Next: "Leave it empty."}
		}
		return nil, &Problem{What: fmt.Sprintf("The %s is longer than %d characters.", strings.ToLower(caps.Fields.ReferenceName), max), Next: "Shorten it."}
	}
	if safetext.Check(d.Reference) != nil {
		return nil, &Problem{What: "The reference contains a control character or a right-to-left override (shown as \uFFFD).",
			Next: "Delete that character and type the reference again."}
	}
	payee, creditor, pre, err := w.resolvePayee(ctx, bank, product, c, d)
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
	p := &Prepared{ID: id, ConsentID: c.ID, Payee: payee, Amount: amount, Currency: currency, Purpose: purpose,
		Reference: d.Reference, Product: product.ID, IdempotencyKey: key, Headroom: h, Started: started, creditor: creditor,
		prePopulated: pre, preparedAt: now}
	if c.DebtorAccount != "" {
		p.debtor = &provider.Party{Name: c.DebtorName, Account: c.DebtorAccount}
	}
	p.BankApproval = w.approvalForecast(ctx, bank, c.ID, p.providerIntent(), now)
	p.PayeeBank = payeeBankOf(bank, product, creditor)
	if err := p.Intent().Validate(); err != nil {
		return nil, &Problem{What: "The payment details are not valid.", Next: "Check the payee.", Err: err}
	}
	w.mu.Lock()
	w.dropExpiredLocked(now)
	w.prepared[id] = p
	w.mu.Unlock()
	return p, nil
}

// resolvePayee finds the creditor the payment names and its stored wire form. A saved payee of
// a single or list consent carries the wire JSON from the consent, so it matches byte for byte.
// A new payee is checked by the bank's provider (which gives its own stored form) or, for a
// provider that does not check, against the product's account scheme.
func (w *Wallet) resolvePayee(ctx context.Context, bank provider.Bank, product provider.Product, c Consent, d Draft) (Payee, json.RawMessage, bool, error) {
	if d.PayeeID != 0 {
		p, err := w.cfg.Ledger.Payee(ctx, d.PayeeID)
		if err != nil || p.ConsentID != c.ID {
			return Payee{}, nil, false, &Problem{What: "That payee does not belong to this consent.", Next: "Pick a payee from the list."}
		}
		if len(p.Wire) == 0 && c.Kind != GrantLink {
			return Payee{}, nil, false, &Problem{What: "That payee has no stored account details.", Next: "Add it again."}
		}
		if _, err := accountFits(product.Creditor, p.IBAN); err != nil && c.Kind == GrantLink {
			return Payee{}, nil, false, &Problem{What: "That payee's account does not fit this kind of payment: " + err.Error() + ".",
				Next: "Pick another kind of payment, or another payee."}
		}
		if err := w.requirePayeeCheck(ctx, bank, c, p.IBAN, p.Name); errors.Is(err, ErrPayeeNotChecked) {
			return Payee{}, nil, false, &Problem{What: "This payee was saved before payterm checked payees' names with the bank.",
				Next: "Type it as a new payee: payterm checks it with the bank first.", Err: err}
		} else if err != nil {
			return Payee{}, nil, false, err
		}
		return p, json.RawMessage(p.Wire), true, nil
	}
	if d.NewPayee == nil {
		return Payee{}, nil, false, &Problem{What: "No payee chosen.", Next: "Pick or add a payee."}
	}
	if c.Model != BeneficiaryOpen {
		return Payee{}, nil, false, &Problem{What: "This consent only pays the payees fixed at your bank.", Next: "Pick one of them, or set up a consent without fixed payees."}
	}
	kind := "retail"
	if d.NewPayee.Kind == "corporate" {
		kind = "corporate"
	}
	party := provider.Party{Name: d.NewPayee.Name, Account: d.NewPayee.IBAN, Scheme: product.Creditor, Kind: kind,
		BIC: d.NewPayee.BIC, Address: d.NewPayee.Address, Country: d.NewPayee.Country}
	var err error
	if pc, ok := bank.(provider.PayeeChecker); ok {
		party, err = pc.CheckPayee(party, product.ID)
	} else if party.BIC != "" || len(party.Address) > 0 || party.Country != "" {
		err = errors.New("payments at this bank name no payee bank or address: leave them empty")
	} else {
		party, err = checkParty(party)
	}
	if err != nil {
		return Payee{}, nil, false, &Problem{What: "The payee is not valid: " + err.Error() + ".", Next: "Check the name and the account.", Err: err}
	}
	if err := w.requirePayeeCheck(ctx, bank, c, party.Account, party.Name); err != nil {
		return Payee{}, nil, false, err
	}
	p, err := w.cfg.Ledger.AddPayee(ctx, Payee{ConsentID: c.ID, Name: party.Name, IBAN: party.Account, Kind: party.Kind, Wire: party.Wire})
	if err != nil {
		return Payee{}, nil, false, err
	}
	return p, json.RawMessage(p.Wire), false, nil
}

// checkParty is the check of a typed payee for a provider that has none of its own: a plain
// name (no control or direction characters, at most 70 characters) and an account in the
// product's scheme. It returns the party with its name trimmed and its account without the
// spaces it was typed with; nothing else is rewritten.
func checkParty(p provider.Party) (provider.Party, error) {
	p.Name = strings.TrimSpace(p.Name)
	switch {
	case p.Name == "":
		return p, errors.New("the name is empty")
	case utf8.RuneCountInString(p.Name) > 70:
		return p, errors.New("the name is longer than 70 characters")
	case safetext.Check(p.Name) != nil:
		return p, errors.New("the name contains a control character or a right-to-left override (shown as \uFFFD)")
	}
	account, err := accountFits(p.Scheme, p.Account)
	p.Account = account
	return p, err
}

// accountFits checks an account number against a scheme, without quoting it, and returns it
// without spaces.
func accountFits(scheme provider.AccountScheme, account string) (string, error) {
	if scheme == provider.SchemeNorwayBBAN {
		b, err := iban.ParseNorwegianBBAN(account)
		if err != nil {
			return account, errors.New("it is not a Norwegian account number (11 digits)")
		}
		return b, nil
	}
	i, err := iban.Parse(account)
	if err != nil {
		return account, errors.New("the IBAN is not valid")
	}
	return string(i), nil
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
