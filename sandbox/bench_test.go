package sandbox

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkPaymentRoundTrip is one POST /payments over loopback mTLS with keep-alive, against
// a bank with a data dir as payterm runs it: the bank verifies the body JWS, decrypts the PII
// JWE, verifies the inner JWS, validates everything, journals the payment (on disk before the
// 201) and signs the 201. The client's own signing and sealing happen once, before the timer
// (each iteration uses a new idempotency key, so each is a new payment). Every iteration is
// paired with one run of the RSA floor (BenchmarkRSAFloor's work) right after it, so load
// from other processes on this shared machine weighs on both alike; x-floor is the median of
// the per-iteration ratios (the goal is at most 1.5×), payments/s is for the round trips
// alone and floor/s the rate of the floor by itself in the same run: under load from other
// processes the floor's own rate falls, and payments/s cannot exceed floor/s ÷ x-floor. x-floor-cpu is the same comparison in this process's CPU time (client, server and
// journal included, summed over the run): it leaves out the waits for a CPU that other
// processes cause, which lengthen a round trip's several hand-offs between goroutines more
// than the floor's single loop. ms/fsync is the journal's mean fsync time in the run (other
// sessions' disk traffic lengthens it); fsyncs/payment is 1 for this sequential client (a
// payment's stored response rides on the next payment's fsync); new-conns counts connections
// opened after the warm-up (0: every payment reuses the kept-alive one). Run it long enough for the journal to be compacted (about
// 1,300 payments a compaction): compactions reports how many ran.
//
//	go test -run '^$' -bench PaymentRoundTrip -benchtime=4000x ./sandbox/
func BenchmarkPaymentRoundTrip(b *testing.B) {
	bank := newBank(b, func(c *Config) { c.BalanceFils = 1 << 60 })
	c := newTPP(b, bank)
	cons := c.authorizedConsent(consentPII(creditor(testIBAN, "Ivan England")))
	body := c.sign(c.paymentClaims(cons.id, "1.00", paymentPII(c, creditor(testIBAN, "Ivan England"))))
	url := bank.ResourceBaseURL() + "/payments"
	hdr := paymentHeaders("warmup")
	hdr.Set("Authorization", "Bearer "+cons.access)
	// Every payment after the warm-up must ride the kept-alive connection: a new one would
	// add a TLS handshake (an RSA signature on each side) to that payment.
	var newConns atomic.Int64
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		if !info.Reused {
			newConns.Add(1)
		}
	}})
	do := func(key string) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
		req.Header = hdr.Clone()
		req.Header.Set("x-idempotency-key", key)
		resp, err := c.http.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	do("warmup") // warm the connection
	newConns.Store(0)
	floor := rsaFloor(b)
	syncs0, syncNanos0 := bank.jw.syncs.Load(), bank.jw.syncNanos.Load()
	ratios := make([]float64, 0, b.N)
	var inTrip, inFloor, cpuTrip, cpuFloor time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c0, t0 := processCPU(), time.Now()
		do("bench-" + strconv.Itoa(i))
		t1, c1 := time.Now(), processCPU()
		b.StopTimer()
		floor()
		f := time.Since(t1)
		inFloor += f
		ratios = append(ratios, float64(t1.Sub(t0))/float64(f))
		cpuFloor += processCPU() - c1
		b.StartTimer()
		inTrip += t1.Sub(t0)
		cpuTrip += c1 - c0
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/inTrip.Seconds(), "payments/s")
	b.ReportMetric(float64(b.N)/inFloor.Seconds(), "floor/s")
	b.ReportMetric(median(ratios), "x-floor")
	if cpuFloor > 0 {
		b.ReportMetric(float64(cpuTrip)/float64(cpuFloor), "x-floor-cpu")
	}
	// The disk's share: a sequential client waits for each payment's fsync, overlapped with
	// signing the 201; the floor's duration is the time it has to hide in.
	if n := bank.jw.syncs.Load() - syncs0; n > 0 {
		b.ReportMetric(float64(bank.jw.syncNanos.Load()-syncNanos0)/float64(n)/1e6, "ms/fsync")
		b.ReportMetric(float64(n)/float64(b.N), "fsyncs/payment")
	}
	bank.mu.Lock()
	b.ReportMetric(float64(bank.compactions), "compactions")
	bank.mu.Unlock()
	b.ReportMetric(float64(newConns.Load()), "new-conns")
}

