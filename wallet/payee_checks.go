package wallet

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/payterm/payterm/provider"
)

// PayeeCheck is a stored Confirmation of Payee answer for one payee (bank, IBAN, name). Name,
// IBAN, BankName and Evidence are PII.
type PayeeCheck struct {
	Bank     string
	IBAN     string
	Name     string
	Answer   provider.PayeeAnswer
	BankName string // the holder's name as the bank gave it ("" when none)
	Evidence string // the bank's signed answer, sent with each payment to the payee
	Accepted bool   // the payer may pay this payee on this answer
	At       time.Time
}

// SavePayeeCheck stores (or replaces) the answer for the payee. An unavailable answer is not
// an answer about the payee and is never stored.
func (l *Ledger) SavePayeeCheck(ctx context.Context, c PayeeCheck) error {
	if c.Bank == "" || c.IBAN == "" || c.Name == "" {
		return errors.New("save payee check: bank, IBAN and name are required")
	}
	if !c.Answer.Known() || c.Answer == provider.PayeeUnavailable {
		return fmt.Errorf("save payee check: %q is not an answer to keep", c.Answer)
	}
	return l.withTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO payee_checks (bank, iban, name, answer, bank_name, evidence, accepted, checked_ms)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (bank, iban, name) DO UPDATE SET answer = excluded.answer, bank_name = excluded.bank_name,
				evidence = excluded.evidence, accepted = excluded.accepted, checked_ms = excluded.checked_ms`,
			c.Bank, c.IBAN, c.Name, string(c.Answer), c.BankName, c.Evidence, boolInt(c.Accepted), toMS(c.At))
		if err != nil {
			return fmt.Errorf("save payee check: %w", err)
		}
		return nil
	})
}

// PayeeCheckFor reads the stored answer for the payee; ErrNotFound when it was never checked.
func (l *Ledger) PayeeCheckFor(ctx context.Context, bank, iban, name string) (PayeeCheck, error) {
	c := PayeeCheck{Bank: bank, IBAN: iban, Name: name}
	var answer string
	var accepted int
	var at int64
	err := l.db.QueryRowContext(ctx, `SELECT answer, bank_name, evidence, accepted, checked_ms FROM payee_checks
		WHERE bank = ? AND iban = ? AND name = ?`, bank, iban, name).Scan(&answer, &c.BankName, &c.Evidence, &accepted, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return PayeeCheck{}, fmt.Errorf("payee check: %w", ErrNotFound)
	}
	if err != nil {
		return PayeeCheck{}, fmt.Errorf("payee check: %w", err)
	}
	c.Answer, c.Accepted, c.At = provider.PayeeAnswer(answer), accepted == 1, fromMS(at)
	return c, nil
}

// AcceptPayeeCheck records that the payer chose to pay the payee on its stored answer.
func (l *Ledger) AcceptPayeeCheck(ctx context.Context, bank, iban, name string) error {
	return l.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE payee_checks SET accepted = 1 WHERE bank = ? AND iban = ? AND name = ?`, bank, iban, name)
		if err != nil {
			return fmt.Errorf("accept payee check: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("accept payee check: %w", ErrNotFound)
		}
		return nil
	})
}

// ErrNoPayeeCheck: the consent's bank has no Confirmation of Payee; its payees are paid as typed.
var ErrNoPayeeCheck = errors.New("this bank does not confirm payees")

// payeeKey canonicalises a typed payee the way the bank's provider stores it (the IBAN without
// spaces, the name trimmed), so a check and a payment name the same payee.
func (w *Wallet) payeeKey(ctx context.Context, consentID string, in PayeeInput) (Consent, provider.PayeeConfirmer, provider.Party, error) {
	c, err := w.cfg.Ledger.Consent(ctx, consentID)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return Consent{}, nil, provider.Party{}, &Problem{What: "That consent is unknown.", Next: "Pick a consent from the list.", Err: err}
		}
		return Consent{}, nil, provider.Party{}, err
	}
	bank, err := w.bankOf(c)
	if err != nil {
		return Consent{}, nil, provider.Party{}, err
	}
	pc, ok := bank.(provider.PayeeConfirmer)
	if !ok {
		return c, nil, provider.Party{}, ErrNoPayeeCheck
	}
	kind := "retail"
	if in.Kind == "corporate" {
		kind = "corporate"
	}
	party := provider.Party{Name: in.Name, Account: in.IBAN, Kind: kind}
	if chk, ok := bank.(provider.PayeeChecker); ok {
		party, err = chk.CheckPayee(party, "")
	} else {
		party, err = checkParty(party)
	}
	if err != nil {
		return c, nil, provider.Party{}, &Problem{What: "The payee is not valid: " + err.Error() + ".", Next: "Check the name and the account.", Err: err}
	}
	return c, pc, party, nil
}

