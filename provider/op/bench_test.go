package op

import (
	"context"
	"crypto"
	"net/http"
	"sync"

	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"github.com/payterm/payterm/provider"
	"slices"
	"testing"
	"time"
)

// Signing a request (the detached JWS: protected header, base64url of the body, signature,
// serialisation) against its raw sign in the same run: SHA-256 and the ES256/RS256 signature
// over the same signing input, which any OP client must do. The goal is ≤ 1.10×.
//
//	go test -run '^$' -bench 'DetachedRatio' -benchtime 200x ./provider/op/
//
// It reports the median, over paired rounds run back to back in one process, of
// (time of detached) / (time of the raw sign).
func BenchmarkDetachedRatio(b *testing.B) {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"amountEUR":"12.50","payee":{"iban":"FI4950009420028730","name":"Matti Meikäläinen"},"message":"Invoice 42"}`)
	for _, c := range []struct {
		name string
		key  crypto.Signer
	}{{"ES256", ecKey(b)}, {"RS256", rk}} {
		b.Run(c.name, func(b *testing.B) {
			k, err := newSigningKey(c.key, "tpp-1")
			if err != nil {
				b.Fatal(err)
			}
			input := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"`+string(k.alg)+`","kid":"tpp-1"}`)) + "." + base64.RawURLEncoding.EncodeToString(body)
			raw := func() {
				d := sha256.Sum256([]byte(input))
				var err error
				switch key := c.key.(type) {
				case *ecdsa.PrivateKey:
					_, err = ecdsa.SignASN1(rand.Reader, key, d[:])
				case *rsa.PrivateKey:
					_, err = rsa.SignPKCS1v15(nil, key, crypto.SHA256, d[:])
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			detached := func() {
				if _, err := k.detached(body); err != nil {
					b.Fatal(err)
				}
			}
			const per = 10
			var ratios []float64
			for b.Loop() {
				t0 := time.Now()
				for range per {
					raw()
				}
				f := time.Since(t0)
				t0 = time.Now()
				for range per {
					detached()
				}
				ratios = append(ratios, float64(time.Since(t0))/float64(f))
			}
			slices.Sort(ratios)
			b.ReportMetric(ratios[len(ratios)/2], "median-ratio")
		})
	}
}

// The client's own time for a bundle of ten, from review to all submitted: CreateBundle (ten
// bodies built, signed and created) and CompleteBundle (the code exchange, the ID-token checks,
// ten payment reads and ten submissions), minus the time the embedded bank spent in its
// handlers. The payer's time on OP's page is not counted. The goal is ≤ 1 s.
//
//	go test -run '^$' -bench 'BundleOf10' -benchtime 10x ./provider/op/
func BenchmarkBundleOf10ClientTime(b *testing.B) {
	j := newJourney(b, "")
	var mu sync.Mutex
	var server time.Duration
	inner := j.srv.Config.Handler
	j.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t0 := time.Now()
		inner.ServeHTTP(w, r)
		mu.Lock()
		server += time.Since(t0)
		mu.Unlock()
	})
	ctx := context.Background()
	var client []float64
	for b.Loop() {
		intents := make([]provider.Intent, 10)
		for i := range intents {
			intents[i] = jintent("1.00")
		}
		mu.Lock()
		server = 0
		mu.Unlock()
		t0 := time.Now()
		bu, err := j.client.CreateBundle(ctx, intents)
		if err != nil {
			b.Fatal(err)
		}
		act, err := j.client.BundleAction(bu)
		if err != nil {
			b.Fatal(err)
		}
		wall := time.Since(t0)
		mu.Lock()
		before := server
		mu.Unlock()
		back := j.browse(act, "approve", nil) // the payer's time: not counted
		mu.Lock()
		server = before
		mu.Unlock()
		t1 := time.Now()
		if err := j.client.CompleteBundle(ctx, bu, back); err != nil {
			b.Fatal(err)
		}
		wall += time.Since(t1)
		mu.Lock()
		own := wall - server
		mu.Unlock()
		client = append(client, float64(own)/float64(time.Millisecond))
	}
	slices.Sort(client)
	b.ReportMetric(client[len(client)/2], "client-ms/bundle")
}
