package wallet

import (
	"strings"
	"testing"
)

func TestRejectReasonText(t *testing.T) {
	cases := []struct{ code, msg, want string }{
		{"AANI.AM04", "Insufficient funds", "insufficient funds in your account"},
		{"aani.am04", "", "insufficient funds in your account"},
		{"LFI.AC04", "whatever", "the payee's account is closed"},
		{"LFI.CreditorMismatch", "Creditor does not match the consent", "Creditor does not match the consent"},
		{"", "line one\nline\ttwo\x1b[31m", "line one line two\uFFFD[31m"},
		{"LFI.X1", "", ""},
	}
	for _, c := range cases {
		if got := RejectReasonText(c.code, c.msg); got != c.want {
			t.Errorf("RejectReasonText(%q, %q) = %q, want %q", c.code, c.msg, got, c.want)
		}
	}
	long := strings.Repeat("x", 1000)
	if got := RejectReasonText("", long); len(got) > maxBankMessage+len("…") {
		t.Errorf("a long bank message is not cut: %d bytes", len(got))
	}
}

func TestFailureTextSaysWhyAndWhetherMoneyMoved(t *testing.T) {
	got := FailureText(Payment{Status: PaymentRejected, RejectCode: "AANI.AM04", RejectMessage: "Insufficient funds"})
	want := "The bank rejected the payment (AANI.AM04): insufficient funds in your account. No money left your account."
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if got := FailureText(Payment{Status: PaymentRefused, RejectCode: "Consent.Invalid"}); got != "The bank refused the payment request (Consent.Invalid). Nothing was paid." {
		t.Errorf("refused: %q", got)
	}
	// Cancelled while queued (never sent), or at the bank after it had the payment (CANC):
	// the second is not "before it was sent".
	if got := FailureText(Payment{Status: PaymentCancelled}); got != "You cancelled the payment before it was sent. Nothing was paid." {
		t.Errorf("cancelled while queued: %q", got)
	}
	if got := FailureText(Payment{Status: PaymentCancelled, BankPaymentID: "bank-1"}); got != "The payment was cancelled at the bank before it was executed. Nothing was paid." {
		t.Errorf("cancelled at the bank: %q", got)
	}
}

// TestFailureErrorHoldsNoBankText: the bank's free text (which can name the payee) is screen
// text only; the error value keeps the fixed wording of known codes and drops the rest.
func TestFailureErrorHoldsNoBankText(t *testing.T) {
	const said = "Creditor Fatima Example does not match"
	p := Payment{Status: PaymentRejected, RejectCode: "LFI.CreditorMismatch", RejectMessage: said}
	if !strings.Contains(FailureText(p), said) {
		t.Fatalf("the receipt should explain with the bank's words: %q", FailureText(p))
	}
	if err := failureProblem(p); strings.Contains(err.Error(), "Fatima") {
		t.Fatalf("the error carries the bank's free text: %q", err)
	}
	known := failureProblem(Payment{Status: PaymentRejected, RejectCode: "AANI.AM04", RejectMessage: "Insufficient funds for Fatima"})
	if !strings.Contains(known.Error(), "insufficient funds in your account") || strings.Contains(known.Error(), "Fatima") {
		t.Fatalf("a known code keeps its wording and nothing else: %q", known)
	}
}
