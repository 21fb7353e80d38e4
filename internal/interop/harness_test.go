package interop

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payterm/payterm/internal/specs"
	bank "github.com/payterm/payterm/sandbox/xs2a"
	"github.com/payterm/payterm/xs2a"
)

var ctx = context.Background()

// clock is the one clock the bank and the client share: the bank checks the client's Date
// within 30 s, and settlement moves on it. It starts at the real time (the certificates the
// bank issues are checked by TLS on the real clock) and only moves when a test says so.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

var (
	keysOnce            sync.Once
	transportKey, sealK *rsa.PrivateKey
)

// tppKeys are the TPP's two RSA keys (QWAC and QSealC), generated once per test binary; every
// bank of a test gets CSRs made from them.
func tppKeys(t *testing.T) (*rsa.PrivateKey, *rsa.PrivateKey) {
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

const (
	okRedirect  = "https://tpp.example/cb"
	nokRedirect = "https://tpp.example/cb?nok=1"
	adminToken  = "interop-admin-token-0123456789"
)

// registration is the bank's answer to POST /tpp/register (sandbox/xs2a README).
type registration struct {
	TPPID     string `json:"tpp_id"`
	QWACPEM   string `json:"qwac_pem"`
	QSealCPEM string `json:"qsealc_pem"`
	CACertPEM string `json:"ca_cert_pem"`
	KeyID     string `json:"key_id"`
}

// env is one bank, one registered TPP and the client built for it.
type env struct {
	t       *testing.T
	bank    *bank.Bank
	clk     *clock
	reg     registration
	cl      *xs2a.Client
	val     *validator
	browser *http.Client
	exs     []xs2a.Exchange
	psu     xs2a.PSU
}

// start runs a bank with the profile, registers a TPP over the registration API with CSRs of
// the test's keys, and builds the client from what the bank issued.
func start(t *testing.T, prof bank.Profile, client xs2a.Profile, mod ...func(*bank.Config)) *env {
	t.Helper()
	doc := specs.RequireBerlinGroup(t)
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	cfg := bank.Config{Profile: &prof, Clock: clk.Now, AdminToken: adminToken}
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
	e := &env{t: t, bank: b, clk: clk, psu: xs2a.PSU{IPAddress: "192.168.8.78", UserAgent: "payterm-interop/1"}}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(b.CACertPEM()) {
		t.Fatal("the bank's CA PEM holds no certificate")
	}
	jar, _ := cookiejar.New(nil)
	btr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}
	t.Cleanup(btr.CloseIdleConnections)
	// The PSU's browser: no client certificate, does not follow redirects (the test reads
	// where the bank sends it back to the TPP).
	e.browser = &http.Client{Jar: jar, Transport: btr, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	tk, sk := tppKeys(t)
	e.reg = register(t, e.browser, b.RegistrationURL(), tk, sk)
	regRoots := x509.NewCertPool()
	if !regRoots.AppendCertsFromPEM([]byte(e.reg.CACertPEM)) {
		t.Fatal("the registration's CA PEM holds no certificate")
	}
	hc, err := xs2a.NewMTLSClient([]byte(e.reg.QWACPEM), tk, regRoots)
	if err != nil {
		t.Fatal(err)
	}
	e.val = &validator{t: t, doc: doc, base: hc.Transport, prefix: prof.PathPrefix, sb1: prof.UpperSnakeSCA}
	hc.Transport = e.val
	blk, _ := pem.Decode([]byte(e.reg.QSealCPEM))
	if blk == nil {
		t.Fatal("no QSealC PEM in the registration")
	}
	seal, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	e.cl, err = xs2a.New(xs2a.Config{Profile: client, BaseURL: b.BaseURL(), HTTPClient: hc, Certificate: seal, Key: sk,
		RedirectURI: okRedirect, NokRedirectURI: nokRedirect, AllowEmbedded: true, OAuthClientID: e.reg.TPPID,
		Clock: clk.Now, Observer: func(x xs2a.Exchange) { e.exs = append(e.exs, x) }})
	if err != nil {
		t.Fatal(err)
	}
	// The keyId the client signs with names the QSealC the way the bank's profile spells it.
	if prof.KeyID.SerialCase == "upper" && e.cl.KeyID() != e.reg.KeyID || !strings.EqualFold(e.cl.KeyID(), e.reg.KeyID) {
		t.Fatalf("client keyId %q, bank expects %q (%s)", e.cl.KeyID(), e.reg.KeyID, prof.KeyID.SerialCase)
	}
	return e
}

func csr(t *testing.T, k *rsa.PrivateKey) string {
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "payterm interop TPP"}}, k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

// register is POST /tpp/register over HTTPS (trusting the bank's CA, no client certificate).
func register(t *testing.T, hc *http.Client, regURL string, tk, sk *rsa.PrivateKey) registration {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"name": "payterm interop TPP", "redirect_uris": []string{okRedirect, "http://127.0.0.1/cb"},
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
	var reg registration
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&reg); err != nil || reg.TPPID == "" || reg.KeyID == "" {
		t.Fatalf("registration answer %s: %v", raw, err)
	}
	return reg
}

func (e *env) call() xs2a.Call { return xs2a.Call{PSU: e.psu} }

