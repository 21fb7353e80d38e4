package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func runCLI(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(ctx, args, nil, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsageErrorsExitTwoWithTheNextStep(t *testing.T) {
	dir := t.TempDir()
	cases := map[string][]string{
		"unknown command":  {"pay-everyone"},
		"unknown flag":     {"--colour"},
		"stray argument":   {"version", "extra"},
		"status w/o json":  {"status", "--data-dir", dir},
		"bad history fmt":  {"history", "--format", "xml", "--data-dir", dir},
		"flag missing arg": {"--config"},
	}
	for name, args := range cases {
		code, _, stderr := runCLI(t, context.Background(), args...)
		if code != 2 || !strings.Contains(stderr, "payterm help") {
			t.Errorf("%s: want exit 2 pointing at 'payterm help', got %d %q", name, code, stderr)
		}
	}
}

func TestVersionAndHelp(t *testing.T) {
	code, out, _ := runCLI(t, context.Background(), "version")
	if code != 0 || !strings.HasPrefix(out, "payterm ") {
		t.Fatalf("version: %d %q", code, out)
	}
	code, _, stderr := runCLI(t, context.Background(), "help")
	if code != 0 || !strings.Contains(stderr, "payterm sandbox") || !strings.Contains(stderr, "-data-dir") {
		t.Fatalf("help: %d %q", code, stderr)
	}
}

func TestBadConfigNamesTheFile(t *testing.T) {
	code, _, stderr := runCLI(t, context.Background(), "status", "--json", "--config", "/nonexistent/payterm.toml")
	if code != 1 || !strings.Contains(stderr, "/nonexistent/payterm.toml") {
		t.Fatalf("want exit 1 naming the config file, got %d %q", code, stderr)
	}
}

func TestHistoryWithoutDataSaysRunFirst(t *testing.T) {
	dir := t.TempDir() + "/never-used"
	code, _, stderr := runCLI(t, context.Background(), "history", "--data-dir", dir)
	if code != 1 || !strings.Contains(stderr, "run payterm once first") {
		t.Fatalf("want a hint to run payterm first, got %d %q", code, stderr)
	}
}

func TestSandboxCommandServesUntilCancelled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a bank (RSA key generation)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"sandbox", "--data-dir", t.TempDir()}, nil, &out, &errOut) }()
	for !strings.Contains(out.String(), "discovery:") {
		select {
		case code := <-done:
			t.Fatalf("sandbox exited early with %d: %s", code, errOut.String())
		case <-ctx.Done():
			t.Fatalf("no banner before the deadline: %q %q", out.String(), errOut.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	if !strings.Contains(out.String(), "/.well-known/openid-configuration") {
		t.Fatalf("banner lacks the discovery URL: %q", out.String())
	}
	cancel()
	if code := <-done; code != 0 && code != 130 {
		t.Fatalf("sandbox exit code %d: %s", code, errOut.String())
	}
}

// TestSandboxCommandServesABerlinGroupBank: `payterm sandbox --standard berlin-group` runs the
// strict XS2A bank with the profile asked for and prints where it listens (the API, the
// registration endpoint, the CA file other clients trust); flags of the other standard, an
// unknown standard or profile are refused before anything starts.
func TestSandboxCommandServesABerlinGroupBank(t *testing.T) {
	for _, args := range [][]string{{"--standard", "iso"}, {"--profile", "sb1"}, {"--standard", "berlin-group", "--profile", "op"},
		{"--standard", "berlin-group", "--issuer-addr", "127.0.0.1:0"}} {
		dir := filepath.Join(t.TempDir(), "data")
		code, _, stderr := runCLI(t, context.Background(), append([]string{"sandbox", "--data-dir", dir}, args...)...)
		if code != 2 || !strings.Contains(stderr, "--") {
			t.Errorf("%v: want a usage error naming the flag, got %d %q", args, code, stderr)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%v: a refused command made the data dir", args)
		}
	}
	if testing.Short() {
		t.Skip("starts a bank (RSA key generation)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errOut syncBuffer
	dir := t.TempDir()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"sandbox", "--data-dir", dir, "--standard", "berlin-group", "--profile", "sb1"}, nil, &out, &errOut)
	}()
	for !strings.Contains(out.String(), "admin API:") {
		select {
		case code := <-done:
			t.Fatalf("sandbox exited early with %d: %s", code, errOut.String())
		case <-ctx.Done():
			t.Fatalf("no banner before the deadline: %q %q", out.String(), errOut.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	banner := out.String()
	for _, want := range []string{"Berlin Group NextGenPSD2", "profile sb1", "/tpp/register", filepath.Join(dir, "sandbox-standalone-sb1")} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	cancel()
	if code := <-done; code != 0 && code != 130 {
		t.Fatalf("sandbox exit code %d: %s", code, errOut.String())
	}
}

// TestSandboxCommandServesAFintectureHub: `payterm sandbox --standard fintecture` runs the
// strict Fintecture hub and prints where it listens and where the application's credentials
// are; flags of the other standards are refused before anything starts.
func TestSandboxCommandServesAFintectureHub(t *testing.T) {
	for _, args := range [][]string{{"--standard", "fintecture", "--profile", "bg"}, {"--standard", "fintecture", "--issuer-addr", "127.0.0.1:0"}} {
		dir := filepath.Join(t.TempDir(), "data")
		code, _, stderr := runCLI(t, context.Background(), append([]string{"sandbox", "--data-dir", dir}, args...)...)
		if code != 2 || !strings.Contains(stderr, "--") {
			t.Errorf("%v: want a usage error naming the flag, got %d %q", args, code, stderr)
		}
	}
	if testing.Short() {
		t.Skip("starts a hub (RSA key generation)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errOut syncBuffer
	dir := t.TempDir()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"sandbox", "--data-dir", dir, "--standard", "fintecture"}, nil, &out, &errOut)
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
	for _, want := range []string{"Fintecture sandbox hub", filepath.Join(dir, "sandbox-standalone-fintecture", "app.json")} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	cancel()
	if code := <-done; code != 0 && code != 130 {
		t.Fatalf("sandbox exit code %d: %s", code, errOut.String())
	}
}

// notTerminals are the stdins a script or a service gives: none, a pipe carrying typed, and
// /dev/null (closed when t ends).
func notTerminals(t *testing.T, typed string) map[string]io.Reader {
	t.Helper()
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { devNull.Close() })
	return map[string]io.Reader{"no stdin": nil, "pipe": strings.NewReader(typed), "/dev/null": devNull}
}

// TestResetWithoutTerminalOrYesRefuses: CI runs with no stdin (or /dev/null, which is a
// character device but not a terminal); without --yes, payterm reset refuses before it opens
// or creates anything and says how to confirm.
func TestResetWithoutTerminalOrYesRefuses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	for name, stdin := range notTerminals(t, "reset\n") {
		var out, errOut bytes.Buffer
		code := run(context.Background(), []string{"reset", "--data-dir", dir}, stdin, &out, &errOut)
		if code != 2 || !strings.Contains(errOut.String(), "not a terminal") || !strings.Contains(errOut.String(), "--yes") {
			t.Errorf("%s: want exit 2 naming --yes, got %d %q", name, code, errOut.String())
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s: the refused reset created the data dir: %v", name, err)
		}
	}
	code, out, stderr := runCLI(t, context.Background(), "reset", "--yes", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "Nothing to reset") {
		t.Fatalf("reset --yes on a wallet never run: %d %q %q", code, out, stderr)
	}
	if code, _, stderr := runCLI(t, context.Background(), "help"); code != 0 || !strings.Contains(stderr, "payterm reset [--yes]") {
		t.Fatalf("usage does not document reset: %q", stderr)
	}
}

// TestWalletWithoutTerminalSaysWhatToRun: with no terminal to read keys from (stdin is not one
// and there is no controlling terminal, as under a CI runner or a service manager) the wallet is
// refused at once with what to run instead, exit 2, and nothing is opened or created.
func TestWalletWithoutTerminalSaysWhatToRun(t *testing.T) {
	had := controllingTerminal
	controllingTerminal = func() bool { return false }
	defer func() { controllingTerminal = had }()
	dir := filepath.Join(t.TempDir(), "data")
	for name, stdin := range notTerminals(t, "p\n") {
		var out, errOut bytes.Buffer
		code := run(context.Background(), []string{"--data-dir", dir}, stdin, &out, &errOut)
		if code != 2 || !strings.Contains(errOut.String(), "need a terminal") || !strings.Contains(errOut.String(), "payterm history") {
			t.Errorf("%s: want exit 2 saying a terminal is needed and what scripts run, got %d %q", name, code, errOut.String())
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s: the refused start created the data dir: %v", name, err)
		}
	}
}

// TestHistoryFilterFlagsAreChecked: a bad filter value is a usage error (exit 2) that names the
// flag and what to type, before anything is opened.
func TestHistoryFilterFlagsAreChecked(t *testing.T) {
	dir := t.TempDir() + "/never-used"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--status", "settled"}, "use successful, pending or failed"},
		{[]string{"--from", "yesterday"}, `--from "yesterday" is not a date`},
		{[]string{"--from", "2026-03-02", "--to", "2026-03-01"}, "is not before --to"},
		{[]string{"--consent", "a b"}, "is not a consent id"},
	} {
		code, _, stderr := runCLI(t, context.Background(), append([]string{"history", "--data-dir", dir}, tc.args...)...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: want exit 2 saying %q, got %d %q", tc.args, tc.want, code, stderr)
		}
	}
	// Good flags reach the ledger (here: none yet).
	code, _, stderr := runCLI(t, context.Background(), "history", "--data-dir", dir, "--status", "failed", "--from", "2026-03-01")
	if code != 1 || !strings.Contains(stderr, "run payterm once first") {
		t.Fatalf("good flags: %d %q", code, stderr)
	}
}

// TestNoColorFlagReachesTheConfig: --no-color (before or after the subcommand's other flags)
// sets the configuration's no_color, which the UI honours (app.uiOptions, ui.Run).
func TestNoColorFlagReachesTheConfig(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "payterm.toml")
	if err := os.WriteFile(conf, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"--config", conf}, false},
		{[]string{"--no-color", "--config", conf}, true},
		{[]string{"--config", conf, "--no-color"}, true},
	} {
		var g globalFlags
		fs := flag.NewFlagSet("payterm", flag.ContinueOnError)
		g.register(fs)
		if err := parse(fs, tc.args); err != nil {
			t.Fatal(err)
		}
		cfg, err := loadConfig(g)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.UI.NoColor != tc.want {
			t.Errorf("%v: no_color = %v, want %v", tc.args, cfg.UI.NoColor, tc.want)
		}
	}
}