// CheckPayee asks the consent's bank whether the typed name holds the typed account
// (Confirmation of Payee) and keeps the answer. A payee whose answer was accepted earlier is
// not asked again: the stored answer comes back. A match is accepted as it comes; a close match
// or a no match waits for the payer's choice (AcceptPayee). An unavailable service is an
// answer (PayeeUnavailable), never stored. ErrNoPayeeCheck when the bank has no such service.
func (w *Wallet) CheckPayee(ctx context.Context, consentID string, in PayeeInput) (PayeeCheck, error) {
	c, pc, party, err := w.payeeKey(ctx, consentID, in)
	if err != nil {
		return PayeeCheck{}, err
	}
	if old, err := w.cfg.Ledger.PayeeCheckFor(ctx, c.Bank, party.Account, party.Name); err == nil && old.Accepted {
		return old, nil
	} else if err != nil && !errors.Is(err, ErrNotFound) {
		return PayeeCheck{}, err
	}
	ans, err := pc.CheckPayeeName(ctx, party)
	chk := PayeeCheck{Bank: c.Bank, IBAN: party.Account, Name: party.Name, Answer: ans.Answer, BankName: ans.BankName,
		Evidence: ans.Evidence, Accepted: ans.Answer == provider.PayeeMatch, At: w.cfg.Clock()}
	if err != nil || ans.Answer == provider.PayeeUnavailable {
		chk.Answer, chk.Accepted, chk.Evidence, chk.BankName = provider.PayeeUnavailable, false, "", ""
		return chk, nil
	}
	if !ans.Answer.Known() {
		return PayeeCheck{}, fmt.Errorf("check payee: the provider gave an unknown answer %q", ans.Answer)
	}
	if err := w.cfg.Ledger.SavePayeeCheck(ctx, chk); err != nil {
		return PayeeCheck{}, err
	}
	return chk, nil
}

// AcceptPayee records the payer's choice to pay the payee on its stored answer. A no match is
// accepted only with noMatchConfirmed (the payer was told the money may be lost); an account
// the bank does not know is never accepted.
func (w *Wallet) AcceptPayee(ctx context.Context, consentID string, in PayeeInput, noMatchConfirmed bool) error {
	c, _, party, err := w.payeeKey(ctx, consentID, in)
	if err != nil {
		return err
	}
	chk, err := w.cfg.Ledger.PayeeCheckFor(ctx, c.Bank, party.Account, party.Name)
	if errors.Is(err, ErrNotFound) {
		return &Problem{What: "This payee has not been checked with the bank.", Next: "Check the payee first.", Err: err}
	}
	if err != nil {
		return err
	}
	switch chk.Answer {
	case provider.PayeeNotFound:
		return &Problem{What: "The bank has no account with this IBAN, so it cannot be paid.", Next: "Check the IBAN with the payee."}
	case provider.PayeeNoMatch:
		if !noMatchConfirmed {
			return &Problem{What: "The name does not match the account holder's.", Next: "Confirm explicitly that you accept the money may be lost, or change the payee."}
		}
	}
	if chk.Accepted {
		return nil
	}
	return w.cfg.Ledger.AcceptPayeeCheck(ctx, c.Bank, party.Account, party.Name)
}

// ErrPayeeNotChecked: a payee the consent does not name is paid only on an answer of the
// bank's Confirmation of Payee that the payer accepted (the standard makes CoP mandatory for
// such creditors, and a strict bank refuses the payment without it).
var ErrPayeeNotChecked = errors.New("the payee was not checked with the bank")

// requirePayeeCheck refuses a payee of an open consent at a bank with Confirmation of Payee
// until the payer accepted the bank's answer for it (CheckPayee, AcceptPayee).
func (w *Wallet) requirePayeeCheck(ctx context.Context, bank provider.Bank, c Consent, iban, name string) error {
	if c.Model != BeneficiaryOpen {
		return nil // the consent names its payees: the bank agreed to them with the consent
	}
	if _, ok := bank.(provider.PayeeConfirmer); !ok {
		return nil
	}
	_, ok, err := w.acceptedPayeeCheck(ctx, c, Payee{IBAN: iban, Name: name})
	if err != nil {
		return err
	}
	if !ok {
		return &Problem{What: "This payee's name has not been checked with the bank.", Next: "Check the payee first (the pay form does it before the review).",
			Err: ErrPayeeNotChecked}
	}
	return nil
}

// acceptedPayeeCheck is the accepted answer for a payee of consent c, if any.
func (w *Wallet) acceptedPayeeCheck(ctx context.Context, c Consent, p Payee) (PayeeCheck, bool, error) {
	chk, err := w.cfg.Ledger.PayeeCheckFor(ctx, c.Bank, p.IBAN, p.Name)
	if errors.Is(err, ErrNotFound) {
		return PayeeCheck{}, false, nil
	}
	if err != nil {
		return PayeeCheck{}, false, err
	}
	return chk, chk.Accepted, nil
}
