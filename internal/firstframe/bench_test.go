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
	n := benchPayments()
	bins := []struct{ suffix, path string }{{"", buildPayterm(b)}}
	if base := os.Getenv("PAYTERM_FIRSTFRAME_BASELINE_BIN"); base != "" {
		bins = append(bins, struct{ suffix, path string }{"-baseline", base})
	}
	wallets := []struct {
		name string
		spec fixtures.Spec
	}{{"empty", fixtures.Spec{}}, {"ledger", fixtures.Spec{Payments: n}}, {"full", fixtures.Spec{Payments: n, BankPayments: n}}}
	env := benchEnv(b)
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

// BenchmarkFirstFrameWithPassphrase is what a user whose secrets file needs a passphrase sees,
// on the real binary with the production KDF: two wallets of PAYTERM_BENCH_PAYMENTS payments
// in the ledger and as many in the embedded bank (default 100,000 each: BenchmarkFirstFrame's
// "full", the README's goal's size; the Unlock screen is drawn while the ledger and the banks
// open, so both sizes weigh on it), the same but for the passphrase (internal/fixtures
// WithPassphrase, chosen at onboarding), each started once before the timer:
//
//   - unprotected: payterm draws Home (HomeMarks) as in BenchmarkFirstFrame;
//   - passphrase: payterm draws the Unlock screen (UnlockMarks) and the passphrase and enter are
//     typed on it, twice per iteration: typistDelay after it showed (a user reading it and
//     typing; the start's own work is done by then), and at once (a paste, the fastest a user
//     can be: what of the start is still under way is then in the way of Home too). Home is
//     timed from the enter.
//
// Each iteration starts the three in turn. It reports the medians of the time to the Unlock
// screen (ms-first, the typist's start), from the typist's enter to Home's first frame and to
// Home with its payments (ms-home-after-enter, ms-loaded-after-enter), from the pasted enter to
// Home with its payments (ms-loaded-after-paste), of the unprotected wallet's Home
// (ms-first-unprotected, ms-home-unprotected), and of per-iteration ratios against the
// unprotected wallet of the same iteration: x-unprotected-first (the Unlock screen / Home's
// first frame without a passphrase) and x-unprotected-paste (the pasted start's Unlock screen
// plus its enter to Home with its payments / Home with its payments without a passphrase: the
// start's own time, the typing left out). The goal is the Unlock screen within 150 ms at
// 100,000 + 100,000 and Home at once after the enter, not after the argon2id it starts
// (0.1-0.4 s).
// MB-idle-* is the resident memory of each warm-up start idleFor after Home showed (with the
// passphrase: after the store opened with it).
//
//	go test -run '^$' -bench FirstFrameWithPassphrase -benchtime=10x -timeout 40m ./internal/firstframe/
func BenchmarkFirstFrameWithPassphrase(b *testing.B) {
	n := benchPayments()
	bin := buildPayterm(b)
	env := benchEnv(b)
	plainSpec := fixtures.Spec{Payments: n, BankPayments: n}
	passSpec := plainSpec
	passSpec.WithPassphrase = true
	plain := Start{Argv: walletCopy(b, bin, "unprotected", plainSpec), Env: env, Marks: HomeMarks, Timeout: 2 * time.Minute}
	pass := Start{Argv: walletCopy(b, bin, "passphrase", passSpec), Env: env, Marks: UnlockMarks, Timeout: 2 * time.Minute,
		Type: []byte(fixtures.Passphrase + "\r"), Then: HomeMarks, TypeAfter: typistDelay}
	paste := pass
	paste.TypeAfter = 0
	idle := map[string]int{}
	for name, st := range map[string]Start{"unprotected": plain, "passphrase": pass} {
		st.Idle = idleFor
		res, err := Run(context.Background(), st)
		if err != nil {
			b.Fatalf("%s: %v", name, err)
		}
		idle[name] = res.IdleRSSKiB
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	var first, homeAfter, loadedAfter, loadedAfterPaste, firstPlain, homePlain, xFirst, xPaste []float64
	b.ResetTimer()
	for range b.N {
		p, err := Run(context.Background(), plain)
		if err != nil {
			b.Fatalf("unprotected: %v", err)
		}
		r, err := Run(context.Background(), pass)
		if err != nil {
			b.Fatalf("passphrase: %v", err)
		}
		q, err := Run(context.Background(), paste)
		if err != nil {
			b.Fatalf("passphrase pasted: %v", err)
		}
		first = append(first, ms(r.First))
		homeAfter = append(homeAfter, ms(r.ThenFirst-r.Typed))
		loadedAfter = append(loadedAfter, ms(r.ThenLoaded-r.Typed))
		firstPlain = append(firstPlain, ms(p.First))
		homePlain = append(homePlain, ms(p.Loaded))
		xFirst = append(xFirst, float64(r.First)/float64(p.First))
		loadedAfterPaste = append(loadedAfterPaste, ms(q.ThenLoaded-q.Typed))
		xPaste = append(xPaste, float64(q.First+q.ThenLoaded-q.Typed)/float64(p.Loaded))
	}
	b.StopTimer()
	b.ReportMetric(median(first), "ms-first")
	b.ReportMetric(median(homeAfter), "ms-home-after-enter")
	b.ReportMetric(median(loadedAfter), "ms-loaded-after-enter")
	b.ReportMetric(median(loadedAfterPaste), "ms-loaded-after-paste")
	b.ReportMetric(median(firstPlain), "ms-first-unprotected")
	b.ReportMetric(median(homePlain), "ms-home-unprotected")
	b.ReportMetric(median(xFirst), "x-unprotected-first")
	b.ReportMetric(median(xPaste), "x-unprotected-paste")
	b.ReportMetric(float64(idle["passphrase"])/1024, "MB-idle-passphrase")
	b.ReportMetric(float64(idle["unprotected"])/1024, "MB-idle-unprotected")
	b.ReportMetric(float64(n), "payments")
}

// typistDelay is how long after the Unlock screen showed the benchmark's typist types the
// passphrase and enter: less than anyone takes to type 25 characters.
const typistDelay = time.Second

// benchPayments is PAYTERM_BENCH_PAYMENTS, or 100,000.
func benchPayments() int {
	if v, err := strconv.Atoi(os.Getenv("PAYTERM_BENCH_PAYMENTS")); err == nil && v > 0 {
		return v
	}
	return 100_000
}

// benchEnv is the environment payterm runs with: a home of its own, a dark xterm.
func benchEnv(tb testing.TB) []string {
	home := tb.TempDir()
	return []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "TERM=xterm-256color",
		"LANG=C.UTF-8", "PATH=" + os.Getenv("PATH")}
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
	if err := os.WriteFile(conf, []byte(spec.ConfigTOML(data)), 0o600); err != nil {
		tb.Fatal(err)
	}
	return []string{bin, "--config", conf}
}
