package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSandboxCommandOPPayerAccounts: `payterm sandbox --standard op --payer-accounts …` gives the
// standalone bank the payer's own accounts (the banner counts them per payer, without the
// IBANs); a value that is not a list of IBANs, a payer given accounts twice, or the flag with
// another standard is a usage error before anything starts.
func TestSandboxCommandOPPayerAccounts(t *testing.T) {
	for _, args := range [][]string{
		{"--standard", "op", "--payer-accounts", "FI21 1234 5600 0007 84"},
		{"--standard", "op", "--payer-accounts", "matti="},
		{"--standard", "op", "--payer-accounts", "FI2112345600000785", "--payer-accounts", "sandbox-user=FI9112345600000786"},
		{"--standard", "uae", "--payer-accounts", "FI2112345600000785"},
		{"--standard", "berlin-group", "--payer-accounts", "FI2112345600000785"},
	} {
		dir := filepath.Join(t.TempDir(), "data")
		code, _, stderr := runCLI(t, context.Background(), append([]string{"sandbox", "--data-dir", dir}, args...)...)
		if code != 2 || !strings.Contains(stderr, "--payer-accounts") {
			t.Errorf("%v: want a usage error naming --payer-accounts, got %d %q", args, code, stderr)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"sandbox", "--data-dir", t.TempDir(), "--standard", "op",
			"--payer-accounts", "FI21 1234 5600 0007 85,FI9112345600000786", "--payer-accounts", "matti=FI4950009420028730"}, nil, &out, &errOut)
	}()
	for !strings.Contains(out.String(), "payer accounts:") {
		select {
		case code := <-done:
			t.Fatalf("sandbox exited early with %d: %s", code, errOut.String())
		case <-ctx.Done():
			t.Fatalf("no banner before the deadline: %q %q", out.String(), errOut.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	banner := out.String()
	if !strings.Contains(banner, "matti holds 1 account; sandbox-user holds 2 accounts") || strings.Contains(banner, "FI21") {
		t.Errorf("banner:\n%s", banner)
	}
	cancel()
	if code := <-done; code != 0 && code != 130 {
		t.Fatalf("sandbox exit code %d: %s", code, errOut.String())
	}
}
