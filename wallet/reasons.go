package wallet

import (
	"strings"

	"github.com/payterm/payterm/internal/safetext"
)

// rejectReasons words the ISO 20022 external status reason codes that AANI and LFIs use in
// RejectReasonCode (uae-spec §7.3: "AANI.AM04", "LFI.…"); the part after the dot is looked up.
var rejectReasons = map[string]string{
	"AM04": "insufficient funds in your account",
	"AM02": "the amount is above what your bank allows for this payment",
	"AM05": "the bank sees it as a duplicate payment",
	"AM09": "the amount is not what was agreed",
	"AC01": "the payee's account number is not correct",
	"AC03": "the payee's account number is not valid",
	"AC04": "the payee's account is closed",
	"AC06": "the account is blocked",
	"AG01": "this kind of payment is not allowed on the account",
	"AG02": "the bank does not accept this kind of payment",
	"BE01": "the payee's name does not match the account",
	"RR04": "a regulatory reason",
	"FF01": "the payment request was not in a format the bank accepts",
	"MS02": "a reason the payee's bank did not give",
	"MS03": "a reason the bank did not give",
	"NARR": "a reason given in the bank's message",
}

// maxBankMessage bounds how much of a bank's free text is shown (in characters).
const maxBankMessage = 160

// RejectReasonText says in words why the bank rejected or refused a payment: the known reason
// code first, else the bank's own message cleaned of control characters and cut to a sentence's
// length, else "". The message can name the payee, so it belongs on the user's own screen and
// receipt only — never in a log, error string or export.
func RejectReasonText(code, bankMessage string) string {
	if _, short, ok := strings.Cut(code, "."); ok {
		if words, known := rejectReasons[strings.ToUpper(short)]; known {
			return words
		}
	}
	return strings.TrimSpace(safetext.Short(strings.TrimSpace(bankMessage), maxBankMessage))
}

// FailureText is the one sentence the user's own receipt shows when a payment ends failed:
// what happened, why in words when known (the bank's own message otherwise), and whether money
// moved. Because the bank's message can name the payee, it is screen text, never an error value:
// errors carry failureProblem's wording instead.
func FailureText(p Payment) string { return failureText(p, p.RejectMessage) }

// failureProblem is the error for a failed payment: FailureText without the bank's free text
// (known reason codes still read in words), so nothing a bank wrote reaches an error string.
func failureProblem(p Payment) *Problem { return &Problem{What: failureText(p, "")} }

func failureText(p Payment, bankMessage string) string {
	why := RejectReasonText(p.RejectCode, bankMessage)
	if why != "" {
		why = ": " + why
	}
	switch p.Status {
	case PaymentRejected:
		return "The bank rejected the payment" + codeIn(p.RejectCode) + why + ". No money left your account."
	case PaymentRefused:
		return "The bank refused the payment request" + codeIn(p.RejectCode) + why + ". Nothing was paid."
	case PaymentAbandoned:
		return "The bank never received the payment, and its authorisation has expired. Nothing was paid."
	case PaymentCancelled:
		if p.BankPaymentID != "" {
			// It reached the bank (a PSD2 payment awaiting approval, then cancelled there).
			return "The payment was cancelled at the bank before it was executed. Nothing was paid."
		}
		return "You cancelled the payment before it was sent. Nothing was paid."
	}
	return "The payment failed."
}

func codeIn(code string) string {
	if code == "" {
		return ""
	}
	return " (" + safetext.Short(code, 64) + ")" // checked at decode; a ledger may predate the check
}
