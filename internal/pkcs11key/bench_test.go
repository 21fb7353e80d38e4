//go:build cgo

package pkcs11key_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/payterm/payterm/internal/pkcs11key"
	"github.com/payterm/payterm/internal/softhsm"
	"github.com/payterm/payterm/lfi"
)

// BenchmarkPaymentCryptoTokenVsPEM measures the client-side crypto of one payment with the
// TPP keys in a SoftHSM2 token against the same work with PEM keys in memory, interleaved in
// the same run, and reports the median of the paired token/PEM ratios:
//
//	go test -run '^$' -bench PaymentCryptoTokenVsPEM -benchtime 200x ./internal/pkcs11key/
//
// One payment's client crypto is what lfi does for POST /payments: the PII sealed as
// JWS-in-JWE (one PS256 signature, one RSA-OAEP encryption to the bank) and the request
// signed (one PS256 signature), plus one full TLS 1.3 mTLS handshake whose CertificateVerify
// the transport key signs (RSA-PSS) — a payment on a reused connection needs no handshake,
// so this is the upper bound. The server side of the handshake runs in the same process and
// costs the same in both arms. The token refresh's client assertion (every 10 minutes, not
// per payment) is left out.
func BenchmarkPaymentCryptoTokenVsPEM(b *testing.B) {
	tok := softhsm.Require(b, "payterm-bench")
	tk, err := pkcs11key.Open(pkcs11key.Config{Module: tok.Module, TokenLabel: tok.Label, PIN: []byte(tok.PIN)})
	if err != nil {
		b.Fatal(err)
	}
	defer tk.Close()
	gen := func(use string) crypto.Signer {
		k, err := tk.Generate(pkcs11key.KeyRef{Label: "bench-" + use}, 2048)
		if err != nil {
			b.Fatal(err)
		}
		return k
	}
	mem := func() crypto.Signer {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			b.Fatal(err)
		}
		return k
	}
	bankEnc, _ := rsa.GenerateKey(rand.Reader, 2048)
	ca := newBenchCA(b)
	token := newPaymentCrypto(b, gen("signing"), gen("transport"), ca, bankEnc)
	pem := newPaymentCrypto(b, mem(), mem(), ca, bankEnc)

	ratios := make([]float64, 0, b.N)
	var sumTok, sumPEM time.Duration
	b.ResetTimer()
	for i := range b.N {
		var dt, dp time.Duration
		if i%2 == 0 { // alternate which arm goes first, so neither always runs on a warm cache
			dt, dp = token.run(b), pem.run(b)
		} else {
			dp, dt = pem.run(b), token.run(b)
		}
		sumTok += dt
		sumPEM += dp
		ratios = append(ratios, float64(dt)/float64(dp))
	}
	b.StopTimer()
	slices.Sort(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "token/pem")
	b.ReportMetric(float64(sumTok.Microseconds())/float64(b.N), "µs-token/op")
	b.ReportMetric(float64(sumPEM.Microseconds())/float64(b.N), "µs-pem/op")
}

// paymentCrypto is one arm: a signer and an mTLS client certificate over its keys.
type paymentCrypto struct {
	signer *lfi.Signer
	enc    lfi.EncryptionKey
	client *tls.Config
	server *tls.Config
}

func newPaymentCrypto(b *testing.B, sig, transport crypto.Signer, ca benchCA, bankEnc *rsa.PrivateKey) paymentCrypto {
	s, err := lfi.NewSigner(sig, "bench-kid")
	if err != nil {
		b.Fatal(err)
	}
	leaf := ca.issue(b, transport.Public(), x509.ExtKeyUsageClientAuth, "tpp")
	srvKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	srvLeaf := ca.issue(b, srvKey.Public(), x509.ExtKeyUsageServerAuth, "bank.example")
	client := lfi.TLSConfig(tls.Certificate{Certificate: [][]byte{leaf}, PrivateKey: transport}, ca.pool)
	client.ServerName, client.MinVersion = "bank.example", tls.VersionTLS13
	return paymentCrypto{signer: s, enc: lfi.EncryptionKey{KeyID: "bank-enc", Key: &bankEnc.PublicKey}, client: client,
		server: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{srvLeaf}, PrivateKey: srvKey}},
			ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: ca.pool, MinVersion: tls.VersionTLS13}}
}

