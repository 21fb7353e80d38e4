package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// requireE2E reports whether missing tools must fail the run instead of skipping it.
func requireE2E() bool { return os.Getenv("PAYTERM_REQUIRE_E2E") == "1" }

// needTool returns the path of an external program, or skips (fails under
// PAYTERM_REQUIRE_E2E=1) when it is not installed.
func needTool(t testing.TB, name, installHint string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, fmt.Sprintf("%s not found on PATH (install: %s)", name, installHint))
	}
	return p
}

// missing skips the test with reason, or fails it when the tools are required.
func missing(t testing.TB, reason string) {
	t.Helper()
	if requireE2E() {
		t.Fatalf("PAYTERM_REQUIRE_E2E=1 but %s", reason)
	}
	t.Skip(reason)
}

// moduleRoot is the directory holding go.mod (the parent of e2e/).
func moduleRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the e2e package source")
	}
	return filepath.Dir(filepath.Dir(file))
}

var build struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// payterm builds the binary once per test run (go build from the module root; with -race when
// the tests run with -race) and returns its path. A build failure fails every journey: the product must build. PAYTERM_E2E_BIN names an
// already built binary instead (CI may build once for several runs).
func payterm(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("PAYTERM_E2E_BIN"); p != "" {
		return p
	}
	build.once.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "payterm-e2e-bin-")
		if build.err != nil {
			return
		}
		build.path = filepath.Join(build.dir, "payterm")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		args := []string{"build", "-o", build.path}
		if raceBuild {
			args = append(args, "-race")
		}
		cmd := exec.CommandContext(ctx, "go", append(args, ".")...)
		cmd.Dir = moduleRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build payterm: %w\n%s", err, out)
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.path
}

// TestMain removes the built binary after the run.
func TestMain(m *testing.M) {
	code := m.Run()
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
	os.Exit(code)
}

// privateDir makes a fresh 0700 directory for a test (data dirs, browser profiles).
func privateDir(t testing.TB, name string) string {
	t.Helper()
	d := filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(d, 0o700); err != nil {
		t.Fatal(err)
	}
	return d
}

// oneLine squashes whitespace, for comparing text that the terminal may wrap.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// checkRaceReports fails the test for every report a -race build of payterm wrote under prefix
// (GORACE=log_path=prefix writes prefix.<pid>).
func checkRaceReports(t testing.TB, prefix string) {
	reports, _ := filepath.Glob(prefix + ".*")
	for _, r := range reports {
		raw, _ := os.ReadFile(r)
		t.Errorf("payterm reported a data race (%s):\n%s", filepath.Base(r), raw)
	}
}

// patience stretches a wait for slow runs: ×3 when payterm is a -race build (several times
// slower, and CI runs every package's tests at once on two cores), or PAYTERM_E2E_TIMEOUT_SCALE.
// Only failing waits take longer.
func patience(d time.Duration) time.Duration {
	scale := 1
	if raceBuild {
		scale = 3
	}
	if v, err := strconv.Atoi(os.Getenv("PAYTERM_E2E_TIMEOUT_SCALE")); err == nil && v >= 1 && v <= 20 {
		scale = v
	}
	return d * time.Duration(scale)
}
