package sca

import (
	"testing"
	"time"

	"github.com/payterm/payterm/keystore"
)

// BenchmarkAuthenticateExcludingKDF measures Authenticate with the cheapest argon2id
// parameters (t=1, 64 KiB): state load/save on both copies, unwrap, TOTP, ES256 signing.
// Compare with BenchmarkPINKDF* from the same run for the deliberate cost added per payment.
func BenchmarkAuthenticateExcludingKDF(b *testing.B) {
	e := newEnv(b)
	a := e.open()
	secret, _ := e.enrol(a)
	in := testIntent()
	b.ResetTimer()
	for b.Loop() {
		e.clock.Add(30 * time.Second) // a fresh step each time: codes are single use
		if _, err := a.Authenticate(in, testPIN, e.code(secret, 0)); err != nil {
			b.Fatal(err)
		}
	}
}

func benchKDF(b *testing.B, p keystore.KDFParams) {
	salt := make([]byte, 16)
	for b.Loop() {
		_ = p.Derive([]byte(testPIN), salt)
	}
}

// BenchmarkPINKDFProduction is the per-payment argon2id cost of the default (RFC 9106 second
// recommendation: t=3, 64 MiB, p=4).
func BenchmarkPINKDFProduction(b *testing.B) { benchKDF(b, keystore.RFC9106Second) }

// BenchmarkPINKDFOWASPMinimum is the floor Open accepts (t=2, 19 MiB, p=1).
func BenchmarkPINKDFOWASPMinimum(b *testing.B) { benchKDF(b, keystore.OWASPMinimum) }
