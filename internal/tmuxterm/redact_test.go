package tmuxterm

import (
	"strings"
	"testing"
	"time"
)

// TestWaitErrorRedactsEnrolment: a failed wait's message never carries the authenticator key
// or its QR code, while the rest of the screen stays readable.
func TestWaitErrorRedactsEnrolment(t *testing.T) {
	const key = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	screen := strings.Join([]string{
		"Add payterm to your authenticator app",
		"  █▀▀▀▀▀█ ▄▀▄█ █▀▀▀▀▀█",
		"  █ ███ █ ▀▄ ▀ █ ███ █",
		"  Key  JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP",
		"Type the 6-digit code: ▌",
	}, "\n")
	for _, e := range []*WaitError{{Want: "x", Timeout: time.Second, Screen: screen}, {Want: "x", Exited: true, Screen: screen}} {
		msg := e.Error()
		if strings.Contains(strings.ReplaceAll(msg, " ", ""), key) || strings.Contains(msg, "█ ███ █") {
			t.Fatalf("the error carries the key or its QR code:\n%s", msg)
		}
		for _, keep := range []string{"Add payterm to your authenticator app", "Type the 6-digit code", "Key  ‹redacted›", "‹QR code redacted›"} {
			if !strings.Contains(msg, keep) {
				t.Errorf("the error lost %q:\n%s", keep, msg)
			}
		}
	}
	if isQRLine("██ done") || isQRLine("Per day [████████░░░░] 10 left") {
		t.Error("ordinary lines with a few blocks (a progress bar) are taken for a QR code")
	}
}
