package rules

import (
	"encoding/base64"
	"testing"
)

// TestProtectedHeaderWithALineBreakIsRefused: Go's base64 decoders skip CR and LF even in
// Strict mode, so a header segment with a line break inside would decode as if it had none. A
// bank reads the segment as sent: it is not base64url, and the strict bank refuses it.
func TestProtectedHeaderWithALineBreakIsRefused(t *testing.T) {
	seg := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"PS256","kid":"k1"}`))
	if _, err := decodeProtectedHeader(seg + ".e30.sig"); err != nil {
		t.Fatalf("the clean header: %v", err)
	}
	for _, brk := range []string{"\r", "\n", "\r\n"} {
		bad := seg[:5] + brk + seg[5:] + ".e30.sig"
		if _, err := decodeProtectedHeader(bad); err == nil {
			t.Errorf("a header with %q inside was decoded", brk)
		}
		if _, _, err := verifyJWS(bad, nil, 27); err == nil {
			t.Errorf("verifyJWS took a header with %q inside", brk)
		}
	}
}
