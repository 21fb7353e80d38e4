package acct

import (
	"math/big"
	"testing"
)

func FuzzCheckIBAN(f *testing.F) {
	for _, s := range []string{"DE89370400440532013000", "NO9386011117947", "GE00BG0000000000000000", "AE070331234567890123456", "X"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if CheckIBAN(s) != nil {
			return
		}
		if len(s) != IBANLength(s[:2]) {
			t.Fatalf("accepted a length the registry does not give %s", s[:2])
		}
		// Mod-97 again with math/big over the ISO 7064 digit string.
		digits := ""
		for _, c := range s[4:] + s[:4] {
			if c >= 'A' && c <= 'Z' {
				digits += big.NewInt(int64(c-'A') + 10).String()
			} else {
				digits += string(c)
			}
		}
		n, ok := new(big.Int).SetString(digits, 10)
		if !ok || new(big.Int).Mod(n, big.NewInt(97)).Int64() != 1 {
			t.Fatal("accepted an IBAN whose mod-97 is not 1")
		}
	})
}
