package iban

import "testing"

func TestChecksumOK(t *testing.T) {
	for s, want := range map[string]bool{
		"AE070331234567890123456":      true,  // uae-spec §5.3: passes mod-97
		"AE140260123456789012345":      false, // uae-spec §5.3: from creditor.md, fails mod-97
		"AE070331234567890123457":      false, // one digit changed
		"GB82WEST12345698765432":       true,  // the ISO 13616 example
		"ae070331234567890123456":      false, // lower case is not canonical
		"AE07 0331 2345 6789 0123 456": false,
		"AE07":                         false,
		"":                             false,
	} {
		if got := ChecksumOK(s); got != want {
			t.Errorf("ChecksumOK(%q) = %v, want %v", s, got, want)
		}
	}
}

func FuzzChecksumOK(f *testing.F) {
	f.Add("AE070331234567890123456")
	f.Fuzz(func(t *testing.T, s string) {
		if !ChecksumOK(s) {
			return
		}
		// Any accepted string is upper-case alphanumeric, and changing one digit breaks it.
		for i := 0; i < len(s); i++ {
			c := s[i]
			if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
				t.Fatalf("accepted %q with %q at %d", s, c, i)
			}
		}
		for i := 0; i < len(s); i++ {
			if c := s[i]; c >= '0' && c <= '9' {
				b := []byte(s)
				b[i] = '0' + (c-'0'+1)%10
				if ChecksumOK(string(b)) {
					t.Fatalf("%q and %q both pass: one changed digit must fail mod-97", s, b)
				}
				break
			}
		}
	})
}