// send sends a built request and fails the test on any error.
func (e *env) send(req *xs2a.Request, err error) *xs2a.Reply {
	e.t.Helper()
	if err != nil {
		e.t.Fatalf("build: %v", err)
	}
	rep, err := e.cl.Send(ctx, req)
	if err != nil {
		e.t.Fatalf("%s: %v", req.Op, err)
	}
	return rep
}

// sendErr sends a built request that the bank is expected to refuse.
func (e *env) sendErr(req *xs2a.Request, err error) (*xs2a.Request, error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatalf("build: %v", err)
	}
	rep, err := e.cl.Send(ctx, req)
	if err == nil {
		e.t.Fatalf("%s: the bank accepted it: %+v", req.Op, rep)
	}
	return req, err
}

func link(t *testing.T, l xs2a.Links, name string) xs2a.Link {
	t.Helper()
	v, ok := l.Get(name)
	if !ok {
		t.Fatalf("no %s link in %v", name, l)
	}
	return v
}

var (
	formRE  = regexp.MustCompile(`<form method="post" action="([^"]+)">`)
	tokenRE = regexp.MustCompile(`name="token" value="([^"]+)"`)
)

// decide is the PSU at the bank's page: it opens the page as a browser would, posts the
// form with Approve or Deny (and any extra fields), and returns where the bank sends the
// browser back.
func (e *env) decide(page string, approve bool, extra url.Values) *url.URL {
	e.t.Helper()
	resp, err := e.browser.Get(page)
	if err != nil {
		e.t.Fatal(err)
	}
	html, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		e.t.Fatalf("page %s: %d %s", page, resp.StatusCode, html)
	}
	f, tok := formRE.FindSubmatch(html), tokenRE.FindSubmatch(html)
	if f == nil || tok == nil {
		e.t.Fatalf("no form on the page: %s", html)
	}
	pu, _ := url.Parse(page)
	action, err := pu.Parse(string(f[1]))
	if err != nil {
		e.t.Fatal(err)
	}
	form := url.Values{"token": {string(tok[1])}, "decision": {map[bool]string{true: "approve", false: "deny"}[approve]}}
	for k, v := range extra {
		form[k] = v
	}
	resp, err = e.browser.PostForm(action.String(), form)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("decision: %d", resp.StatusCode)
	}
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		e.t.Fatal(err)
	}
	return back
}

// settle polls the status link the way the core does: one GET, and if the client's
// TransactionStatus.Final does not say stop, one second later on the shared clock again. It
// returns every status seen; the last one is final.
func (e *env) settle(l xs2a.Link, call xs2a.Call) []xs2a.TransactionStatus {
	e.t.Helper()
	var seen []xs2a.TransactionStatus
	for range 30 {
		st := e.send(e.cl.BuildGetTransactionStatus(l, call)).Status.Status
		seen = append(seen, st)
		if st.Final() {
			return seen
		}
		e.clk.Add(time.Second)
	}
	e.t.Fatalf("no final status after 30 polls: %v", seen)
	return nil
}

func statuses(s ...xs2a.TransactionStatus) string { return fmt.Sprint(s) }

// verdictsPass checks the bank's verdict of every request it saw (API and pages): all pass,
// except the requests in expected, whose latest verdict must fail the one rule named and
// nothing else (an X-Request-ID sent twice has two verdicts; the earlier must pass). Every
// request the client sent with an X-Request-ID has a verdict.
func (e *env) verdictsPass(expected map[string]int) {
	e.t.Helper()
	vs := e.bank.RecentVerdicts(0)
	if len(vs) == 0 {
		e.t.Fatal("the bank recorded no verdict")
	}
	latest := map[string]int{}
	for i, v := range vs {
		latest[v.RequestID] = i
	}
	for i, v := range vs {
		want, isExpected := expected[v.RequestID]
		isExpected = isExpected && v.RequestID != "" && latest[v.RequestID] == i
		var failed []string
		for _, c := range v.Checks {
			if !c.Passed {
				failed = append(failed, fmt.Sprintf("rule %d %s: %s", c.Rule, c.Name, c.Detail))
			}
		}
		switch {
		case isExpected && (len(failed) != 1 || v.FailedRule() != want):
			e.t.Errorf("%s %s: expected rule %d to fail alone, got %v", v.Method, v.Path, want, failed)
		case !isExpected && len(failed) > 0:
			e.t.Errorf("%s %s (%s): the bank's verdict failed: %v", v.Method, v.Path, v.Host, failed)
		case v.Host == "api" && v.Signature != nil && v.Signature.KeyID != e.cl.KeyID():
			e.t.Errorf("%s %s: the bank read keyId %q", v.Method, v.Path, v.Signature.KeyID)
		}
	}
	for _, x := range e.exs {
		if _, ok := latest[x.RequestID]; x.RequestID != "" && !ok {
			e.t.Errorf("%s %s: the bank has no verdict for X-Request-ID %s", x.Method, x.URL, x.RequestID)
		}
	}
}

// admin calls the bank's admin API (loopback, bearer token), as the bank's operator.
func (e *env) admin(method, path string) (int, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.bank.AdminURL()+path, nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}