// BenchmarkPaymentsConcurrent is the same round trip from several connections of one client
// at once: group commit lets their payments share an fsync (fsyncs/payment below 1) and
// nothing waits on the disk while holding the bank lock.
func BenchmarkPaymentsConcurrent(b *testing.B) {
	const conns = 4
	bank := newBank(b, func(c *Config) { c.BalanceFils = 1 << 60 })
	c := newTPP(b, bank)
	cons := c.authorizedConsent(consentPII(creditor(testIBAN, "Ivan England")))
	body := c.sign(c.paymentClaims(cons.id, "1.00", paymentPII(c, creditor(testIBAN, "Ivan England"))))
	url := bank.ResourceBaseURL() + "/payments"
	hdr := paymentHeaders("warmup")
	hdr.Set("Authorization", "Bearer "+cons.access)
	var next atomic.Int64
	syncs0 := bank.jw.syncs.Load()
	b.ResetTimer()
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
				req.Header = hdr.Clone()
				req.Header.Set("x-idempotency-key", "bench-"+strconv.FormatInt(i, 10))
				resp, err := c.http.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "payments/s")
	b.ReportMetric(float64(bank.jw.syncs.Load()-syncs0)/float64(b.N), "fsyncs/payment")
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkRSAFloor is the RSA work one payment needs at the bank: one RSA-OAEP-256 decrypt
// (the PII content key), two PS256 verifies (request body, inner PII JWS) and one PS256 sign
// (the response), all with 2048-bit keys.
func BenchmarkRSAFloor(b *testing.B) {
	floor := rsaFloor(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		floor()
	}
}

