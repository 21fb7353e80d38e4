package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSandboxCommandServesAnOPBank: `payterm sandbox --standard op` runs the strict OP bank and
// prints where its API and authorize page listen and where the client's credentials are;
// flags of the other standards are refused before anything starts.
func TestSandboxCommandServesAnOPBank(t *testing.T) {
	for _, args := range [][]string{{"--standard", "op", "--profile", "bg"}, {"--standard", "op", "--as-addr", "127.0.0.1:0"}} {
		dir := filepath.Join(t.TempDir(), "data")
		code, _, stderr := runCLI(t, context.Background(), append([]string{"sandbox", "--data-dir", dir}, args...)...)
		if code != 2 || !strings.Contains(stderr, "--") {
			t.Errorf("%v: want a usage error naming the flag, got %d %q", args, code, stderr)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errOut syncBuffer
	dir := t.TempDir()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"sandbox", "--data-dir", dir, "--standard", "op"}, nil, &out, &errOut)
	}()
	for !strings.Contains(out.String(), "registered redirects:") {
		select {
		case code := <-done:
			t.Fatalf("sandbox exited early with %d: %s", code, errOut.String())
		case <-ctx.Done():
			t.Fatalf("no banner before the deadline: %q %q", out.String(), errOut.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	banner := out.String()
	for _, want := range []string{"OP sandbox bank", "/oauth/authorize", filepath.Join(dir, "sandbox-standalone-op", "client.json")} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	cancel()
	if code := <-done; code != 0 && code != 130 {
		t.Fatalf("sandbox exit code %d: %s", code, errOut.String())
	}
}
