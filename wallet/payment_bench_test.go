package wallet

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"testing"
	"time"
)

// BenchmarkSandboxPayment is one full payment on the embedded sandbox over loopback mTLS:
// Prepare, SCA (PIN + TOTP + device-key signature, with a test-cheap PIN KDF, so the KDF is
// excluded), Risk, seal PII, sign, persist (fsync), POST, verify the signed 201, up to the
// bank's acceptance (status tracking excluded). BenchmarkPaymentRSAFloor in the same run is
// the floor the client's RSA work alone costs (the lfi package's BenchmarkRSAFloor):
//
//	go test -run '^$' -bench 'SandboxPayment|PaymentRSAFloor' -benchtime=24x ./wallet
func BenchmarkSandboxPayment(b *testing.B) {
	bank := newBankEnv(b)
	var e *walletEnv
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
		p, err := e.pay(b, "1.00", nil)
		if err != nil {
			b.Fatalf("pay: %v", err)
		}
		if p.BankPaymentID == "" {
			b.Fatal("no PaymentId")
		}
	}
}

// BenchmarkPaymentRSAFloor is the RSA work one payment needs on the client at minimum:
// PS256 signatures of the PII JWS and of the request, RSA-OAEP-256 of the content key, and a
// PS256 verification of the bank's response.
func BenchmarkPaymentRSAFloor(b *testing.B) {
	key, _ := tppKeys(b)
	digest := sha256.Sum256([]byte("payload"))
	cek := make([]byte, 32)
	pss := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}
	sig, err := rsa.SignPSS(rand.Reader, key, crypto.SHA256, digest[:], pss)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		for range 2 {
			if _, err := rsa.SignPSS(rand.Reader, key, crypto.SHA256, digest[:], pss); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, &key.PublicKey, cek, nil); err != nil {
			b.Fatal(err)
		}
		if err := rsa.VerifyPSS(&key.PublicKey, crypto.SHA256, digest[:], sig, pss); err != nil {
			b.Fatal(err)
		}
	}
}
