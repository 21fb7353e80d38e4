// Package iban holds the IBAN rules the client side shares: the mod-97 check digit test
// (consent's parser, sca's intent validation, the UI's as-you-type feedback), Parse with the
// ISO 13616 registry's country lengths, and the Norwegian domestic account number (BBAN) check
// SpareBank 1's domestic products need. The sandbox keeps its own on purpose: it is the
// independent other side of the wire.
package iban

// ChecksumOK is the ISO 13616 / ISO 7064 MOD 97-10 test: the first four characters moved to the
// end, letters read as 10..35, the remainder must be 1. s must already be upper-case letters and
// digits; anything else (or fewer than five characters) fails. It is computed digit by digit, so
// no big integers are needed.
func ChecksumOK(s string) bool {
	if len(s) < 5 {
		return false
	}
	rearranged := s[4:] + s[:4]
	rem := 0
	for i := 0; i < len(rearranged); i++ {
		switch c := rearranged[i]; {
		case c >= '0' && c <= '9':
			rem = (rem*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			rem = (rem*100 + int(c-'A') + 10) % 97
		default:
			return false
		}
	}
	return rem == 1
}
