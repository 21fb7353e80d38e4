package op

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/payterm/payterm/internal/iban"
	"github.com/payterm/payterm/money"
	"github.com/payterm/payterm/provider"
)

// OP's exemption also covers a SEPA transfer between two of the payer's own accounts at OP,
// whatever its amount and however many exemption payments came before (seed 000, category b).
// The wallet knows the payer's own accounts only from its configuration (Config.OwnAccounts:
// the link's account and any others the payer listed); OP decides from what it knows, so this
// too is a prediction.

// ownAccount reports whether acct is one of own (both compared in IBAN's electronic form).
func ownAccount(acct string, own []string) bool {
	a, err := iban.Parse(acct)
	if err != nil {
		return false
	}
	return slices.ContainsFunc(own, func(o string) bool {
		oi, err := iban.Parse(o)
		return err == nil && oi == a
	})
}

// OwnTransfer reports whether a payment from payer to payee moves money between two different
// accounts of own.
func OwnTransfer(payer, payee string, own []string) bool {
	p, perr := iban.Parse(payer)
	q, qerr := iban.Parse(payee)
	return perr == nil && qerr == nil && p != q && ownAccount(payer, own) && ownAccount(payee, own)
}

// PredictExemptionTo is PredictExemption knowing the payment's accounts: a EUR transfer from payer
// to payee, both among the payer's own accounts (own), with a bank approval from the last 45 days,
// is likely waived whatever the amount and the counts; any other payment is predicted by the
// amount and count limits.
func PredictExemptionTo(amount provider.Money, payer, payee string, own []string, since []money.Amount, lastSCA, now time.Time) Prediction {
	if amount.Currency == "EUR" && OwnTransfer(payer, payee, own) && !lastSCA.IsZero() && now.Before(lastSCA.Add(RefreshLife)) {
		return Prediction{Likely: true, OwnAccount: true, Count: len(since),
			Words: "OP may not ask: a transfer between your own accounts at OP (OP decides: it must hold both accounts as yours)"}
	}
	return PredictExemption(amount, since, lastSCA, now)
}

// ownTransferStored reports whether the stored SEPA request moves money between two of the
// configured own accounts (read from the exact body that will be sent).
func (b *Bank) ownTransferStored(st *stored) bool {
	if st.Foreign || len(b.cfg.OwnAccounts) == 0 {
		return false
	}
	var body SepaPaymentRequest
	if json.Unmarshal(st.Body, &body) != nil || body.Payer == nil {
		return false
	}
	return OwnTransfer(body.Payer.IBAN, body.Payee.IBAN, b.cfg.OwnAccounts)
}