// rsaFloor prepares the keys and returns one payment's worth of bank-side RSA operations.
func rsaFloor(b *testing.B) func() {
	enc, sig, client := testKey(b), testKey(b), testKey(b)
	cek := make([]byte, 32)
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, &enc.PublicKey, cek, nil)
	if err != nil {
		b.Fatal(err)
	}
	digest := sha256.Sum256([]byte("payload"))
	pss := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}
	clientSig, err := rsa.SignPSS(rand.Reader, client, crypto.SHA256, digest[:], pss)
	if err != nil {
		b.Fatal(err)
	}
	return func() {
		if _, err := rsa.DecryptOAEP(sha256.New(), nil, enc, ct, nil); err != nil {
			b.Fatal(err)
		}
		for range 2 {
			if err := rsa.VerifyPSS(&client.PublicKey, crypto.SHA256, digest[:], clientSig, pss); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := rsa.SignPSS(rand.Reader, sig, crypto.SHA256, digest[:], pss); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRSAFloorBesideOtherWork asks whether the floor's RSA slows when the same process
// works beside it, as the round trip's other goroutines do (the client, the journal's fsync, the
// connection's reader): each iteration runs the floor alone, then beside a goroutine doing RSA,
// plain arithmetic or memory traffic on the other CPU, or waking every 200 µs; x-beside-* are
// the medians of the per-iteration ratios to the alone run. On this 2-vCPU machine they stay
// near 1 when it is quiet (the vCPUs are not SMT siblings of one core), so the handler's RSA
// costing 1.17–1.30× the floor's in a loaded round trip is not the bank's own concurrency.
//
//	go test -run '^$' -bench RSAFloorBesideOtherWork -benchtime=200x ./sandbox/
func BenchmarkRSAFloorBesideOtherWork(b *testing.B) {
	floor := rsaFloor(b)
	// The load's own RSA runs on another goroutine, where b.Fatal may not be called: a PS256
	// signature whose result (never an error with this key) is dropped.
	key, digest := testKey(b), sha256.Sum256([]byte("load"))
	mem := make([]byte, 8<<20)
	works := []struct {
		name string
		step func()
	}{
		{"rsa", func() {
			_, _ = rsa.SignPSS(rand.Reader, key, crypto.SHA256, digest[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		}},
		{"arith", func() {
			x := 1.0
			for range 100_000 {
				x = x*1.0000001 + 1e-9
			}
			sinkFloat = x
		}},
		{"memory", func() {
			for i := 0; i < len(mem); i += 64 {
				mem[i]++
			}
		}},
		{"wakeups", func() { time.Sleep(200 * time.Microsecond) }},
	}
	beside := func(step func()) time.Duration {
		var stop atomic.Bool
		done := make(chan struct{})
		started := make(chan struct{})
		go func() {
			defer close(done)
			close(started)
			for !stop.Load() {
				step()
			}
		}()
		<-started
		t := time.Now()
		floor()
		d := time.Since(t)
		stop.Store(true)
		<-done
		return d
	}
	ratios := make([][]float64, len(works))
	b.ResetTimer()
	for range b.N {
		t := time.Now()
		floor()
		alone := time.Since(t)
		for k, w := range works {
			ratios[k] = append(ratios[k], float64(beside(w.step))/float64(alone))
		}
	}
	b.StopTimer()
	for k, w := range works {
		b.ReportMetric(median(ratios[k]), "x-beside-"+w.name)
	}
}

var sinkFloat float64

// BenchmarkConsentRound is one onboarding as the bank sees it: PAR, the consent page approved,
// the code exchanged at /token. Each iteration runs one round on an in-memory bank and one on
// a bank with a data dir, interleaved so load from other processes weighs on both alike;
// x-memory is the data dir's time over the memory bank's, i.e. what persisting state costs.
// The prefilled case starts both banks with that many authorised consents, because every full
// save rewrites the whole state.
func BenchmarkConsentRound(b *testing.B) {
	for _, prefill := range []int{0, 200} {
		b.Run("prefill-"+strconv.Itoa(prefill), func(b *testing.B) {
			mem := newBank(b, func(c *Config) { c.DataDir = "" })
			disk := newBank(b, nil)
			cm, cd := newTPP(b, mem), newTPP(b, disk)
			pii := consentPII(creditor(testIBAN, "Ivan England"))
			for range prefill {
				cm.authorizedConsent(pii)
				cd.authorizedConsent(pii)
			}
			var inMem, inDisk time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				cm.authorizedConsent(pii)
				t1 := time.Now()
				cd.authorizedConsent(pii)
				inDisk += time.Since(t1)
				inMem += t1.Sub(t0)
			}
			b.StopTimer()
			b.ReportMetric(inMem.Seconds()*1000/float64(b.N), "ms/round-memory")
			b.ReportMetric(inDisk.Seconds()*1000/float64(b.N), "ms/round-datadir")
			b.ReportMetric(float64(inDisk)/float64(inMem), "x-memory")
			var onDisk int64 // state.json plus the journal that continues it
			for _, f := range []string{stateFile, journalFile} {
				if st, err := os.Stat(filepath.Join(disk.cfg.DataDir, f)); err == nil {
					onDisk += st.Size()
				}
			}
			b.ReportMetric(float64(onDisk)/1024, "state-KiB")
		})
	}
}

// BenchmarkStartup is New plus Close of a bank whose data dir holds 1,000 payments and of one
// holding 100,000 (PAYTERM_BENCH_PAYMENTS), interleaved; large/small is the median of the
// per-iteration ratios. Start-up reads the snapshot and the keys and opens the archive, so the
// ratio stays near 1 however many payments the archive holds. Seeding the large bank takes a
// few seconds before the timer.
//
//	go test -run '^$' -bench Startup -benchtime=20x ./sandbox/
func BenchmarkStartup(b *testing.B) {
	large := 100_000
	if n, err := strconv.Atoi(os.Getenv("PAYTERM_BENCH_PAYMENTS")); err == nil && n > 1000 {
		large = n
	}
	seed := func(n int) string {
		bank := newBank(b, func(c *Config) { c.BalanceFils = 1 << 50 })
		c := newTPP(b, bank)
		cons := c.authorizedConsent(consentPII(creditor(testIBAN, "Ivan England")))
		if err := bank.SeedPayments(cons.id, n, 1_00); err != nil {
			b.Fatal(err)
		}
		if err := bank.Close(); err != nil {
			b.Fatal(err)
		}
		// Flush what seeding wrote, so its writeback does not weigh on the first starts.
		if f, err := os.Open(filepath.Join(bank.cfg.DataDir, archiveFile)); err == nil {
			_ = f.Sync()
			f.Close()
		}
		return bank.cfg.DataDir
	}
	small, big := seed(1000), seed(large)
	start := func(dir string) time.Duration {
		t0 := time.Now()
		bank, err := New(Config{DataDir: dir})
		if err != nil {
			b.Fatal(err)
		}
		if err := bank.Close(); err != nil {
			b.Fatal(err)
		}
		return time.Since(t0)
	}
	start(small) // the first open of a package-level SQLite pays its own warm-up
	ratios := make([]float64, 0, b.N)
	var inLarge time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := start(small)
		l := start(big)
		inLarge += l
		ratios = append(ratios, float64(l)/float64(s))
	}
	b.StopTimer()
	b.ReportMetric(float64(inLarge.Microseconds())/float64(b.N)/1000, "ms/start-large")
	b.ReportMetric(median(ratios), "large/small")
	b.ReportMetric(float64(large), "payments")
}
