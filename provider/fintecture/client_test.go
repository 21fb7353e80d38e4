package fintecture

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payterm/payterm/internal/httpsig"
	"github.com/payterm/payterm/money"
	"github.com/payterm/payterm/provider"
)

var (
	testKeyOnce sync.Once
	testKey     *rsa.PrivateKey
)

func key(t testing.TB) *rsa.PrivateKey {
	testKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		testKey = k
	})
	return testKey
}

// fake is a scripted peer for the client's unit tests: each handler answers one path. It
// checks nothing of the signature (sandbox/fintecture, the strict hub, does that in the
// journey tests); it records what arrived.
type fake struct {
	mu       sync.Mutex
	srv      *httptest.Server
	connect  func(w http.ResponseWriter, r *http.Request, body []byte)
	status   func(w http.ResponseWriter, r *http.Request)
	tokens   int
	connects int
	statuses int
	last     *http.Request
	lastBody []byte
}

func newFake(t *testing.T) *fake {
	f := &fake{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.last, f.lastBody = r, body
		f.mu.Unlock()
		switch {
		case r.URL.Path == "/oauth/accesstoken":
			f.mu.Lock()
			f.tokens++
			f.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"access_token":"tok-1","token_type":"Bearer","expires_in":3600}`)
		case r.URL.Path == "/pis/v2/connect":
			f.mu.Lock()
			f.connects++
			h := f.connect
			f.mu.Unlock()
			h(w, r, body)
		case strings.HasPrefix(r.URL.Path, "/pis/v2/payments/"):
			f.mu.Lock()
			f.statuses++
			h := f.status
			f.mu.Unlock()
			h(w, r)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(f.srv.Close)
	f.connect = func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		io.WriteString(w, `{"meta":{"session_id":"sess-1","url":"`+f.srv.URL+`/connect/sess-1"}}`)
	}
	f.status = func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, `{"meta":{"session_id":"sess-1","status":"payment_created"},"data":{"attributes":{"amount":"12.50","currency":"EUR"}}}`)
	}
	return f
}

// n reads a counter under the lock (the handler runs on the server's goroutines).
func (f *fake) n(p *int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return *p
}

// seen is the last request and its body.
func (f *fake) seen() (*http.Request, []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last, f.lastBody
}

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

func newBank(t *testing.T, base string, clk *clock) *Bank {
	t.Helper()
	b, err := New(Config{Name: "Fintecture", APIBase: base, AppID: "app-123", AppSecret: "s3cret", Key: key(t),
		RedirectURI: "https://wallet.example/fintecture/back", OriginURI: "https://wallet.example/cancelled",
		Payer: Payer{Name: "Jane Doe", Email: "jane@example.org", IP: "203.0.113.7"}, Clock: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func intent() provider.Intent {
	amt, _ := money.ParseWire("12.50")
	return provider.Intent{Product: ProductID, Amount: provider.Money{Amount: amt, Currency: "EUR"},
		Creditor:  provider.Party{Name: "Café Zoë", Account: "FR7630006000011234567890189", Scheme: provider.SchemeIBAN},
		Reference: "Order 42/7"}
}

func TestBuildSignsTheSessionAsSentAndTheSignatureVerifies(t *testing.T) {
	f := newFake(t)
	clk := &clock{t: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	b := newBank(t, f.srv.URL, clk)
	req, err := b.Build(context.Background(), intent(), provider.Evidence{}, provider.Facts{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := decodeStored(req.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if req.Key != st.State || len(st.State) != 32 {
		t.Fatalf("key %q state %q", req.Key, st.State)
	}
	wantBody := `{"meta":{"psu_name":"Jane Doe","psu_email":"jane@example.org","psu_ip":"203.0.113.7"},"data":{"type":"SEPA","attributes":{"amount":"12.50","currency":"EUR","communication":"Order 42/7","beneficiary":{"name":"Café Zoë","iban":"FR7630006000011234567890189"}}}}`
	if string(st.Req.Body) != wantBody {
		t.Fatalf("body\n%s\nwant\n%s", st.Req.Body, wantBody)
	}
	wantTarget := "/pis/v2/connect?origin_uri=https%3A%2F%2Fwallet.example%2Fcancelled&redirect_uri=https%3A%2F%2Fwallet.example%2Ffintecture%2Fback&state=" + st.State
	if st.Req.Target != wantTarget {
		t.Fatalf("target %q", st.Req.Target)
	}
	if _, err := b.Send(context.Background(), provider.Payment{Amount: intent().Amount, Request: req}); err != nil {
		t.Fatal(err)
	}
	r, lastBody := f.seen()
	if r.URL.RequestURI() != wantTarget || string(lastBody) != wantBody {
		t.Fatalf("sent %s with another body or target", r.URL.RequestURI())
	}
	if r.Header.Get("Date") != "Sun, 22 Nov 2026 10:00:00 GMT" || r.Header.Get("Authorization") != "Bearer tok-1" {
		t.Fatalf("headers %v", r.Header)
	}
	p, err := httpsig.Verify("POST", r.URL.RequestURI(), r.Header, lastBody, &key(t).PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if p.KeyID != "app-123" || strings.Join(p.Headers, " ") != "(request-target) date digest x-request-id" {
		t.Fatalf("params %+v", p)
	}
	if id := r.Header.Get("X-Request-ID"); len(id) != 36 || id[14] != '4' {
		t.Fatalf("X-Request-ID %q is not a UUID v4", id)
	}
}

func TestBuildRefusesWhatFintectureCannotPay(t *testing.T) {
	b := newBank(t, "http://127.0.0.1:1", &clock{t: time.Now()})
	cases := map[string]func(*provider.Intent){
		"currency":  func(in *provider.Intent) { in.Amount.Currency = "AED" },
		"zero":      func(in *provider.Intent) { in.Amount.Amount = money.Amount{} },
		"iban":      func(in *provider.Intent) { in.Creditor.Account = "FR7630006000011234567890188" },
		"lowercase": func(in *provider.Intent) { in.Creditor.Account = "fr7630006000011234567890189" },
		"name":      func(in *provider.Intent) { in.Creditor.Name = "" },
		"control":   func(in *provider.Intent) { in.Creditor.Name = "Bob\x1b[31m" },
		"bidi":      func(in *provider.Intent) { in.Reference = "pay \u202e" },
		"noref":     func(in *provider.Intent) { in.Reference = "" },
		"longref":   func(in *provider.Intent) { in.Reference = strings.Repeat("x", 141) },
		"purpose":   func(in *provider.Intent) { in.Purpose = "GDDS" },
		"product":   func(in *provider.Intent) { in.Product = "smart_transfer" },
	}
	for name, mut := range cases {
		in := intent()
		mut(&in)
		_, err := b.Build(context.Background(), in, provider.Evidence{}, provider.Facts{})
		if err == nil {
			t.Errorf("%s: built", name)
			continue
		}
		if strings.Contains(err.Error(), "FR76") || strings.Contains(err.Error(), "Café") {
			t.Errorf("%s: error quotes personal data: %v", name, err)
		}
	}
}

func TestTokenIsReusedUntilItExpires(t *testing.T) {
	f := newFake(t)
	clk := &clock{t: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	b := newBank(t, f.srv.URL, clk)
	for range 3 {
		if err := b.Ready(context.Background(), provider.Payment{}); err != nil {
			t.Fatal(err)
		}
	}
	if f.n(&f.tokens) != 1 {
		t.Fatalf("%d token calls, want 1", f.n(&f.tokens))
	}
	r, lastBody := f.seen()
	if got := r.Header.Get("Authorization"); got != "Basic "+base64.StdEncoding.EncodeToString([]byte("app-123:s3cret")) {
		t.Fatalf("Authorization %q", got)
	}
	if string(lastBody) != "app_id=app-123&grant_type=client_credentials&scope=PIS" {
		t.Fatalf("form %q", lastBody)
	}
	clk.Add(59 * time.Minute) // within the renewal margin of the 1 h token
	if err := b.Ready(context.Background(), provider.Payment{}); err != nil {
		t.Fatal(err)
	}
	if f.n(&f.tokens) != 2 {
		t.Fatalf("%d token calls after 59 min, want 2", f.n(&f.tokens))
	}
}

func build(t *testing.T, b *Bank) provider.Payment {
	t.Helper()
	req, err := b.Build(context.Background(), intent(), provider.Evidence{}, provider.Facts{})
	if err != nil {
		t.Fatal(err)
	}
	return provider.Payment{Amount: intent().Amount, Request: req}
}

func TestALostConnectAnswerIsUnknownAndNeverSentAgain(t *testing.T) {
	f := newFake(t)
	f.connect = func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close() // the session is open at the hub; the answer never arrives
	}
	clk := &clock{t: time.Now()}
	b := newBank(t, f.srv.URL, clk)
	p := build(t, b)
	_, err := b.Send(context.Background(), p)
	if !errors.Is(err, provider.ErrOutcomeUnknown) || errors.Is(err, provider.ErrNotProcessed) {
		t.Fatalf("lost answer: %v", err)
	}
	if a := provider.AttemptOf(err); a.Outcome != "no response" || a.InteractionID == "" {
		t.Fatalf("attempt %+v", a)
	}
	_, err = b.Send(context.Background(), p)
	if !errors.Is(err, provider.ErrCannotReconcile) || f.n(&f.connects) != 1 {
		t.Fatalf("second send: %v after %d connects", err, f.n(&f.connects))
	}
	if _, err := b.Lookup(context.Background(), p); !errors.Is(err, provider.ErrCannotReconcile) {
		t.Fatalf("lookup: %v", err)
	}
}

func TestConnectAnswersByStatus(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		want   []error
		refuse bool
	}{
		{"bad request", 400, `{"code":"invalid_request","log_id":"L1","errors":[{"message":"amount \u001b[31m too low"}]}`, nil, true},
		{"token refused", 401, `{"code":"unauthorized"}`, []error{provider.ErrNotProcessed}, false},
		{"rate limited", 429, `{}`, []error{provider.ErrBankBusy, provider.ErrNotProcessed}, false},
		{"unavailable", 503, ``, []error{provider.ErrBankBusy, provider.ErrNotProcessed}, false},
		{"gateway timeout", 504, ``, []error{provider.ErrOutcomeUnknown}, false},
		{"200 unreadable", 200, `{"meta":{"session_id":"a b","url":"https://x"}}`, []error{provider.ErrOutcomeUnknown}, false},
		{"200 javascript url", 200, `{"meta":{"session_id":"s1","url":"javascript:alert(1)"}}`, []error{provider.ErrOutcomeUnknown}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t)
			f.connect = func(w http.ResponseWriter, _ *http.Request, _ []byte) {
				w.Header().Set("Retry-After", "2")
				w.WriteHeader(c.status)
				io.WriteString(w, c.body)
			}
			b := newBank(t, f.srv.URL, &clock{t: time.Now()})
			_, err := b.Send(context.Background(), build(t, b))
			if err == nil {
				t.Fatal("no error")
			}
			var rf *provider.Refused
			if c.refuse != errors.As(err, &rf) {
				t.Fatalf("refused=%v: %v", !c.refuse, err)
			}
			if c.refuse {
				if rf.Code != "invalid_request" || strings.ContainsRune(rf.Detail, 0x1b) || strings.Contains(err.Error(), "too low") {
					t.Fatalf("refusal %+v / %v", rf, err)
				}
			}
			for _, s := range c.want {
				if !errors.Is(err, s) {
					t.Fatalf("%v is not %v", err, s)
				}
			}
			if c.status == 429 && provider.RetryAfter(err) != 2*time.Second {
				t.Fatalf("retry after %v", provider.RetryAfter(err))
			}
		})
	}
}

func TestAStaleDateIsSignedAgainNotSent(t *testing.T) {
	f := newFake(t)
	clk := &clock{t: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	b := newBank(t, f.srv.URL, clk)
	p := build(t, b)
	clk.Add(26 * time.Second) // 30 s skew minus the 5 s margin has run out
	_, err := b.Send(context.Background(), p)
	var rb *provider.Rebuild
	if !errors.As(err, &rb) || f.n(&f.connects) != 0 {
		t.Fatalf("stale: %v, %d connects", err, f.n(&f.connects))
	}
	old, _ := decodeStored(p.Request.Bytes)
	again, _ := decodeStored(rb.Request.Bytes)
	if again.State != old.State || string(again.Req.Body) != string(old.Req.Body) || again.Req.RequestID == old.Req.RequestID || rb.Request.Key != p.Request.Key {
		t.Fatal("the rebuilt request is not the same session under a new Date and X-Request-ID")
	}
	if _, err := b.Send(context.Background(), provider.Payment{Amount: p.Amount, Request: rb.Request}); err != nil {
		t.Fatal(err)
	}
}

func created(t *testing.T, b *Bank) provider.Payment {
	t.Helper()
	p := build(t, b)
	st, err := b.Send(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	p.State = st
	return p
}

func TestStatusReadsAndChecksTheSession(t *testing.T) {
	f := newFake(t)
	b := newBank(t, f.srv.URL, &clock{t: time.Now()})
	p := created(t, b)
	if p.State.Status != provider.StatusAwaitingBankSCA || p.State.BankRef != "sess-1" {
		t.Fatalf("created %+v", p.State)
	}
	st, err := b.Status(context.Background(), p)
	if err != nil || st.Status != provider.StatusExecuted || !st.Final || st.BankStatus != "payment_created" {
		t.Fatalf("%+v %v", st, err)
	}
	if r, _ := f.seen(); r.Header.Get("Digest") != "" || !strings.Contains(r.Header.Get("Signature"), `headers="(request-target) date x-request-id"`) {
		t.Fatalf("GET headers %v", r.Header)
	}
	for name, body := range map[string]string{
		"other amount":  `{"meta":{"session_id":"sess-1","status":"payment_created"},"data":{"attributes":{"amount":"125.00","currency":"EUR"}}}`,
		"other session": `{"meta":{"session_id":"sess-2","status":"payment_created"}}`,
		"unknown word":  `{"meta":{"session_id":"sess-1","status":"paid"}}`,
	} {
		f.status = func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, body) }
		if st, err := b.Status(context.Background(), p); err == nil {
			t.Errorf("%s: believed %+v", name, st)
		}
	}
}

func TestApproveShowsThePageAndChecksTheCallback(t *testing.T) {
	f := newFake(t)
	f.status = func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, `{"meta":{"session_id":"sess-1","status":"provider_required"}}`)
	}
	b := newBank(t, f.srv.URL, &clock{t: time.Now()})
	p := created(t, b)
	st, act, err := b.Approve(context.Background(), p, provider.Input{})
	if err != nil || act == nil || act.Kind != provider.ActionRedirect || act.URL != f.srv.URL+"/connect/sess-1" || act.PollAfter == 0 {
		t.Fatalf("%+v %+v %v", st, act, err)
	}
	m, _ := decodeMemo(p.State.Blob)
	reads := f.n(&f.statuses)
	for name, cb := range map[string]string{
		"other host":    "https://evil.example/fintecture/back?state=" + m.State + "&session_id=sess-1&status=payment_created",
		"other state":   "https://wallet.example/fintecture/back?state=x" + m.State + "&session_id=sess-1&status=payment_created",
		"other session": "https://wallet.example/fintecture/back?state=" + m.State + "&session_id=sess-9&status=payment_created",
		"two states":    "https://wallet.example/fintecture/back?state=" + m.State + "&state=" + m.State + "&session_id=sess-1&status=payment_created",
	} {
		if _, _, err := b.Approve(context.Background(), p, provider.Input{CallbackURL: cb}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if f.n(&f.statuses) != reads {
		t.Fatal("a refused callback led to a status read")
	}
	// The callback says created; the hub says the payer has not chosen a bank: the hub wins.
	good := "https://wallet.example/fintecture/back?state=" + m.State + "&session_id=sess-1&status=payment_created"
	st, act, err = b.Approve(context.Background(), p, provider.Input{CallbackURL: good})
	if err != nil || st.Status != provider.StatusAwaitingBankSCA || act == nil {
		t.Fatalf("callback believed over the hub: %+v %v", st, err)
	}
}

func TestSecretsStayOutOfErrorsAndStoredBytes(t *testing.T) {
	f := newFake(t)
	f.connect = func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.WriteHeader(400)
		io.WriteString(w, `{"code":"bad","errors":[{"message":"s3cret tok-1"}]}`)
	}
	b := newBank(t, f.srv.URL, &clock{t: time.Now()})
	p := build(t, b)
	_, err := b.Send(context.Background(), p)
	for _, s := range []string{"s3cret", "tok-1"} {
		if strings.Contains(err.Error(), s) || strings.Contains(string(p.Request.Bytes), s) {
			t.Fatalf("%q leaked", s)
		}
	}
	var v map[string]any
	if json.Unmarshal(p.Request.Bytes, &v) != nil {
		t.Fatal("stored bytes are not JSON")
	}
}
