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
// iteration alike. The goal is Home within 150 ms at 100,000 payments. MB-idle-* is the resident
// memory of each wallet's warm-up start, idleFor after Home showed (one sample each).
//
// PAYTERM_FIRSTFRAME_BASELINE_BIN names another build (an older payterm) to start beside this
// one, on copies of its own, in the same iterations: *-baseline are its figures and
// x-baseline-* the medians of the per-iteration ratios this build / that one.
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
	bins := []struct{ suffix, path string }{{"", buildPayterm(b)}}
	if base := os.Getenv("PAYTERM_FIRSTFRAME_BASELINE_BIN"); base != "" {
		bins = append(bins, struct{ suffix, path string }{"-baseline", base})
	}
	wallets := []struct {
		name string
		spec fixtures.Spec
	}{{"empty", fixtures.Spec{}}, {"ledger", fixtures.Spec{Payments: n}}, {"full", fixtures.Spec{Payments: n, BankPayments: n}}}
	home := b.TempDir()
	env := []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "TERM=xterm-256color",
		"LANG=C.UTF-8", "PATH=" + os.Getenv("PATH")}
	// runs[bin][wallet] is one binary on its own copy of one wallet.
	type runs struct {
		argv          []string
		idleKiB       int
		first, loaded []float64
	}
	all := make([][]runs, len(bins))
	start := func(r *runs, idle time.Duration) (Result, error) {
		return Run(context.Background(), Start{Argv: r.argv, Env: env, Marks: HomeMarks, Timeout: 2 * time.Minute, Idle: idle})
	}
	for bi, bin := range bins {
		all[bi] = make([]runs, len(wallets))
		for wi, w := range wallets {
			r := &all[bi][wi]
			r.argv = walletCopy(b, bin.path, w.name+bin.suffix, w.spec)
			// The warm-up start (the copy's first: a migration may run) stays idle a while, for
			// the memory kept once the start-up work is done.
			res, err := start(r, idleFor)
			if err != nil {
				b.Fatalf("%s%s: %v", w.name, bin.suffix, err)
			}
			r.idleKiB = res.IdleRSSKiB
		}
	}
	b.ResetTimer()
	for range b.N {
		for wi, w := range wallets {
			for bi, bin := range bins {
				r := &all[bi][wi]
				res, err := start(r, 0)
				if err != nil {
					b.Fatalf("%s%s: %v", w.name, bin.suffix, err)
				}
				r.first = append(r.first, float64(res.First.Microseconds())/1000)
				r.loaded = append(r.loaded, float64(res.Loaded.Microseconds())/1000)
			}
		}
	}
	b.StopTimer()
	ratio := func(a, over []float64) float64 {
		q := make([]float64, len(a))
		for k := range q {
			q[k] = a[k] / over[k]
		}
		return median(q)
	}
	for bi, bin := range bins {
		for wi, w := range wallets {
			r := all[bi][wi]
			b.ReportMetric(median(r.first), "ms-first-"+w.name+bin.suffix)
			b.ReportMetric(median(r.loaded), "ms-home-"+w.name+bin.suffix)
			b.ReportMetric(float64(r.idleKiB)/1024, "MB-idle-"+w.name+bin.suffix)
			if wi > 0 {
				b.ReportMetric(ratio(r.loaded, all[bi][0].loaded), "x-empty-"+w.name+bin.suffix)
			}
			if bi > 0 {
				b.ReportMetric(ratio(all[0][wi].loaded, r.loaded), "x-baseline-"+w.name)
			}
		}
	}
	b.ReportMetric(float64(n), "payments")
}

// idleFor is how long a warm-up start stays on Home before its memory is read: past the
// start-up work (the secret store's open, the consent sync).
const idleFor = 3 * time.Second

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

// buildPayterm builds the binary from this tree once per test process; PAYTERM_FIRSTFRAME_BIN
// names a built one instead (to measure another version on the same fixtures).
func buildPayterm(tb testing.TB) string {
	tb.Helper()
	if bin := os.Getenv("PAYTERM_FIRSTFRAME_BIN"); bin != "" {
		return bin
	}
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
