package consent

import (
	"errors"
	"strings"
	"testing"
)

// TestNamesRefuseBidiControls (issue 11): a creditor name or reference with a bidi embedding,
// override or isolate is refused (it would read differently on the bank's page, the receipt and
// the export from what is signed); the bidi marks that Arabic text uses stay allowed.
func TestNamesRefuseBidiControls(t *testing.T) {
	for _, n := range []Name{{EN: "Noor \u202e00.125"}, {AR: "نور\u202b"}, {EN: "a\u2066b\u2069"}, {EN: "x\u202a"}} {
		_, err := BuildCreditor(CreditorInput{IBAN: validIBAN, AccountName: n, AccountType: CreditorIndividual})
		var fe *FieldError
		if !errors.As(err, &fe) || !strings.Contains(fe.Reason, "right-to-left override") {
			t.Errorf("name with a bidi control: err = %v", err)
		}
	}
	if _, err := BuildCreditor(CreditorInput{IBAN: validIBAN, AccountName: Name{EN: "Bank\u200f of the Test", AR: "نور\u061c"}, AccountType: CreditorIndividual}); err != nil {
		t.Errorf("bidi marks refused: %v", err)
	}
	if err := validateText("consent.DebtorReference", "Inv \u2067x", maxReferenceLen, true); err == nil {
		t.Error("a reference with an isolate was accepted")
	}
}
