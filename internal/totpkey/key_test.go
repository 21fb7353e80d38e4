package totpkey

import (
	"encoding/base32"
	"strings"
	"testing"
)

const enrolment = "payterm · Set up · step 3 of 6\n\nKey      YGYW QFAQ SFUO 7RCI FYFJ C45T 2565 LYY5\nAccount  wallet (payterm)\n"

func TestFromScreen(t *testing.T) {
	key, err := FromScreen(enrolment)
	if err != nil || key != "YGYWQFAQSFUO7RCIFYFJC45T2565LYY5" {
		t.Fatalf("FromScreen = %q, %v", key, err)
	}
	if !KeyLine.MatchString(enrolment) {
		t.Fatal("KeyLine does not match the enrolment screen")
	}
	for _, bad := range []string{
		"", "Key", "Key      ABCD", "Key      abcd efgh ijkl mnop",
		"Key      ABCD EFGH IJKL MNOP Q",   // 17 characters: not whole bytes of base32
		"Key      ABCD EFGH IJKL MN0P",     // 0 is not a base32 digit
		"Keys     ABCD EFGH IJKL MNOP",     // another label
		"Key\n      ABCD EFGH IJKL MNOP",   // the key on another line
		"Key      ABCD EFGH IJKL MNOP (x)", // more than the key on its line
	} {
		if k, err := FromScreen(bad); err == nil {
			t.Errorf("FromScreen(%q) = %q, want an error", bad, k)
		}
	}
}

// TestFromScreenErrorsKeepTheKeyOut: a rejected key is described by its length, never shown.
func TestFromScreenErrorsKeepTheKeyOut(t *testing.T) {
	for _, screen := range []string{"Key  ABCDEFGHIJKLMNOPQ", "Key  ABCD"} {
		_, err := FromScreen(screen)
		if err == nil || strings.Contains(err.Error(), "ABCD") {
			t.Errorf("FromScreen(%q) error = %v", screen, err)
		}
	}
}

// FuzzFromScreen: any screen is read without a panic, and a key it finds is valid base32 of at
// least 16 characters that stood on the screen.
func FuzzFromScreen(f *testing.F) {
	f.Add(enrolment)
	f.Add("Key ABCDEFGHIJKLMNOP\nKey QRSTUVWXYZ234567")
	f.Add("  Key\t" + strings.Repeat("A ", 40))
	f.Add("Key \xff\xfe ABCD")
	f.Add("Key      ABCD EFGH IJKL MNOP Q")
	f.Fuzz(func(t *testing.T, screen string) {
		key, err := FromScreen(screen)
		if err != nil {
			if key != "" {
				t.Fatalf("an error and a key %q", key)
			}
			return
		}
		if len(key) < minKeyLen {
			t.Fatalf("key of %d characters", len(key))
		}
		// Padded as an authenticator library pads it, it decodes.
		if _, err := base32.StdEncoding.DecodeString(key + strings.Repeat("=", (8-len(key)%8)%8)); err != nil {
			t.Fatalf("key %q is not base32: %v", key, err)
		}
		if strings.ContainsAny(key, " \t\n") || !strings.Contains(strings.ReplaceAll(screen, " ", ""), key) {
			t.Fatalf("key %q was not on the screen as shown", key)
		}
	})
}