var benchPII = []byte(`{"Initiation":{"CreditorAccount":{"SchemeName":"IBAN","Identification":"AE070331234567890123456","Name":{"en":"Bench Payee"}}},"Risk":{}}`)

// run does one payment's client crypto and returns how long it took.
func (p paymentCrypto) run(b *testing.B) time.Duration {
	t0 := time.Now()
	jwe, err := lfi.SealPII(p.signer, p.enc, benchPII)
	if err != nil {
		b.Fatal(err)
	}
	msg := fmt.Appendf(nil, `{"Data":{"ConsentId":"c-1","Instruction":{"Amount":{"Amount":"1.00","Currency":"AED"}},"PersonalIdentifiableInformation":%q}}`, jwe)
	if _, err := lfi.SignMessage(p.signer, "client-1", "https://issuer.example", time.Unix(1_780_000_000, 0), msg); err != nil {
		b.Fatal(err)
	}
	c, s := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- tls.Server(s, p.server).Handshake() }()
	cerr := tls.Client(c, p.client).Handshake()
	serr := <-done
	d := time.Since(t0)
	_ = c.Close()
	_ = s.Close()
	if cerr != nil || serr != nil {
		b.Fatalf("handshake: client %v, server %v", cerr, serr)
	}
	return d
}

type benchCA struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
	pool *x509.CertPool
}

func newBenchCA(b *testing.B) benchCA {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bench CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		b.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return benchCA{key: key, cert: cert, pool: pool}
}

func (ca benchCA) issue(b *testing.B, pub crypto.PublicKey, eku x509.ExtKeyUsage, cn string) []byte {
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn}, DNSNames: []string{cn},
		ExtKeyUsage: []x509.ExtKeyUsage{eku}, KeyUsage: x509.KeyUsageDigitalSignature, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, pub, ca.key)
	if err != nil {
		b.Fatal(err)
	}
	return der
}

// BenchmarkSignTokenVsPEM isolates the private-key operation the payment work above does three
// times: one RSA-PSS SHA-256 signature through crypto.Signer, token against in-memory key,
// paired and interleaved, median ratio.
//
//	go test -run '^$' -bench SignTokenVsPEM -benchtime 500x ./internal/pkcs11key/
func BenchmarkSignTokenVsPEM(b *testing.B) {
	tok := softhsm.Require(b, "payterm-bench")
	tk, err := pkcs11key.Open(pkcs11key.Config{Module: tok.Module, TokenLabel: tok.Label, PIN: []byte(tok.PIN)})
	if err != nil {
		b.Fatal(err)
	}
	defer tk.Close()
	inToken, err := tk.Generate(pkcs11key.KeyRef{Label: "bench-sign"}, 2048)
	if err != nil {
		b.Fatal(err)
	}
	inMemory, _ := rsa.GenerateKey(rand.Reader, 2048)
	digest := make([]byte, 32)
	opts := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}
	sign := func(k crypto.Signer) time.Duration {
		t0 := time.Now()
		if _, err := k.Sign(rand.Reader, digest, opts); err != nil {
			b.Fatal(err)
		}
		return time.Since(t0)
	}
	ratios := make([]float64, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		var dt, dp time.Duration
		if i%2 == 0 {
			dt, dp = sign(inToken), sign(inMemory)
		} else {
			dp, dt = sign(inMemory), sign(inToken)
		}
		ratios = append(ratios, float64(dt)/float64(dp))
	}
	b.StopTimer()
	slices.Sort(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "token/pem")
}
