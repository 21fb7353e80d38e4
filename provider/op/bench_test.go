package op

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
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
