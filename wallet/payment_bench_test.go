package wallet

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"slices"
	"testing"
	"time"
)

// BenchmarkSandboxPaymentVsRSAFloor is one full payment on the embedded sandbox over loopback
// mTLS: Prepare, SCA (PIN + TOTP + device-key signature, with a test-cheap PIN KDF, so the KDF
// is excluded), Risk, seal PII, sign, persist (fsync), POST, verify the signed 201, up to the
// bank's acceptance (status tracking excluded). The bank runs in this process, so a payment
// includes the bank's RSA work too; each one is paired with one run of paymentRSAFloor, the
// RSA work the round trip needs on both sides, and x-rsa-floor is the median of the
// per-iteration ratios (load from other processes weighs on both halves of a pair alike).
// ms/payment is the payments' mean.
//
//	go test -run '^$' -bench SandboxPaymentVsRSAFloor -benchtime=24x ./wallet
func BenchmarkSandboxPaymentVsRSAFloor(b *testing.B) {
	bank := newBankEnv(b)
	key, _ := tppKeys(b)
	floor := newPaymentRSAFloor(b, key)
	var e *walletEnv
	ratios := make([]float64, 0, b.N)
	var paying time.Duration
	b.ResetTimer()
	for i := range b.N {
		if i%8 == 0 {
			// A fresh installation every 8 payments: each SCA needs an unused TOTP step
			// within the 5-minute evidence window (see scaClock). Not timed.
			b.StopTimer()
			e = newWalletEnv(b, bank, Limits{})
			e.onboard(b, 1, "")
			e.wallet.cfg.TrackFor = time.Nanosecond
			b.StartTimer()
		}
		t0 := time.Now()
		p, err := e.pay(b, "1.00", nil)
		d := time.Since(t0)
		if err != nil {
			b.Fatalf("pay: %v", err)
		}
		if p.BankPaymentID == "" {
			b.Fatal("no PaymentId")
		}
		t0 = time.Now()
		floor.run(b)
		ratios = append(ratios, float64(d)/float64(time.Since(t0)))
		paying += d
	}
	b.StopTimer()
	slices.Sort(ratios)
	b.ReportMetric(float64(paying.Microseconds())/float64(b.N)/1000, "ms/payment")
	b.ReportMetric(ratios[len(ratios)/2], "x-rsa-floor")
}

// paymentRSAFloor is the RSA work one payment's round trip needs at minimum, with 2048-bit
// keys as both sides use: the client's PS256 signatures of the PII JWS and of the request, its
// RSA-OAEP-256 of the content key and its PS256 verification of the bank's 201; the bank's
// RSA-OAEP-256 decryption, its verifications of both signatures and its signature of the 201.
type paymentRSAFloor struct {
	key    *rsa.PrivateKey
	digest []byte
	sig    []byte
	sealed []byte
	pss    *rsa.PSSOptions
}

func newPaymentRSAFloor(b *testing.B, key *rsa.PrivateKey) *paymentRSAFloor {
	f := &paymentRSAFloor{key: key, pss: &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}}
	d := sha256.Sum256([]byte("payload"))
	f.digest = d[:]
	var err error
	if f.sig, err = rsa.SignPSS(rand.Reader, key, crypto.SHA256, f.digest, f.pss); err != nil {
		b.Fatal(err)
	}
	if f.sealed, err = rsa.EncryptOAEP(sha256.New(), rand.Reader, &key.PublicKey, make([]byte, 32), nil); err != nil {
		b.Fatal(err)
	}
	return f
}

func (f *paymentRSAFloor) run(b *testing.B) {
	for range 3 { // client: PII JWS, request; bank: the 201
		if _, err := rsa.SignPSS(rand.Reader, f.key, crypto.SHA256, f.digest, f.pss); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, &f.key.PublicKey, make([]byte, 32), nil); err != nil {
		b.Fatal(err)
	}
	if _, err := rsa.DecryptOAEP(sha256.New(), rand.Reader, f.key, f.sealed, nil); err != nil {
		b.Fatal(err)
	}
	for range 3 { // bank: the request and the PII JWS; client: the 201
		if err := rsa.VerifyPSS(&f.key.PublicKey, crypto.SHA256, f.digest, f.sig, f.pss); err != nil {
			b.Fatal(err)
		}
	}
}
