package xs2a

import (
	"errors"
	"testing"
)

// FuzzInitiationBody runs the bank's body rules (20–23) on arbitrary bytes: no panic, and an
// accepted body has a positive amount, two valid accounts and a creditor name.
func FuzzInitiationBody(f *testing.F) {
	f.Add(bodyBG)
	f.Add(bodySB1)
	f.Add([]byte(`{"instructedAmount":{"currency":"EUR","amount":"1"},"debtorAccount":{"iban":"DE"}}`))
	prof := ProfileBG()
	sct, _ := prof.product("sepa-credit-transfers")
	sb1 := ProfileSB1()
	nok, _ := sb1.product("norwegian-domestic-credit-transfers")
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, prod := range []Product{sct, nok} {
			var in initiationJSON
			if decodeStrict(raw, &in) != nil || in.InstructedAmount == nil || in.DebtorAccount == nil || in.CreditorAccount == nil || in.CreditorName == nil {
				continue
			}
			minor, err := parseAmount(in.InstructedAmount, prod)
			if err != nil {
				var be *bankError
				if !errors.As(err, &be) || be.code != "FORMAT_ERROR" {
					t.Fatalf("amount error is not a FORMAT_ERROR: %v", err)
				}
				continue
			}
			if minor <= 0 {
				t.Fatalf("accepted a non-positive amount %d", minor)
			}
			d, err1 := checkAccount(in.DebtorAccount, prod, "debtorAccount")
			c, err2 := checkAccount(in.CreditorAccount, prod, "creditorAccount")
			if err1 == nil && err2 == nil && (d == "" || c == "") {
				t.Fatal("accepted an empty account")
			}
			_ = checkText(in.CreditorName, "creditorName", 1, 70)
		}
	})
}
