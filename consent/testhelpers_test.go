package consent

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// testRisk is a consent-time Risk block that conforms to AERisk.
var testRisk = json.RawMessage(`{"TransactionIndicators":{"IsCustomerPresent":true,"Channel":"Mobile"}}`)

var testNow = time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)

const testConsentID = "b8f42378-10ac-46a1-8d20-4e020484216d"

func testCreditor(t testing.TB, i int) CreditorInput {
	t.Helper()
	acct := strings.Repeat("0", 15) + string(rune('0'+i%10))
	return CreditorInput{IBAN: testIBAN(t, "033", acct), AccountName: Name{EN: "Payee " + string(rune('A'+i))}}
}

func testParams() ConsentParams {
	return ConsentParams{
		ConsentID:             testConsentID,
		ExpirationDateTime:    testNow.AddDate(0, 6, 0),
		IsSingleAuthorization: true,
		PaymentPurposeCode:    "MWP",
		DebtorReference:       "Wallet",
		CreditorReference:     "Wallet",
	}
}

// wantFieldErr asserts err is a FieldError for field and that its text leaks none of secrets.
func wantFieldErr(t *testing.T, err error, field string, secrets ...string) {
	t.Helper()
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("error = %v, want a FieldError for %s", err, field)
	}
	if fe.Field != field {
		t.Fatalf("error names field %q (%v), want %q", fe.Field, err, field)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("error %v does not match ErrInvalid", err)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Fatalf("error %q leaks %q", err, s)
		}
	}
}
