package xs2a

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// The test TPP below signs requests with its own draft-cavage code, written for these tests
// (not the client's internal/httpsig), so the bank's verifier is exercised by a third reading.

var (
	keyPoolOnce sync.Once
	keyPool     []*rsa.PrivateKey
)

// testKey returns one of a few 2048-bit keys generated once per test binary.
func testKey(i int) *rsa.PrivateKey {
	keyPoolOnce.Do(func() {
		for range 6 {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			keyPool = append(keyPool, k)
		}
	})
	return keyPool[i%len(keyPool)]
}

// fakeClock is the injected clock; tests move it.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type testBank struct {
	*Bank
	clock *fakeClock
	dir   string
}

func newTestBank(t *testing.T, prof Profile, mod ...func(*Config)) *testBank {
	t.Helper()
	clk := &fakeClock{t: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	cfg := Config{Profile: &prof, DataDir: t.TempDir(), Clock: clk.Now}
	for _, m := range mod {
		m(&cfg)
	}
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return &testBank{Bank: b, clock: clk, dir: cfg.DataDir}
}

// tpp is a registered TPP that talks to the bank.
type tpp struct {
	t        *testing.T
	bank     *testBank
	reg      Registration
	client   *http.Client
	sealKey  *rsa.PrivateKey
	sealB64  string
	redirect string
	psuID    string
	session  string
}

const testRedirect = "https://tpp.example/cb"

func newTPP(t *testing.T, b *testBank, n int) *tpp {
	t.Helper()
	tk, sk := testKey(2*n), testKey(2*n+1)
	reg, err := b.Register(TPPRegistration{Name: fmt.Sprintf("Test TPP %d", n), RedirectURIs: []string{testRedirect, "http://127.0.0.1/cb"},
		TransportKey: &tk.PublicKey, SigningKey: &sk.PublicKey})
	if err != nil {
		t.Fatal(err)
	}
	return tppFrom(t, b, reg, tk, sk)
}

func tppFrom(t *testing.T, b *testBank, reg Registration, tk, sk *rsa.PrivateKey) *tpp {
	qwac, _ := pem.Decode([]byte(reg.QWACPEM))
	seal, _ := pem.Decode([]byte(reg.QSealCPEM))
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: b.RootCAs(),
		Certificates: []tls.Certificate{{Certificate: [][]byte{qwac.Bytes}, PrivateKey: tk}}}}
	t.Cleanup(tr.CloseIdleConnections)
	return &tpp{t: t, bank: b, reg: reg, sealKey: sk, sealB64: base64.StdEncoding.EncodeToString(seal.Bytes), redirect: testRedirect,
		client: &http.Client{Transport: tr, Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// opts change how one request is built, to send each mistake.
type opts struct {
	hdr        map[string]string // extra or replaced headers ("" deletes)
	unsigned   bool
	signed     []string // override the signed header list
	keyID      string
	alg        string
	digest     string
	date       *time.Time
	cert       string
	wrap       bool
	badSig     bool
	noPSUIP    bool
	requestID  string
	after      func(*http.Request) // after signing: tampering
	hashSHA512 bool
}

type result struct {
	status int
	hdr    http.Header
	body   []byte
	json   map[string]any
	reqID  string
}

func (r result) code() string {
	if c, ok := r.json["code"].(string); ok {
		return c
	}
	if msgs, ok := r.json["tppMessages"].([]any); ok && len(msgs) > 0 {
		if m, ok := msgs[0].(map[string]any); ok {
			c, _ := m["code"].(string)
			return c
		}
	}
	return ""
}

func (r result) link(name string) string {
	links, _ := r.json["_links"].(map[string]any)
	l, _ := links[name].(map[string]any)
	h, _ := l["href"].(string)
	return h
}

func (r result) str(k string) string { s, _ := r.json[k].(string); return s }

func newUUID() string {
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	h := fmt.Sprintf("%x", u[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// do sends one request, signed the way the bank's profile wants unless o says otherwise.
func (c *tpp) do(method, path string, body []byte, o opts) result {
	c.t.Helper()
	u := path
	if !strings.HasPrefix(path, "http") {
		u = c.bank.BaseURL() + path
	}
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	h := req.Header
	xrid := newUUID()
	if o.requestID != "" {
		xrid = o.requestID
	}
	h.Set("X-Request-ID", xrid)
	if len(body) > 0 {
		h.Set("Content-Type", "application/json")
	}
	if !o.noPSUIP {
		h.Set("PSU-IP-Address", "192.168.8.78")
	}
	if c.psuID != "" {
		h.Set("PSU-ID", c.psuID)
	}
	if c.session != "" {
		h.Set("TPP-Session-ID", c.session)
	}
	if method == http.MethodPost && strings.Count(strings.TrimPrefix(path, "/v1/"), "/") == 1 || strings.HasSuffix(path, "authorisations") && method == http.MethodPost {
		h.Set("TPP-Redirect-URI", c.redirect)
	}
	for k, v := range o.hdr {
		if v == "" {
			h.Del(k)
		} else {
			h.Set(k, v)
		}
	}
	if !o.unsigned {
		c.sign(req, body, o)
	}
	if o.after != nil {
		o.after(req)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return result{status: -1, reqID: xrid}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := result{status: resp.StatusCode, hdr: resp.Header, body: raw, reqID: xrid}
	_ = json.Unmarshal(raw, &r.json)
	return r
}

// sign adds Digest, Date, TPP-Signature-Certificate and Signature (draft-cavage-10).
func (c *tpp) sign(req *http.Request, body []byte, o opts) {
	h := req.Header
	sum := sha256.Sum256(body)
	digest := "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
	if o.digest != "" {
		digest = o.digest
	}
	if digest != "-" {
		h.Set("Digest", digest)
	}
	date := c.bank.Now()
	if o.date != nil {
		date = *o.date
	}
	h.Set("Date", date.UTC().Format(http.TimeFormat))
	cert := c.sealB64
	if o.cert != "" {
		cert = o.cert
	}
	if cert != "-" {
		h.Set("TPP-Signature-Certificate", cert)
	}
	names := o.signed
	if names == nil {
		names = []string{"digest", "x-request-id"}
		for _, n := range []string{"psu-id", "psu-corporate-id", "tpp-redirect-uri"} {
			if h.Get(n) != "" {
				names = append(names, n)
			}
		}
		names = append(names, "date")
	}
	var lines []string
	for _, n := range names {
		lines = append(lines, n+": "+strings.TrimSpace(strings.Join(h.Values(n), ", ")))
	}
	ss := strings.Join(lines, "\n")
	alg, hash := "rsa-sha256", crypto.SHA256
	var hashed []byte
	if o.hashSHA512 {
		alg, hash = "rsa-sha512", crypto.SHA512
		s := crypto.SHA512.New()
		s.Write([]byte(ss))
		hashed = s.Sum(nil)
	} else {
		s := sha256.Sum256([]byte(ss))
		hashed = s[:]
	}
	sig, err := rsa.SignPKCS1v15(rand.Reader, c.sealKey, hash, hashed)
	if err != nil {
		c.t.Fatal(err)
	}
	if o.badSig {
		sig[10] ^= 0xff
	}
	if o.alg != "" {
		alg = o.alg
	}
	keyID := c.reg.KeyID
	if o.keyID != "" {
		keyID = o.keyID
	}
	v := fmt.Sprintf(`keyId="%s",algorithm="%s",headers="%s",signature="%s"`, keyID, alg, strings.Join(names, " "), base64.StdEncoding.EncodeToString(sig))
	if o.wrap {
		v = "=?utf-8?B?" + base64.StdEncoding.EncodeToString([]byte(v)) + "?="
	}
	h.Set("Signature", v)
}

// Payment bodies per profile.
var (
	bodyBG  = []byte(`{"instructedAmount":{"currency":"EUR","amount":"123.50"},"debtorAccount":{"iban":"DE40100100103307118608"},"creditorName":"Merchant123","creditorAccount":{"iban":"DE02100100109307118603"},"remittanceInformationUnstructured":"Ref Number Merchant"}`)
	bodySB1 = []byte(`{"instructedAmount":{"currency":"NOK","amount":"250.00"},"debtorAccount":{"bban":"86011117947"},"creditorName":"Kiosk AS","creditorAccount":{"bban":"12345678903"},"remittanceInformationUnstructured":"Faktura 42"}`)
	bodyBOG = []byte(`{"instructedAmount":{"currency":"GEL","amount":"123.50"},"debtorAccount":{"iban":"GE29NB0000000101904917"},"creditorName":"Merchant123","creditorAccount":{"iban":"GE60NB0000000123456789"},"remittanceInformationUnstructured":"Ref Number Merchant"}`)
)

func productPath(p Profile) (string, []byte) {
	switch p.Name {
	case "sb1":
		return "/v1/payments/norwegian-domestic-credit-transfers", bodySB1
	case "bog":
		return "/v1/payments/domestic", bodyBOG
	}
	return "/v1/payments/sepa-credit-transfers", bodyBG
}

// initiate creates a payment and fails the test unless the bank answers 201.
func (c *tpp) initiate(o opts) result {
	c.t.Helper()
	path, body := productPath(c.bank.prof)
	r := c.do("POST", path, body, o)
	if r.status != 201 {
		c.t.Fatalf("initiate: %d %s", r.status, r.body)
	}
	return r
}

// pathOf turns a link href into a path relative to BaseURL.
func (c *tpp) pathOf(href string) string {
	href = strings.TrimPrefix(href, c.bank.APIURL())
	return strings.TrimPrefix(href, c.bank.prof.PathPrefix)
}

// expectRule checks status, code and that the verdict's first failed rule is rule.
func expectRule(t *testing.T, b *testBank, r result, status int, code string, rule int) {
	t.Helper()
	if r.status != status || r.code() != code {
		t.Fatalf("got %d %q, want %d %q: %s", r.status, r.code(), status, code, r.body)
	}
	v, ok := b.VerdictFor(r.reqID)
	if !ok {
		t.Fatalf("no verdict for %s", r.reqID)
	}
	if got := v.FailedRule(); got != rule {
		t.Fatalf("verdict's failed rule = %d, want %d: %+v", got, rule, v.Checks)
	}
}

// browser is a cookie-keeping client for the bank's pages that does not follow redirects.
func browser(t *testing.T, b *testBank) *http.Client {
	jar, _ := cookiejar.New(nil)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: b.RootCAs()}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Jar: jar, Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var tokenRE = regexp.MustCompile(`name="token" value="([0-9a-f]+)"`)

// decide opens a bank page and presses Approve or Deny; it returns where the bank redirects.
func decide(t *testing.T, b *testBank, pageURL string, approve bool, extra url.Values) *url.URL {
	t.Helper()
	br := browser(t, b)
	resp, err := br.Get(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("page %s: %d %s", pageURL, resp.StatusCode, page)
	}
	m := tokenRE.FindSubmatch(page)
	if m == nil {
		t.Fatalf("no form token in page: %s", page)
	}
	form := url.Values{"token": {string(m[1])}, "decision": {map[bool]string{true: "approve", false: "deny"}[approve]}}
	for k, v := range extra {
		form[k] = v
	}
	resp, err = br.PostForm(b.BrowserURL()+"/decision", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("decision: %d", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func certOf(t *testing.T, pemText string) *x509.Certificate {
	t.Helper()
	c, err := parseCertPEM([]byte(pemText))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), raw, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func ioNopCloser(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// expiredSeal issues c's TPP a second QSealC (same key) that expired yesterday, registered as
// its signing certificate, and returns it as the header value.
func expiredSeal(t *testing.T, b *testBank, c *tpp) string {
	t.Helper()
	serial, _ := randSerial(rand.Reader)
	now := b.Now()
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: certOf(t, c.reg.QSealCPEM).Subject,
		NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, b.ca.cert, &c.sealKey.PublicKey, b.ca.key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	b.mu.Lock()
	b.st.Certs[serialHex(cert)] = &certRecord{TPPID: c.reg.TPPID, Kind: kindQSealC}
	b.mu.Unlock()
	return base64.StdEncoding.EncodeToString(der)
}

func csrPEM(t *testing.T, key any) string {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "tpp"}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

func tlsTrust(b *testBank) *tls.Config { return &tls.Config{RootCAs: b.RootCAs()} }
