package sca

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/payterm/payterm/keystore"
)

// waitStretched waits for the pending Prestretch, if any, to finish; it reports whether one
// was pending.
func waitStretched(a *Authenticator) bool {
	a.smu.Lock()
	e := a.pre
	a.smu.Unlock()
	if e == nil {
		return false
	}
	<-e.done
	return true
}

func TestPrestretchedPINAuthenticatesOnce(t *testing.T) {
	e := newEnv(t)
	a := e.open()
	secret, _ := e.enrol(a)
	a.Prestretch(testPIN)
	if !waitStretched(a) {
		t.Fatal("Prestretch kept nothing")
	}
	d, err := a.loadDevice()
	if err != nil {
		t.Fatal(err)
	}
	// What it derived is what Authenticate would derive.
	a.smu.Lock()
	got := slices.Clone(a.pre.key)
	a.smu.Unlock()
	if want := d.KDF.Derive([]byte(testPIN), d.Salt); len(got) != keystore.KeyLen || !slices.Equal(got, want) {
		t.Fatal("the prestretched key is not argon2id(PIN) under the device file's salt and costs")
	}
	if _, err := a.Authenticate(testIntent(), testPIN, e.code(secret, 0)); err != nil {
		t.Fatalf("with the PIN prestretched: %v", err)
	}
	if a.pre != nil {
		t.Error("the prestretched PIN was not consumed by Authenticate")
	}
	// The next authentication derives afresh and still passes.
	e.clock.Add(30 * time.Second)
	if _, err := a.Authenticate(testIntent(), testPIN, e.code(secret, 0)); err != nil {
		t.Fatalf("without a prestretch: %v", err)
	}
}

// TestPrestretchChecksNothing: a wrong PIN prestretched is refused and counted like any other
// attempt, a prestretch of one PIN is never used for another, and a malformed PIN is ignored.
func TestPrestretchChecksNothing(t *testing.T) {
	e := newEnv(t)
	a := e.open()
	secret, _ := e.enrol(a)

	a.Prestretch(otherPIN)
	waitStretched(a)
	if st := a.Status(); st.RemainingAttempts != MaxFailures {
		t.Fatalf("a prestretch counted as an attempt: %+v", st)
	}
	var ae *AuthError
	if _, err := a.Authenticate(testIntent(), otherPIN, e.code(secret, 0)); !errors.As(err, &ae) || ae.Remaining != MaxFailures-1 {
		t.Fatalf("wrong PIN prestretched: %v, want an AuthError with %d left", err, MaxFailures-1)
	}

	// The right PIN prestretched, another typed: refused, counted, and the stretch is gone.
	a.Prestretch(testPIN)
	waitStretched(a)
	if _, err := a.Authenticate(testIntent(), otherPIN, e.code(secret, 0)); !errors.As(err, &ae) || ae.Remaining != MaxFailures-2 {
		t.Fatalf("other PIN than prestretched: %v, want an AuthError with %d left", err, MaxFailures-2)
	}
	if a.pre != nil {
		t.Error("a mismatched prestretch was kept")
	}

	a.Prestretch("12") // not a PIN
	if a.pre != nil {
		t.Error("a malformed PIN was stretched")
	}
	if _, err := a.Authenticate(testIntent(), testPIN, e.code(secret, 0)); err != nil {
		t.Fatalf("right PIN after the failures: %v", err)
	}
}

