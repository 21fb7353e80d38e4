package xs2a

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkSignedInitiation measures signed payment initiations per second against a bank with
// a data dir (every payment is an fsync'd journal line), 8 keep-alive connections, requests
// signed before the timer starts (the client's RSA signing is not the bank's cost). Each run
// then times the bank's raw RSA-2048 PKCS#1 v1.5 verify and reports the ratio of one payment
// to one verify (the floor: a payment cannot cost less than its signature check).
//
//	go test -run '^$' -bench SignedInitiation -benchtime=3000x -count=5 ./sandbox/xs2a/
func BenchmarkSignedInitiation(b *testing.B) {
	prof := ProfileBG()
	bank, err := New(Config{Profile: &prof, DataDir: b.TempDir(), BalanceMinor: map[string]int64{"EUR": 1 << 50}})
	if err != nil {
		b.Fatal(err)
	}
	if err := bank.Start(); err != nil {
		b.Fatal(err)
	}
	defer bank.Close()
	tk, sk := testKey(0), testKey(1)
	reg, err := bank.Register(TPPRegistration{Name: "Bench TPP", RedirectURIs: []string{testRedirect}, TransportKey: &tk.PublicKey, SigningKey: &sk.PublicKey})
	if err != nil {
		b.Fatal(err)
	}
	qwac, _ := pem.Decode([]byte(reg.QWACPEM))
	seal, _ := pem.Decode([]byte(reg.QSealCPEM))
	sealB64 := base64.StdEncoding.EncodeToString(seal.Bytes)
	const conns = 8
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, TLSClientConfig: &tls.Config{RootCAs: bank.RootCAs(),
		Certificates: []tls.Certificate{{Certificate: [][]byte{qwac.Bytes}, PrivateKey: tk}}}}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	sum := sha256.Sum256(bodyBG)
	digest := "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
	url := bank.BaseURL() + sctPath
	type signed struct{ xrid, date, sig string }
	reqs := make([]signed, b.N)
	for i := range reqs {
		xrid := newUUID()
		date := time.Now().UTC().Format(http.TimeFormat)
		ss := "digest: " + digest + "\nx-request-id: " + xrid + "\ntpp-redirect-uri: " + testRedirect + "\ndate: " + date
		h := sha256.Sum256([]byte(ss))
		sig, err := rsa.SignPKCS1v15(rand.Reader, sk, crypto.SHA256, h[:])
		if err != nil {
			b.Fatal(err)
		}
		reqs[i] = signed{xrid, date, fmt.Sprintf(`keyId="%s",algorithm="rsa-sha256",headers="digest x-request-id tpp-redirect-uri date",signature="%s"`,
			reg.KeyID, base64.StdEncoding.EncodeToString(sig))}
	}
	send := func(s signed) error {
		req, _ := http.NewRequest("POST", url, bytes.NewReader(bodyBG))
		h := req.Header
		h.Set("Content-Type", "application/json")
		h.Set("X-Request-ID", s.xrid)
		h.Set("PSU-IP-Address", "192.168.8.78")
		h.Set("TPP-Redirect-URI", testRedirect)
		h.Set("Date", s.date)
		h.Set("Digest", digest)
		h.Set("TPP-Signature-Certificate", sealB64)
		h.Set("Signature", s.sig)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 201 {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
	var next atomic.Int64
	var failed atomic.Value
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(reqs) {
					return
				}
				if err := send(reqs[i]); err != nil {
					failed.Store(err.Error())
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if f := failed.Load(); f != nil {
		b.Fatalf("a request failed: %v", f)
	}
	if got := bank.PaymentCount(); got != b.N {
		b.Fatalf("%d payments for %d requests", got, b.N)
	}
	perPayment := elapsed / time.Duration(b.N)
	floor := rsaVerifyFloor(b, &sk.PublicKey)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "payments/s")
	b.ReportMetric(float64(perPayment)/float64(floor), "verify-floors/payment")
	b.ReportMetric(float64(floor.Nanoseconds()), "ns/rsa-verify")
	if testing.Verbose() {
		b.Logf("%d payments in %s (%s each); RSA verify %s", b.N, elapsed.Round(time.Millisecond), perPayment, floor)
	}
}

// rsaVerifyFloor is the mean time of one RSA-2048 PKCS#1 v1.5 SHA-256 verify on this machine,
// measured single-threaded right after the run it is paired with.
func rsaVerifyFloor(b *testing.B, pub *rsa.PublicKey) time.Duration {
	msg := strings.Repeat("x", 200)
	h := sha256.Sum256([]byte(msg))
	sig, _ := rsa.SignPKCS1v15(rand.Reader, testKey(1), crypto.SHA256, h[:])
	const n = 3000
	start := time.Now()
	for range n {
		hh := sha256.Sum256([]byte(msg))
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, hh[:], sig); err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start) / n
}
