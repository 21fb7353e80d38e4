package op

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payterm/payterm/sandbox/op/ojws"
)

const (
	clientID = "tpp-client"
	secret   = "tpp-secret"
	apiKey   = "api-key-1"
	redirect = "https://wallet.example/op/back"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// selfSigned makes a certificate for key (CN), valid around now.
func selfSigned(t testing.TB, key *ecdsa.PrivateKey, cn string, server bool) tls.Certificate {
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	if server {
		tmpl.DNSNames, tmpl.IPAddresses = []string{"localhost"}, []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// env is a bank behind TLS with a registered client: its key signs bodies and request
// objects (ojws's signer stands in for the client here), its certificate is presented.
type env struct {
	t       *testing.T
	clk     *clock
	dir     string
	bank    *Bank
	srv     *httptest.Server
	cliKey  *ecdsa.PrivateKey
	cliCert tls.Certificate
	api     *http.Client // mTLS
	browser *http.Client // no client certificate, no redirects
	sign    *ojws.Signer
}

func newEnv(t *testing.T) *env {
	e := &env{t: t, clk: &clock{t: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)}, dir: t.TempDir(), cliKey: newKey(t)}
	e.cliCert = selfSigned(t, e.cliKey, "tpp", false)
	e.sign = &ojws.Signer{Key: e.cliKey, KID: "tpp-kid"}
	e.startBank()
	return e
}

func (e *env) clientJWKS() []byte {
	var jw map[string][]map[string]string
	json.Unmarshal(e.sign.JWKS(), &jw)
	out, _ := json.Marshal(jw)
	return out
}

// startBank (re)starts the bank over the same data dir, on the same address.
func (e *env) startBank() {
	b, err := New(Config{DataDir: e.dir, ClientID: clientID, ClientSecret: secret, APIKey: apiKey, ClientJWKS: e.clientJWKS(),
		ClientCert: e.cliCert.Leaf, RedirectURIs: []string{redirect}, Clock: e.clk.Now})
	if err != nil {
		e.t.Fatal(err)
	}
	e.bank = b
	if e.srv == nil {
		e.srv = httptest.NewUnstartedServer(b.Handler())
		e.srv.TLS = TLSConfig(selfSigned(e.t, newKey(e.t), "localhost", true))
		e.srv.StartTLS()
		e.t.Cleanup(e.srv.Close)
		pool := x509.NewCertPool()
		pool.AddCert(e.srv.TLS.Certificates[0].Leaf)
		e.api = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{e.cliCert}}}}
		e.browser = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	} else {
		e.srv.Config.Handler = b.Handler()
	}
	b.SetURL(e.srv.URL)
}

// do sends a request and returns the answer; signed answers are checked against the bank's
// JWKS here, so every test also proves the bank signs what it says.
func (e *env) do(c *http.Client, req *http.Request) (*http.Response, []byte) {
	e.t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if sig := resp.Header.Get("x-jws-signature"); sig != "" {
		keys, _ := ojws.ParseJWKS(e.bank.JWKS())
		if _, err := ojws.VerifyDetached(sig, b, keys); err != nil {
			e.t.Fatalf("the bank's answer signature fails: %v", err)
		}
	} else if strings.HasPrefix(req.URL.Path, "/payments-psd2/") {
		e.t.Fatalf("an API answer without x-jws-signature: %d %s", resp.StatusCode, b)
	}
	return resp, b
}

