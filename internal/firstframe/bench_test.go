package firstframe

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/payterm/payterm/internal/fixtures"
)

// BenchmarkFirstFrame starts the real payterm binary (built from this tree) in a pseudo-terminal
// on three wallets made the way a user makes one (internal/fixtures: production KDF, the
// encrypted-file secret store, the embedded bank), each started once before the timer as a
// restart of an existing wallet is:
//
//   - empty: onboarded, no payment (the baseline);
//   - ledger: PAYTERM_BENCH_PAYMENTS payments in the ledger (default 100,000, each with a real
//     signed request's bytes);
//   - full: as many in the ledger and as many more in the embedded bank's state.
//
// Each iteration starts the three in turn until Home shows its recent payments, then ends the
// program (SIGTERM). It reports the median time to Home's first frame and to Home with its data
// (ms-first-*, ms-home-*), and the medians of the per-iteration ratios against the empty wallet
// of the same iteration (x-empty-*): load from other processes weighs on the runs of one
// iteration alike. The goal is Home within 150 ms at 100,000 payments.
//
// The fixtures are built once per machine into testdata/cache/ (a few minutes for 100,000
// payments; see testdata/README.md).
//
//	go test -run '^$' -bench FirstFrame -benchtime=15x -timeout 30m ./internal/firstframe/
func BenchmarkFirstFrame(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("PAYTERM_BENCH_PAYMENTS")); err == nil && v > 0 {
		n = v
	}
	bin := buildPayterm(b)
	wallets := []struct {
		name string
		spec fixtures.Spec
	}{{"empty", fixtures.Spec{}}, {"ledger", fixtures.Spec{Payments: n}}, {"full", fixtures.Spec{Payments: n, BankPayments: n}}}
	argv := make([][]string, len(wallets))
	home := b.TempDir()
	env := []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "TERM=xterm-256color",
		"LANG=C.UTF-8", "PATH=" + os.Getenv("PATH")}
	for i, w := range wallets {
		argv[i] = walletCopy(b, bin, w.name, w.spec)
		if _, err := Run(context.Background(), argv[i], env, HomeMarks, 2*time.Minute); err != nil { // the restart's warm-up
			b.Fatalf("%s: %v", w.name, err)
		}
	}
	first := make([][]float64, len(wallets))
	loaded := make([][]float64, len(wallets))
	b.ResetTimer()
	for range b.N {
		for i, w := range wallets {
			r, err := Run(context.Background(), argv[i], env, HomeMarks, 2*time.Minute)
			if err != nil {
				b.Fatalf("%s: %v", w.name, err)
			}
			first[i] = append(first[i], float64(r.First.Microseconds())/1000)
			loaded[i] = append(loaded[i], float64(r.Loaded.Microseconds())/1000)
		}
	}
	b.StopTimer()
	for i, w := range wallets {
		b.ReportMetric(median(first[i]), "ms-first-"+w.name)
		b.ReportMetric(median(loaded[i]), "ms-home-"+w.name)
		if i > 0 {
			ratios := make([]float64, len(loaded[i]))
			for j := range ratios {
				ratios[j] = loaded[i][j] / loaded[0][j]
			}
			b.ReportMetric(median(ratios), "x-empty-"+w.name)
		}
	}
	b.ReportMetric(float64(n), "payments")
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

var (
	buildOnce sync.Once
	built     string
	buildErr  error
)

// buildPayterm builds the binary from this tree once per test process.
func buildPayterm(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		root, err := fixtures.ModuleRoot()
		if err != nil {
			buildErr = err
			return
		}
		dir, err := os.MkdirTemp("", "payterm-firstframe-")
		if err != nil {
			buildErr = err
			return
		}
		built = filepath.Join(dir, "payterm")
		cmd := exec.Command("go", "build", "-o", built, ".")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return built
}

// walletCopy copies the fixture of spec into a temporary directory, writes its config and
// returns the command line that runs payterm on it.
func walletCopy(tb testing.TB, bin, name string, spec fixtures.Spec) []string {
	tb.Helper()
	f, err := fixtures.Cached(context.Background(), spec)
	if err != nil {
		tb.Fatalf("fixture %s: %v", name, err)
	}
	dir := filepath.Join(tb.TempDir(), name)
	data := filepath.Join(dir, "data")
	if err := fixtures.CopyDir(fixtures.DataDir(f), data); err != nil {
		tb.Fatal(err)
	}
	conf := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(conf, []byte(fixtures.ConfigTOML(data)), 0o600); err != nil {
		tb.Fatal(err)
	}
	return []string{bin, "--config", conf}
}
