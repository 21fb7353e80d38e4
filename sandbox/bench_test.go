package sandbox

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkPaymentRoundTrip is one POST /payments over loopback mTLS with keep-alive: the bank
// verifies the body JWS, decrypts the PII JWE, verifies the inner JWS, validates everything,
// stores the payment and signs the 201. The client's own signing and sealing happen once,
// before the timer (each iteration uses a new idempotency key, so each is a new payment).
// x-floor is the round trip's time over BenchmarkRSAFloor's work measured in the same loop:
// the goal is at most 1.5×.
func BenchmarkPaymentRoundTrip(b *testing.B) {
	for _, mode := range []struct {
		name    string
		persist bool
	}{{"memory", false}, {"datadir", true}} {
		b.Run(mode.name, func(b *testing.B) {
			bank := newBank(b, func(c *Config) {
				if !mode.persist {
					c.DataDir = ""
				}
				c.BalanceFils = 1 << 60
			})
			c := newTPP(b, bank)
			cons := c.authorizedConsent(consentPII(creditor(testIBAN, "Ivan England")))
			body := c.sign(c.paymentClaims(cons.id, "1.00", paymentPII(c, creditor(testIBAN, "Ivan England"))))
			url := bank.ResourceBaseURL() + "/payments"
			hdr := paymentHeaders("warmup")
			hdr.Set("Authorization", "Bearer "+cons.access)
			do := func(i int) {
				req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
				req.Header = hdr.Clone()
				req.Header.Set("x-idempotency-key", "bench-"+strconv.Itoa(i))
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
			do(-1) // warm the connection
			floor := rsaFloor(b)
			// The floor runs interleaved with the round trips so that load from other processes
			// on this shared machine weighs on both alike; the ratio is the figure that matters.
			var inTrip, inFloor time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				do(i)
				t1 := time.Now()
				b.StopTimer()
				floor()
				inFloor += time.Since(t1)
				b.StartTimer()
				inTrip += t1.Sub(t0)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/inTrip.Seconds(), "payments/s")
			b.ReportMetric(float64(inTrip)/float64(inFloor), "x-floor")
		})
	}
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
