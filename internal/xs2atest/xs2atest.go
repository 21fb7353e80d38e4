// Package xs2atest runs the strict embedded Berlin Group bank (sandbox/xs2a) for tests of the
// client side (internal/interop, provider/xs2a): it starts a bank on a shared clock, registers a
// TPP through the bank's registration API with CSRs of test keys, builds the xs2a client's
// configuration from the certificates the bank issued, and plays the payer's browser on the
// bank's pages. Only tests import it; nothing under sandbox/ may (the bank's import rule), so it
// lives outside both sides.
package xs2atest

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	bank "github.com/payterm/payterm/sandbox/xs2a"
	"github.com/payterm/payterm/xs2a"
)

// Clock is the one clock a bank and its client share: the bank checks the client's Date within
// 30 s, and settlement moves on it. It starts at the real time (the certificates the bank
// issues are checked by TLS on the real clock) and only moves when a test says so.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now is the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Add moves the clock on.
func (c *Clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

var (
	keysOnce            sync.Once
	transportKey, sealK *rsa.PrivateKey
)

// Keys are the TPP's two RSA keys (QWAC and QSealC), generated once per test binary; every
// bank of a test gets CSRs made from them.
func Keys() (transport, seal *rsa.PrivateKey) {
	keysOnce.Do(func() {
		var err error
		if transportKey, err = rsa.GenerateKey(rand.Reader, 2048); err == nil {
			sealK, err = rsa.GenerateKey(rand.Reader, 2048)
		}
		if err != nil {
			panic(err)
		}
	})
	return transportKey, sealK
}

// The redirect URIs the TPP registers (any port of 127.0.0.1 is allowed by the bank's
// loopback rule), and the admin token of every bank started here.
const (
	OKRedirect       = "https://tpp.example/cb"
	NokRedirect      = "https://tpp.example/cb?nok=1"
	LoopbackRedirect = "http://127.0.0.1/cb"
	AdminToken       = "interop-admin-token-0123456789"
)

// Registration is the bank's answer to POST /tpp/register (sandbox/xs2a README).
type Registration struct {
	TPPID     string `json:"tpp_id"`
	QWACPEM   string `json:"qwac_pem"`
	QSealCPEM string `json:"qsealc_pem"`
	CACertPEM string `json:"ca_cert_pem"`
	KeyID     string `json:"key_id"`
}

// Env is one running bank with one registered TPP.
type Env struct {
	T       *testing.T
	Bank    *bank.Bank
	Clock   *Clock
	Reg     Registration
	Browser *http.Client // the payer's browser: no client certificate, follows no redirect
}

// Start runs a bank with the profile on a fresh shared clock and registers a TPP over the
// registration API with CSRs of Keys. mod changes the bank's configuration first.
func Start(t *testing.T, prof bank.Profile, mod ...func(*bank.Config)) *Env {
	t.Helper()
	clk := &Clock{t: time.Now().UTC().Truncate(time.Second)}
	cfg := bank.Config{Profile: &prof, Clock: clk.Now, AdminToken: AdminToken}
	for _, m := range mod {
		m(&cfg)
	}
	b, err := bank.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	e := &Env{T: t, Bank: b, Clock: clk}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(b.CACertPEM()) {
		t.Fatal("the bank's CA PEM holds no certificate")
	}
	jar, _ := cookiejar.New(nil)
	btr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}
	t.Cleanup(btr.CloseIdleConnections)
	e.Browser = &http.Client{Jar: jar, Transport: btr, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tk, sk := Keys()
	e.Reg = register(t, e.Browser, b.RegistrationURL(), tk, sk)
	return e
}

// ClientConfig is the xs2a client's configuration for this TPP at this bank: the mTLS client
// from the issued QWAC (its transport passed through wrap when wrap is not nil), the QSealC
// and its key, the registered redirect URIs, Embedded allowed, the TPP id as OAuth client_id,
// the shared clock.
func (e *Env) ClientConfig(p xs2a.Profile, wrap func(http.RoundTripper) http.RoundTripper) xs2a.Config {
	t := e.T
	t.Helper()
	tk, sk := Keys()
	regRoots := x509.NewCertPool()
	if !regRoots.AppendCertsFromPEM([]byte(e.Reg.CACertPEM)) {
		t.Fatal("the registration's CA PEM holds no certificate")
	}
	hc, err := xs2a.NewMTLSClient([]byte(e.Reg.QWACPEM), tk, regRoots)
	if err != nil {
		t.Fatal(err)
	}
	if tr, ok := hc.Transport.(*http.Transport); ok {
		t.Cleanup(tr.CloseIdleConnections)
	}
	if wrap != nil {
		hc.Transport = wrap(hc.Transport)
	}
	blk, _ := pem.Decode([]byte(e.Reg.QSealCPEM))
	if blk == nil {
		t.Fatal("no QSealC PEM in the registration")
	}
	seal, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return xs2a.Config{Profile: p, BaseURL: e.Bank.BaseURL(), HTTPClient: hc, Certificate: seal, Key: sk,
		RedirectURI: OKRedirect, NokRedirectURI: NokRedirect, AllowEmbedded: true, OAuthClientID: e.Reg.TPPID, Clock: e.Clock.Now}
}

func csr(t *testing.T, k *rsa.PrivateKey) string {
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "payterm interop TPP"}}, k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

// register is POST /tpp/register over HTTPS (trusting the bank's CA, no client certificate).
func register(t *testing.T, hc *http.Client, regURL string, tk, sk *rsa.PrivateKey) Registration {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"name": "payterm interop TPP", "redirect_uris": []string{OKRedirect, LoopbackRedirect},
		"transport_csr_pem": csr(t, tk), "signing_csr_pem": csr(t, sk)})
	resp, err := hc.Post(regURL, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("register: %d %s", resp.StatusCode, raw)
	}
	var reg Registration
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&reg); err != nil || reg.TPPID == "" || reg.KeyID == "" {
		t.Fatalf("registration answer %s: %v", raw, err)
	}
	return reg
}

var (
	formRE  = regexp.MustCompile(`<form method="post" action="([^"]+)">`)
	tokenRE = regexp.MustCompile(`name="token" value="([^"]+)"`)
)

// Decide is the payer at the bank's page: it opens the page as a browser would, posts the
// form with Approve or Deny (and any extra fields), and returns where the bank sends the
// browser back.
func (e *Env) Decide(page string, approve bool, extra url.Values) *url.URL {
	t := e.T
	t.Helper()
	resp, err := e.Browser.Get(page)
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("page %s: %d %s", page, resp.StatusCode, html)
	}
	f, tok := formRE.FindSubmatch(html), tokenRE.FindSubmatch(html)
	if f == nil || tok == nil {
		t.Fatalf("no form on the page: %s", html)
	}
	pu, _ := url.Parse(page)
	action, err := pu.Parse(string(f[1]))
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"token": {string(tok[1])}, "decision": {map[bool]string{true: "approve", false: "deny"}[approve]}}
	for k, v := range extra {
		form[k] = v
	}
	resp, err = e.Browser.PostForm(action.String(), form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("decision: %d", resp.StatusCode)
	}
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return back
}

// Admin calls the bank's admin API (loopback, bearer token), as the bank's operator.
func (e *Env) Admin(method, path string) (int, []byte) {
	t := e.T
	t.Helper()
	req, _ := http.NewRequest(method, e.Bank.AdminURL()+path, nil)
	req.Header.Set("Authorization", "Bearer "+AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}
