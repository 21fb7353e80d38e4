package e2e

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

var totpCode = regexp.MustCompile(`^[0-9]{6}$`)

// oathTOTP computes the RFC 6238 code for a base32 secret at time at with oathtool, an
// implementation nobody on this project wrote (SHA-1, 30 s, 6 digits: the wallet's parameters).
// Spaces in the secret (as a screen groups it) are ignored.
func oathTOTP(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	bin := needTool(t, "oathtool", "apt-get install oathtool")
	secret = strings.ToUpper(strings.Join(strings.Fields(secret), ""))
	// The secret is passed on the command line: acceptable for a throwaway test seed only.
	out, err := exec.Command(bin, "--totp", "-b", "--now", at.UTC().Format("2006-01-02 15:04:05 UTC"), secret).CombinedOutput()
	if err != nil {
		t.Fatalf("oathtool: %v (%s)", err, strings.TrimSpace(string(out)))
	}
	code := strings.TrimSpace(string(out))
	if !totpCode.MatchString(code) {
		t.Fatalf("oathtool printed %q, not a 6-digit code", code)
	}
	return code
}

// freshTOTP waits, when needed, until a new 30-second step begins after the step of last, so
// that a wallet refusing a replayed code gets one it has not seen, and returns it with its time.
func freshTOTP(t testing.TB, secret string, last time.Time) (string, time.Time) {
	t.Helper()
	now := time.Now()
	if !last.IsZero() && now.Unix()/30 <= last.Unix()/30 {
		next := time.Unix((last.Unix()/30+1)*30, 0)
		time.Sleep(time.Until(next) + 200*time.Millisecond)
		now = time.Now()
	}
	// Leave at least 3 s of the step so the code does not expire between typing and checking.
	if 30-now.Unix()%30 < 3 {
		time.Sleep(time.Duration(30-now.Unix()%30)*time.Second + 200*time.Millisecond)
		now = time.Now()
	}
	return oathTOTP(t, secret, now), now
}
