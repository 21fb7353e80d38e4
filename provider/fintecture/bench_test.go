package fintecture

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"slices"
	"testing"
	"time"

	"github.com/payterm/payterm/provider"
)

// The cost of building one signed session request (Build: checks, JSON, state, X-Request-ID,
// Digest, signing string, RSA signature, stored form) against its floor: the RSA PKCS#1 v1.5
// signature and the SHA-256 of the body, which any Fintecture client must do.
//
//	go test -run '^$' -bench 'BuildRatio' -benchtime 100x ./provider/fintecture/
//
// It reports the median, over paired rounds run back to back in one process, of
// (time to Build) / (time of the floor).
func BenchmarkBuildRatio(b *testing.B) {
	bank, err := New(Config{Name: "Fintecture", APIBase: "https://api-sandbox.fintecture.com", AppID: "app-123", AppSecret: "s",
		Key: key(b), RedirectURI: "https://wallet.example/fintecture/back", Payer: Payer{Name: "Jane Doe", Email: "jane@example.org", IP: "203.0.113.7"}})
	if err != nil {
		b.Fatal(err)
	}
	in := intent()
	body, err := bank.sessionBody(in)
	if err != nil {
		b.Fatal(err)
	}
	floor := func() {
		d := sha256.Sum256(body)
		sum := sha256.Sum256(d[:])
		if _, err := rsa.SignPKCS1v15(nil, key(b), crypto.SHA256, sum[:]); err != nil {
			b.Fatal(err)
		}
	}
	build := func() {
		if _, err := bank.Build(context.Background(), in, provider.Evidence{}, provider.Facts{}); err != nil {
			b.Fatal(err)
		}
	}
	const per = 10
	var ratios []float64
	for b.Loop() {
		t0 := time.Now()
		for range per {
			floor()
		}
		f := time.Since(t0)
		t0 = time.Now()
		for range per {
			build()
		}
		ratios = append(ratios, float64(time.Since(t0))/float64(f))
	}
	slices.Sort(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "median-ratio")
}
