package fintecture

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	keyOnce sync.Once
	appKey  *rsa.PrivateKey
)

func testKey() *rsa.PrivateKey {
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		appKey = k
	})
	return appKey
}

const (
	appID    = "app-7f3a"
	secret   = "sec-91"
	redirect = "https://wallet.example/fintecture/back"
	admin    = "admin-tok"
)

type tclock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *tclock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *tclock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	t   *testing.T
	hub *Hub
	srv *httptest.Server
	clk *tclock
	dir string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, clk: &tclock{t: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}, dir: t.TempDir()}
	e.start()
	return e
}

// start (re)starts the hub over the env's data dir.
func (e *env) start() {
	e.t.Helper()
	h, err := New(Config{DataDir: e.dir, AppID: appID, AppSecret: secret, AppKey: &testKey().PublicKey,
		RedirectURIs: []string{redirect}, AdminToken: admin, Clock: e.clk.Now})
	if err != nil {
		e.t.Fatal(err)
	}
	if e.srv != nil {
		e.srv.Close()
	}
	e.hub = h
	e.srv = httptest.NewServer(h.Handler())
	h.SetURL(e.srv.URL)
	e.t.Cleanup(e.srv.Close)
}

func (e *env) token() string {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.srv.URL+"/oauth/accesstoken", strings.NewReader("grant_type=client_credentials&app_id="+appID+"&scope=PIS"))
	req.SetBasicAuth(appID, secret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&tok) != nil || tok.ExpiresIn != 3600 {
		e.t.Fatalf("token: %d", resp.StatusCode)
	}
	return tok.AccessToken
}

const goodBody = `{"meta":{"psu_name":"Jane Doe","psu_email":"jane@example.org","psu_ip":"203.0.113.7"},"data":{"type":"SEPA","attributes":{"amount":"12.50","currency":"EUR","communication":"Order 42","beneficiary":{"name":"Café Zoë","iban":"FR7630006000011234567890189"}}}}`

// call is one signed API request the tests build by hand (their own signer: the hub's fsig is
// not used to make what it checks).
type call struct {
	method  string
	target  string
	body    string
	token   string
	date    string
	reqID   string
	digest  string // "" computes it
	headers string // the signed list; "" uses the method's
	keyID   string
	alg     string
	key     *rsa.PrivateKey
	// tamper changes the request after signing.
	tamper func(r *http.Request)
	// sigTarget, when set, is signed instead of target.
	sigTarget string
}

func (e *env) connectCall(tok string) *call {
	q := url.Values{"state": {"st-1"}, "redirect_uri": {redirect}}
	return &call{method: "POST", target: "/pis/v2/connect?" + q.Encode(), body: goodBody, token: tok,
		date: e.clk.Now().Format(http.TimeFormat), reqID: "3f0c2a56-9a1e-4b7e-8d7e-2c1f5e4b9a10"}
}

func (e *env) statusCall(tok, id string) *call {
	return &call{method: "GET", target: "/pis/v2/payments/" + id, token: tok, date: e.clk.Now().Format(http.TimeFormat),
		reqID: "5b9d2c1e-1f2a-4c3b-9d4e-6f7a8b9c0d1e"}
}

func (e *env) do(c *call) (*http.Response, []byte) {
	e.t.Helper()
	resp, b, err := e.doErr(c)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, b
}

// doErr sends c; a transport error (a dropped answer) is returned, not fatal.
func (e *env) doErr(c *call) (*http.Response, []byte, error) {
	e.t.Helper()
	var body io.Reader
	if c.method == "POST" {
		body = strings.NewReader(c.body)
	}
	req, err := http.NewRequest(c.method, e.srv.URL+c.target, body)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Date", c.date)
	req.Header.Set("X-Request-ID", c.reqID)
	list := c.headers
	if c.method == "POST" {
		req.Header.Set("Content-Type", "application/json")
		d := c.digest
		if d == "" {
			sum := sha256.Sum256([]byte(c.body))
			d = "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
		}
		req.Header.Set("Digest", d)
		if list == "" {
			list = "(request-target) date digest x-request-id"
		}
	} else if list == "" {
		list = "(request-target) date x-request-id"
	}
	target := c.target
	if c.sigTarget != "" {
		target = c.sigTarget
	}
	var lines []string
	for _, n := range strings.Fields(list) {
		if n == "(request-target)" {
			lines = append(lines, n+": "+strings.ToLower(c.method)+" "+target)
		} else {
			lines = append(lines, n+": "+req.Header.Get(n))
		}
	}
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	k := c.key
	if k == nil {
		k = testKey()
	}
	sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:])
	if err != nil {
		e.t.Fatal(err)
	}
	kid, alg := appID, "rsa-sha256"
	if c.keyID != "" {
		kid = c.keyID
	}
	if c.alg != "" {
		alg = c.alg
	}
	req.Header.Set("Signature", `keyId="`+kid+`",algorithm="`+alg+`",headers="`+list+`",signature="`+base64.StdEncoding.EncodeToString(sig)+`"`)
	if c.tamper != nil {
		c.tamper(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

type sessionAnswer struct {
	Meta struct {
		SessionID string `json:"session_id"`
		URL       string `json:"url"`
		Status    string `json:"status"`
	} `json:"meta"`
}

func decode(t *testing.T, b []byte) sessionAnswer {
	t.Helper()
	var a sessionAnswer
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatalf("answer %s: %v", b, err)
	}
	return a
}

func ioNopCloser(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }
