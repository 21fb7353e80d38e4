package uitest

import (
	"testing"
	"time"
)

func TestTOTPHelpers(t *testing.T) {
	view := "Add payterm…\n\nKey      GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ\nAccount  test\n"
	key := TOTPKeyFromView(view)
	if key != "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" {
		t.Fatalf("key = %q", key)
	}
	// RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (the last six digits for a 6-digit code).
	if got := TOTPCode(t, key, time.Unix(59, 0)); got != "287082" {
		t.Fatalf("code = %s", got)
	}
	if TOTPKeyFromView("no key here") != "" {
		t.Fatal("found a key in a view without one")
	}
}

func TestClock(t *testing.T) {
	c := NewClock(time.Unix(100, 0))
	c.Advance(5 * time.Minute)
	if got := c.Now(); !got.Equal(time.Unix(400, 0)) {
		t.Fatalf("now = %v", got)
	}
}