// TestPrestretchReplacedAndStale: typing another PIN replaces the pending stretch; a stretch
// made for an enrolment that has since changed (another salt) is not used.
func TestPrestretchReplacedAndStale(t *testing.T) {
	e := newEnv(t)
	a := e.open()
	secret, _ := e.enrol(a)
	a.Prestretch(otherPIN)
	a.Prestretch(testPIN)
	waitStretched(a)
	a.smu.Lock()
	kept := a.pre != nil && string(a.pre.pin) == string(testPIN)
	a.smu.Unlock()
	if !kept {
		t.Fatal("the later PIN did not replace the earlier one")
	}
	d, err := a.loadDevice()
	if err != nil {
		t.Fatal(err)
	}
	stale := *d
	stale.Salt = append([]byte{}, d.Salt...)
	stale.Salt[0] ^= 1
	if k := a.takeStretched(testPIN, &stale); k != nil {
		t.Error("a stretch under another salt was used")
	}
	if _, err := a.Authenticate(testIntent(), testPIN, e.code(secret, 0)); err != nil {
		t.Fatalf("after a stale stretch: %v", err)
	}
}

// TestCPUBurner is not a test: BenchmarkSCAUnderLoad runs the test binary with
// PAYTERM_CPU_BURNER=1 as the CPU-bound process beside it, spinning on every CPU.
func TestCPUBurner(t *testing.T) {
	if os.Getenv("PAYTERM_CPU_BURNER") != "1" {
		t.Skip("only the CPU-bound helper process of BenchmarkSCAUnderLoad")
	}
	for range runtime.GOMAXPROCS(0) - 1 {
		go spin()
	}
	spin()
}

func spin() {
	x := 1
	for {
		x = x*31 + 7
		if x == 0 {
			return
		}
	}
}

// BenchmarkSCAUnderLoad is the SCA of one payment (Authenticate) with the production PIN KDF
// (RFC 9106 second recommendation, t=3, 64 MiB, p=4) in three settings from the same run:
// idle; with another process keeping every CPU busy (a CPU-bound copy of this test binary);
// and under that load with the PIN prestretched while the code is typed (Prestretch, as the
// pay screen does when focus moves to the code field; the time a person takes to type six
// digits is covered by waiting for the stretch, not timed). It reports the median of each
// and their ratios to the idle median:
//
//	go test -run '^$' -bench SCAUnderLoad -benchtime=15x ./sca
func BenchmarkSCAUnderLoad(b *testing.B) {
	e := newEnv(b)
	a, err := Open(Config{DataDir: e.dir, Store: e.store(), Clock: e.clock.Now, PINKDF: keystore.RFC9106Second})
	if err != nil {
		b.Fatal(err)
	}
	secret, _ := e.enrol(a)
	authenticate := func(prestretch bool) time.Duration {
		e.clock.Add(30 * time.Second) // a fresh step each time: codes are single use
		if prestretch {
			a.Prestretch(testPIN)
			waitStretched(a)
		}
		t0 := time.Now()
		if _, err := a.Authenticate(testIntent(), testPIN, e.code(secret, 0)); err != nil {
			b.Fatal(err)
		}
		return time.Since(t0)
	}
	median := func(d []time.Duration) time.Duration {
		slices.Sort(d)
		return d[len(d)/2]
	}
	n := b.N
	var idle, loaded, pre []time.Duration
	for range n {
		idle = append(idle, authenticate(false))
	}
	burner := exec.Command(os.Args[0], "-test.run=^TestCPUBurner$")
	burner.Env = append(os.Environ(), "PAYTERM_CPU_BURNER=1")
	if err := burner.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = burner.Process.Kill(); _ = burner.Wait() }()
	time.Sleep(200 * time.Millisecond) // let it reach full speed
	for i := range 2 * n {
		// Interleaved, so both see the same load.
		if i%2 == 0 {
			loaded = append(loaded, authenticate(false))
		} else {
			pre = append(pre, authenticate(true))
		}
	}
	mi, ml, mp := median(idle), median(loaded), median(pre)
	b.ReportMetric(float64(mi.Microseconds())/1000, "idle-ms")
	b.ReportMetric(float64(ml.Microseconds())/1000, "loaded-ms")
	b.ReportMetric(float64(mp.Microseconds())/1000, "loaded-prestretched-ms")
	b.ReportMetric(float64(ml)/float64(mi), "loaded/idle")
	b.ReportMetric(float64(mp)/float64(mi), "prestretched/idle")
}