func (e *env) form(c *http.Client, f url.Values) (*http.Response, []byte) {
	req, _ := http.NewRequest("POST", e.srv.URL+"/oauth/token", strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.do(c, req)
}

func (e *env) clientToken() string {
	e.t.Helper()
	resp, b := e.form(e.api, url.Values{"grant_type": {"client_credentials"}, "scope": {"payments"}, "client_id": {clientID}, "client_secret": {secret}})
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(b, &tok) != nil || tok.AccessToken == "" {
		e.t.Fatalf("token %d %s", resp.StatusCode, b)
	}
	return tok.AccessToken
}

// call is one API request the test may tamper with before it leaves.
type call struct {
	method, path string
	body         []byte
	token        string
	key          string // x-idempotency-key
	sig          string // "" = sign body with the client key
	tamper       func(*http.Request)
}

func (e *env) payCall(token, key, body string) *call {
	return &call{method: "POST", path: "/payments-psd2/v1/sepa-payments", body: []byte(body), token: token, key: key}
}

const payBody = `{"amountEUR":"4.00","payee":{"iban":"FI4950009420028730","name":"Test Person"},"message":"test payment"}`

func (e *env) send(c *call) (*http.Response, []byte) {
	e.t.Helper()
	var r io.Reader
	if c.body != nil {
		r = strings.NewReader(string(c.body))
	}
	req, _ := http.NewRequest(c.method, e.srv.URL+c.path, r)
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("x-api-key", apiKey)
	req.Header.Set("x-fapi-interaction-id", "3f0c2a56-9a1e-4b7e-8d7e-2c1f5e4b9a10")
	if c.body != nil {
		req.Header.Set("Content-Type", "application/json")
		sig := c.sig
		if sig == "" {
			sig, _ = e.sign.Detached(c.body)
		}
		req.Header.Set("x-jws-signature", sig)
	}
	if c.key != "" {
		req.Header.Set("x-idempotency-key", c.key)
	}
	if c.tamper != nil {
		c.tamper(req)
	}
	return e.do(e.api, req)
}

type payment struct {
	PaymentID       string `json:"paymentId"`
	AuthorizationID string `json:"authorizationId"`
	Status          string `json:"status"`
	AmountEUR       string `json:"amountEUR"`
}

func (e *env) created(token, key, body string) payment {
	e.t.Helper()
	resp, b := e.send(e.payCall(token, key, body))
	var p payment
	if resp.StatusCode != 201 || json.Unmarshal(b, &p) != nil || p.PaymentID == "" {
		e.t.Fatalf("create %d %s", resp.StatusCode, b)
	}
	return p
}

// requestObject signs a default-flow request object for authID, with mut applied to the
// claims first.
func (e *env) requestObject(authID string, mut func(map[string]any)) string {
	now := e.clk.Now()
	c := map[string]any{"aud": e.srv.URL, "iss": clientID, "response_type": "code", "client_id": clientID, "redirect_uri": redirect,
		"scope": "openid payments", "state": "st-1_abc", "nonce": "nonce-1", "max_age": 86400, "iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
		"claims": map[string]any{
			"userinfo": map[string]any{"authorizationId": map[string]any{"value": authID, "essential": true}},
			"id_token": map[string]any{"authorizationId": map[string]any{"value": authID, "essential": true},
				"acr": map[string]any{"essential": true, "values": []string{"urn:openbanking:psd2:sca"}}}}}
	if mut != nil {
		mut(c)
	}
	jwt, err := e.sign.JWT(c)
	if err != nil {
		e.t.Fatal(err)
	}
	return jwt
}

func (e *env) authorizeURL(jwt string) string {
	q := url.Values{"request": {jwt}, "response_type": {"code"}, "client_id": {clientID}, "scope": {"openid payments"}}
	return e.srv.URL + "/oauth/authorize?" + q.Encode()
}

var pageField = regexp.MustCompile(`name="page" value="([^"]+)"`)

// approve opens the authorize page and submits it approving ids ("all" approves every
// payment shown); it returns the redirect's query.
func (e *env) approve(authURL string, outcome string, ids ...string) url.Values {
	e.t.Helper()
	req, _ := http.NewRequest("GET", authURL, nil)
	resp, page := e.do(e.browser, req)
	if resp.StatusCode != 200 {
		e.t.Fatalf("authorize page %d %s", resp.StatusCode, page)
	}
	m := pageField.FindSubmatch(page)
	if m == nil {
		e.t.Fatalf("no form: %s", page)
	}
	f := url.Values{"page": {string(m[1])}, "outcome": {outcome}, "approve": ids}
	req, _ = http.NewRequest("POST", e.srv.URL+"/oauth/authorize", strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, _ = e.do(e.browser, req)
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != 303 || err != nil || !strings.HasPrefix(loc.String(), redirect+"?") {
		e.t.Fatalf("after the page: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query()
}

type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
}

func (e *env) exchange(code string) tokens {
	e.t.Helper()
	resp, b := e.form(e.api, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}, "client_id": {clientID}, "client_secret": {secret}})
	var tk tokens
	if resp.StatusCode != 200 || json.Unmarshal(b, &tk) != nil {
		e.t.Fatalf("exchange %d %s", resp.StatusCode, b)
	}
	return tk
}

// authorised creates one payment, approves it and returns it with the payer's tokens.
func (e *env) authorised() (payment, tokens) {
	e.t.Helper()
	p := e.created(e.clientToken(), "key-1", payBody)
	q := e.approve(e.authorizeURL(e.requestObject(p.AuthorizationID, nil)), "approve", p.PaymentID)
	return p, e.exchange(q.Get("code"))
}

func (e *env) submitCall(token, pid, sid string) *call {
	return &call{method: "PUT", path: "/payments-psd2/v1/sepa-payments/" + pid + "/submissions/" + sid, token: token}
}

type submission struct {
	SubmissionID string `json:"submissionId"`
	Status       string `json:"status"`
}

func decodeSub(t *testing.T, b []byte) submission {
	var s submission
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("%s", b)
	}
	return s
}

// rejected sends c and checks the bank refused it with status under rule (the last verdict's
// first failed check) and in OP's error form.
func (e *env) rejected(c *call, status, rule int) {
	e.t.Helper()
	resp, b := e.send(c)
	e.expectRefusal(resp, b, status, rule)
}

func (e *env) expectRefusal(resp *http.Response, b []byte, status, rule int) {
	e.t.Helper()
	if resp.StatusCode != status {
		e.t.Fatalf("HTTP %d %s, want %d", resp.StatusCode, b, status)
	}
	vs := e.bank.Verdicts()
	f := vs[len(vs)-1].Failed()
	if f == nil || f.Rule != rule {
		e.t.Fatalf("failed check %+v, want rule %d", f, rule)
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

type tls_Certificate = tls.Certificate

type nopCloser struct{ io.Reader }

func (nopCloser) Close() error { return nil }

func stringsReader(s string) io.Reader { return strings.NewReader(s) }
