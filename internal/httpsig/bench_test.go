package httpsig

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"slices"
	"testing"
	"time"
)

// The cost of signing one BG payment initiation against its floor: the RSA PKCS#1 v1.5
// signature and the SHA-256 of the body, which any signer must do.
//
//	go test -run '^$' -bench 'SignBG' -benchtime 200x ./internal/httpsig/
//
// BenchmarkSignBGRatio reports the median, over paired rounds run back to back in one
// process, of (time to Sign) / (time of the floor); the budget is 1.10.

func signBG(b *testing.B, s *Signer) {
	h := bgHeaders(true)
	if _, err := s.Sign("POST", "/v1/payments/sepa-credit-transfers", h, []byte(bgBody)); err != nil {
		b.Fatal(err)
	}
}

func rawFloor(b *testing.B, k *rsa.PrivateKey) {
	d := sha256.Sum256([]byte(bgBody))
	sum := sha256.Sum256(d[:])
	if _, err := rsa.SignPKCS1v15(nil, k, crypto.SHA256, sum[:]); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkSignBG(b *testing.B) {
	k := testKey(b)
	s, err := NewSigner(BerlinGroup(), "SN=1a2b3c,CA=CN=Example%20QTSP%20CA,O=Example,C=DE", k)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		signBG(b, s)
	}
}

func BenchmarkSignBGFloor(b *testing.B) {
	k := testKey(b)
	for b.Loop() {
		rawFloor(b, k)
	}
}

func BenchmarkSignBGRatio(b *testing.B) {
	k := testKey(b)
	s, err := NewSigner(BerlinGroup(), "SN=1a2b3c,CA=CN=Example%20QTSP%20CA,O=Example,C=DE", k)
	if err != nil {
		b.Fatal(err)
	}
	const per = 20
	var ratios []float64
	for b.Loop() {
		t0 := time.Now()
		for range per {
			rawFloor(b, k)
		}
		floor := time.Since(t0)
		t0 = time.Now()
		for range per {
			signBG(b, s)
		}
		ratios = append(ratios, float64(time.Since(t0))/float64(floor))
	}
	slices.Sort(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "median-ratio")
}
