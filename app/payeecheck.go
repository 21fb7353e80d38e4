package app

import (
	"context"
	"errors"

	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/wallet"
)

var _ ui.PayeeCheckService = uiWallet{}

func payeeInput(p ui.PayeeDraft) wallet.PayeeInput {
	kind := "retail"
	if p.Type == ui.PayeeCorporate {
		kind = "corporate"
	}
	return wallet.PayeeInput{Name: p.Name, IBAN: p.IBAN, Kind: kind, BIC: p.BIC, Address: p.Address, Country: p.Country}
}

// CheckPayee asks the consent's bank whether the name holds the account (Confirmation of
// Payee); a bank without it answers PayeeCheckNone.
func (w uiWallet) CheckPayee(ctx context.Context, consentID string, p ui.PayeeDraft) (ui.PayeeCheck, error) {
	c, err := w.a.wallet.CheckPayee(ctx, consentID, payeeInput(p))
	if errors.Is(err, wallet.ErrNoPayeeCheck) {
		return ui.PayeeCheck{Answer: ui.PayeeCheckNone}, nil
	}
	if err != nil {
		return ui.PayeeCheck{}, uiError("Checking the payee", err)
	}
	return ui.PayeeCheck{Answer: ui.PayeeCheckAnswer(c.Answer), BankName: c.BankName, Accepted: c.Accepted}, nil
}

// AcceptPayee records the payer's choice to pay on the bank's answer.
func (w uiWallet) AcceptPayee(ctx context.Context, consentID string, p ui.PayeeDraft, noMatchConfirmed bool) error {
	return uiError("Saving your choice", w.a.wallet.AcceptPayee(ctx, consentID, payeeInput(p), noMatchConfirmed))
}
