package e2e

import (
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/internal/totpkey"
)

var totpCode = regexp.MustCompile(`^[0-9]{6}$`)

// oathTOTP computes the RFC 6238 code for a base32 secret at time at with oathtool, an
// implementation nobody on this project wrote (SHA-1, 30 s, 6 digits: the wallet's parameters).
// Spaces in the secret (as a screen groups it) are ignored.
func oathTOTP(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	code, err := oathCode(needTool(t, "oathtool", "apt-get install oathtool"), secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func oathCode(bin, secret string, at time.Time) (string, error) {
	secret = strings.ToUpper(strings.Join(strings.Fields(secret), ""))
	// The secret is passed on the command line: acceptable for a throwaway test seed only.
	out, err := exec.Command(bin, "--totp", "-b", "--now", at.UTC().Format("2006-01-02 15:04:05 UTC"), secret).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("oathtool: %v (%s)", err, strings.TrimSpace(string(out)))
	}
	code := strings.TrimSpace(string(out))
	if !totpCode.MatchString(code) {
		return "", fmt.Errorf("oathtool printed %q, not a 6-digit code", code)
	}
	return code, nil
}

// oathCodes is the journeys' authenticator app: totpkey picks a step the wallet has not
// accepted yet (waiting for the clock when needed), and oathtool, not the Go library the wallet
// checks with, computes its code, so the two sides of a journey stay independent.
func oathCodes(t testing.TB, secret string) *totpkey.Source {
	t.Helper()
	bin := needTool(t, "oathtool", "apt-get install oathtool")
	src, err := totpkey.NewSource(secret, totpkey.Options{Code: func(key string, at time.Time) (string, error) {
		return oathCode(bin, key, at)
	}})
	if err != nil {
		t.Fatal(err)
	}
	return src
}
