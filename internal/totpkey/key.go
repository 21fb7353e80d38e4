// Package totpkey is the authenticator app of the demo and the end-to-end journeys: it reads
// the TOTP key payterm's enrolment step shows and hands out codes for steps the wallet has not
// accepted yet. (ui/uitest keeps its own reader for the in-process UI tests.)
package totpkey

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// KeyLine matches the enrolment step's key line ("Key  ABCD EFGH ..."): wait for it, then read
// the key with FromScreen.
var KeyLine = regexp.MustCompile(`(?m)^[ \t]*Key[ \t]+([A-Z2-7 ]+)$`)

// minKeyLen is the shortest key accepted: 16 base32 characters are 80 bits, RFC 4226's minimum
// is 128; payterm shows 32 (160 bits). A shorter match is a half-drawn or foreign screen.
const minKeyLen = 16

// FromScreen reads the base32 key the enrolment step shows, spaces removed. The error never
// carries the key or the screen (either may hold the secret).
func FromScreen(screen string) (string, error) {
	m := KeyLine.FindStringSubmatch(screen)
	if m == nil {
		return "", errors.New("no TOTP key on the enrolment screen")
	}
	key := strings.ReplaceAll(m[1], " ", "")
	if err := checkKey(key); err != nil {
		return "", fmt.Errorf("on the enrolment screen: %w", err)
	}
	return key, nil
}

// checkKey accepts unpadded upper-case base32 of at least minKeyLen characters that is whole
// bytes: a length of 1, 3 or 6 mod 8 leaves bits over, which the padded decoding authenticator
// libraries use (pquerna/otp among them) refuses, though encoding/base32 without padding lets
// it pass.
func checkKey(key string) error {
	if len(key) < minKeyLen {
		return fmt.Errorf("the TOTP key is too short (%d characters, want at least %d)", len(key), minKeyLen)
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; (c < 'A' || c > 'Z') && (c < '2' || c > '7') {
			return fmt.Errorf("the TOTP key is not base32 (a character at offset %d)", i)
		}
	}
	switch len(key) % 8 {
	case 1, 3, 6:
		return fmt.Errorf("the TOTP key is not valid base32 (%d characters)", len(key))
	}
	return nil
}
