package ui

import (
	"time"

	"github.com/payterm/payterm/money"
)

// The few rules of the screens a fake wallet must apply exactly as the screens do, exported for
// ui/uifake (the fake wallet testers import): a fake that words or counts these differently
// would draw screens the product cannot draw.

// ParseAmountIn reads a typed amount in the payment's currency as the pay form does ("" is AED).
func ParseAmountIn(s, cur string) (money.Amount, error) { return parseAmountIn(s, cur) }

// AmountSentence is the one sentence the pay form shows for an amount ParseAmountIn refused.
func AmountSentence(err error, cur string) string { return amountSentenceIn(err, cur) }

// FormatMoney is an amount with its currency as every screen shows it ("1,250.00 AED").
func FormatMoney(a money.Amount, cur string) string { return formatMoney(a, cur) }

// SameCurrency reports whether two currency fields name the same currency ("" is AED).
func SameCurrency(a, b string) bool { return sameCurrency(a, b) }

// PaymentPaid reports whether a payment in status s counts as paid (the bank accepted it), as
// the core counts a consent's total: queued, pending and failed payments are not paid.
func PaymentPaid(s PaymentStatus) bool { return paymentOK(s) }

// CanPayNow reports whether consent c can pay at now: authorised at the bank, not paused in
// payterm and not expired.
func CanPayNow(c Consent, now time.Time) bool { return canPayNow(c, now) }

// AccountValid reports whether raw is a valid payee account for product p's account scheme.
func AccountValid(p Product, raw string) bool { return accountValid(p.scheme(), raw) }
