package xs2a

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payterm/payterm/internal/httpsig"
	"github.com/payterm/payterm/internal/specs"
)

// The fake bank of these tests: an httptest TLS server that checks every request the way a
// strict BG bank does (the signature and digest verify under the certificate sent in
// TPP-Signature-Certificate, the keyId names that certificate, the request conforms to the BG
// OpenAPI, amounts pass the anchored rule) and answers what the test scripted. It is not the
// sandbox: it shares nothing with sandbox/xs2a.

var (
	keyOnce sync.Once
	tppKey  *rsa.PrivateKey
	tppCert *x509.Certificate
)

func qsealc(t testing.TB) (*rsa.PrivateKey, *x509.Certificate) {
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(0x1a2b3c),
			Subject:      pkix.Name{CommonName: "payterm TPP", Organization: []string{"payterm"}, Country: []string{"NO"}},
			Issuer:       pkix.Name{CommonName: "Example QTSP CA", Organization: []string{"Example"}, Country: []string{"DE"}},
			NotBefore:    time.Unix(0, 0), NotAfter: time.Unix(1<<33, 0),
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
		if err != nil {
			panic(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			panic(err)
		}
		tppKey, tppCert = k, c
	})
	return tppKey, tppCert
}

type answer struct {
	status int
	header map[string]string
	body   string
	// notBG: the body is a bank's own shape (SpareBank 1 errors), not in the BG OpenAPI.
	notBG bool
	// hangUp closes the connection without an answer.
	hangUp bool
	// schema validates the body against this component instead of the operation's response
	// (the PUT answers' oneOf matches several branches for any body: a defect of the file).
	schema string
}

type seen struct {
	method, uri string
	header      http.Header
	body        []byte
}

type fakeBank struct {
	t       *testing.T
	srv     *httptest.Server
	doc     *specs.BGDoc
	mu      sync.Mutex
	answers map[string]answer // "METHOD /path" (no query)
	got     []seen
	keyID   string
}

const prefix = "/psd2"

func newFakeBank(t *testing.T, keyID string) *fakeBank {
	f := &fakeBank{t: t, doc: specs.RequireBerlinGroup(t), answers: map[string]answer{}, keyID: keyID}
	f.srv = httptest.NewTLSServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeBank) on(method, path string, a answer) {
	f.mu.Lock()
	f.answers[method+" "+path] = a
	f.mu.Unlock()
}

func (f *fakeBank) last() seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.got) == 0 {
		f.t.Fatal("the bank saw no request")
	}
	return f.got[len(f.got)-1]
}

