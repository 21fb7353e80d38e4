package wallet

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/payterm/payterm/keystore"
)

// BenchmarkSCAToWireUnderLoad is SCA-to-wire as the payer feels it — from pressing enter on
// the pay screen (Submit) to the payment's POST starting (StepSend running) — on the embedded
// sandbox with the production PIN KDF (argon2id t=3, 64 MiB, p=4), in three settings from the
// same run: idle; beside another process that keeps every CPU busy (a CPU-bound copy of this
// test binary); and under that load with the PIN prestretched while the code is typed, as the
// pay screen does (Wallet.PrestretchPIN when focus moves to the code field; a person's typing
// of six digits is covered by waiting for the stretch, not timed). It reports each median and
// the ratios to the idle median:
//
//	go test -run '^$' -bench SCAToWireUnderLoad -benchtime=8x ./wallet
func BenchmarkSCAToWireUnderLoad(b *testing.B) {
	envPINKDF = keystore.RFC9106Second
	defer func() { envPINKDF = cheapKDF }()
	bank := newBankEnv(b)
	var e *walletEnv
	paid := 0
	pay := func(prestretch bool) time.Duration {
		if paid%8 == 0 {
			// A fresh installation every 8 payments: each SCA needs an unused TOTP step
			// within the 5-minute evidence window (see scaClock).
			e = newWalletEnv(b, bank, Limits{})
			e.onboard(b, 1, "")
			e.wallet.cfg.TrackFor = time.Nanosecond
		}
		paid++
		ctx := context.Background()
		d := e.draft("1.00")
		p, err := e.wallet.Prepare(ctx, d)
		if err != nil {
			b.Fatal(err)
		}
		code := e.scaClock.nextCode(b, e.totp)
		if prestretch {
			e.wallet.PrestretchPIN(testPIN)
			time.Sleep(time.Second) // typing the code; the stretch runs meanwhile
		}
		var wire time.Duration
		t0 := time.Now()
		if _, err := e.wallet.Submit(ctx, p.ID, testPIN, code, func(ev Event) {
			if ev.Step == StepSend && ev.State == StepRunning && wire == 0 {
				wire = time.Since(t0)
			}
		}); err != nil {
			b.Fatal(err)
		}
		if wire == 0 {
			b.Fatal("the payment never reached the wire")
		}
		return wire
	}
	median := func(d []time.Duration) time.Duration {
		slices.Sort(d)
		return d[len(d)/2]
	}
	var idle, loaded, pre []time.Duration
	for range b.N {
		idle = append(idle, pay(false))
	}
	burner := exec.Command(os.Args[0], "-test.run=^TestCPUBurner$")
	burner.Env = append(os.Environ(), "PAYTERM_CPU_BURNER=1")
	if err := burner.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = burner.Process.Kill(); _ = burner.Wait() }()
	time.Sleep(200 * time.Millisecond)
	for i := range 2 * b.N {
		if i%2 == 0 { // interleaved, so both see the same load
			loaded = append(loaded, pay(false))
		} else {
			pre = append(pre, pay(true))
		}
	}
	mi, ml, mp := median(idle), median(loaded), median(pre)
	b.ReportMetric(float64(mi.Microseconds())/1000, "idle-ms")
	b.ReportMetric(float64(ml.Microseconds())/1000, "loaded-ms")
	b.ReportMetric(float64(mp.Microseconds())/1000, "loaded-prestretched-ms")
	b.ReportMetric(float64(ml)/float64(mi), "loaded/idle")
	b.ReportMetric(float64(mp)/float64(mi), "prestretched/idle")
}

// TestCPUBurner is not a test: BenchmarkSCAToWireUnderLoad runs the test binary with
// PAYTERM_CPU_BURNER=1 as the CPU-bound process beside it, spinning on every CPU.
func TestCPUBurner(t *testing.T) {
	if os.Getenv("PAYTERM_CPU_BURNER") != "1" {
		t.Skip("only the CPU-bound helper process of BenchmarkSCAToWireUnderLoad")
	}
	for range runtime.GOMAXPROCS(0) - 1 {
		go burn()
	}
	burn()
}

func burn() {
	x := 1
	for {
		x = x*31 + 7
		if x == 0 {
			return
		}
	}
}