func (f *fakeBank) serve(w http.ResponseWriter, r *http.Request) {
	t := f.t
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.got = append(f.got, seen{r.Method, r.RequestURI, r.Header.Clone(), body})
	a, ok := f.answers[r.Method+" "+r.URL.Path]
	f.mu.Unlock()
	if !ok {
		t.Errorf("fake bank: no answer scripted for %s %s", r.Method, r.URL.Path)
		w.WriteHeader(500)
		return
	}
	f.check(r, body)
	if a.hangUp {
		hj, _ := w.(http.Hijacker)
		conn, _, err := hj.Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	for k, v := range a.header {
		w.Header().Set(k, v)
	}
	if w.Header().Get("Content-Type") == "" && a.body != "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Header().Set("X-Request-ID", r.Header.Get("X-Request-ID"))
	if a.schema != "" {
		if err := f.doc.Validate(a.schema, []byte(a.body)); err != nil {
			t.Errorf("fake bank's own answer does not conform to %s: %v", a.schema, err)
		}
	} else if !a.notBG && a.status != 204 && !strings.HasPrefix(r.URL.Path, prefix+"/v1/users") {
		path := bgPath(strings.TrimPrefix(r.URL.Path, prefix))
		if err := f.doc.ValidateResponse(r.Method, path, a.status, w.Header(), []byte(a.body)); err != nil {
			t.Errorf("fake bank's own answer to %s %s does not conform: %v", r.Method, path, err)
		}
	}
	w.WriteHeader(a.status)
	io.WriteString(w, a.body)
}

// check is what a strict bank checks of every request.
func (f *fakeBank) check(r *http.Request, body []byte) {
	t := f.t
	der, err := base64.StdEncoding.DecodeString(r.Header.Get("TPP-Signature-Certificate"))
	if err != nil {
		t.Errorf("TPP-Signature-Certificate is not base64 DER")
		return
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Errorf("TPP-Signature-Certificate: %v", err)
		return
	}
	p, err := httpsig.Verify(r.Method, r.URL.RequestURI(), r.Header, body, cert.PublicKey)
	if err != nil {
		t.Errorf("signature of %s %s: %v", r.Method, r.URL.Path, err)
	}
	if p.KeyID != f.keyID {
		t.Errorf("keyId %q, want %q", p.KeyID, f.keyID)
	}
	if id := r.Header.Get("X-Request-ID"); !uuidRE.MatchString(id) || id[14] != '4' {
		t.Errorf("X-Request-ID %q is not a UUIDv4", id)
	}
	if _, err := http.ParseTime(r.Header.Get("Date")); err != nil {
		t.Errorf("Date %q: %v", r.Header.Get("Date"), err)
	}
	if strings.HasPrefix(r.URL.Path, prefix+"/v1/users") {
		return // SpareBank 1's session endpoint is not in the BG OpenAPI
	}
	path := bgPath(strings.TrimPrefix(r.URL.RequestURI(), prefix))
	authorisationBody := strings.Contains(r.URL.Path, "authorisations") && len(body) > 0 && string(body) != "{}"
	if authorisationBody {
		if err := f.doc.ValidateRequestHeaders(r.Method, path, r.Header, body); err != nil {
			t.Errorf("request does not conform: %v", err)
		}
		schema := ""
		switch {
		case bytes.Contains(body, []byte(`"psuData"`)):
			schema = "updatePsuAuthentication"
		case bytes.Contains(body, []byte(`"authenticationMethodId"`)):
			schema = "selectPsuAuthenticationMethod"
		case bytes.Contains(body, []byte(`"scaAuthenticationData"`)):
			schema = "transactionAuthorisation"
		case bytes.Contains(body, []byte(`"confirmationCode"`)):
			schema = "authorisationConfirmation"
		}
		if err := f.doc.Validate(schema, body); err != nil {
			t.Errorf("body does not conform to %s: %v", schema, err)
		}
		return
	}
	if err := f.doc.ValidateRequest(r.Method, path, r.Header, body); err != nil {
		t.Errorf("request does not conform: %v", err)
	}
	if r.Method == http.MethodPost && !strings.Contains(r.URL.Path, "authorisations") {
		amt := between(string(body), `"amount":"`, `"`)
		if !AmountOK(amt) {
			t.Errorf("amount %q fails the anchored rule", amt)
		}
	}
}

// bgProducts are the product names of the BG OpenAPI's path enum.
var bgProducts = map[string]bool{"sepa-credit-transfers": true, "instant-sepa-credit-transfers": true, "target-2-payments": true, "cross-border-credit-transfers": true}

// bgPath puts a BG product in place of a bank's own (SpareBank 1's Norwegian products, BOG's
// domestic/foreign), which the BG file's path enum does not list; everything else of the
// request is validated as it is.
func bgPath(p string) string {
	parts := strings.SplitN(p, "/", 5) // "", "v1", service, product, rest
	if len(parts) >= 4 && parts[1] == "v1" && strings.HasSuffix(parts[2], "payments") && !bgProducts[parts[3]] {
		parts[3] = "sepa-credit-transfers"
	}
	return strings.Join(parts, "/")
}

func between(s, a, b string) string {
	_, rest, ok := strings.Cut(s, a)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, b)
	return v
}

var testClock = func() time.Time { return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC) }

func newTestClient(t *testing.T, p Profile, mod func(*Config)) (*Client, *fakeBank, *[]Exchange) {
	k, c := qsealc(t)
	keyID, err := httpsig.CertKeyID(c, p.KeyID)
	if err != nil {
		t.Fatal(err)
	}
	f := newFakeBank(t, keyID)
	var exs []Exchange
	cfg := Config{
		Profile: p, BaseURL: f.srv.URL + prefix, HTTPClient: f.srv.Client(), Certificate: c, Key: k,
		RedirectURI: "https://tpp.example/cb?state=abc", Clock: testClock,
		Observer: func(e Exchange) { exs = append(exs, e) },
	}
	if mod != nil {
		mod(&cfg)
	}
	cl, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cl, f, &exs
}
