package fintecture

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// open makes a session and returns its id.
func (e *env) open(tok string) string {
	e.t.Helper()
	resp, b := e.do(e.connectCall(tok))
	if resp.StatusCode != 200 {
		e.t.Fatalf("connect %d %s", resp.StatusCode, b)
	}
	return decode(e.t, b).Meta.SessionID
}

var pageField = regexp.MustCompile(`name="page" value="([0-9a-f]+)"`)

// choose loads the Connect page and submits its form with outcome, as a browser would.
func (e *env) choose(id, outcome string) *http.Response {
	e.t.Helper()
	resp, err := http.Get(e.srv.URL + "/connect/" + id)
	if err != nil {
		e.t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := pageField.FindSubmatch(page)
	if m == nil {
		e.t.Fatalf("no form on the page: %s", page)
	}
	resp, err = noRedirect.PostForm(e.srv.URL+"/connect/"+id, url.Values{"page": {string(m[1])}, "outcome": {outcome}})
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func (e *env) status(tok, id string) string {
	e.t.Helper()
	c := e.statusCall(tok, id)
	c.date = e.clk.Now().Format(http.TimeFormat)
	resp, b := e.do(c)
	if resp.StatusCode != 200 {
		e.t.Fatalf("status %d %s", resp.StatusCode, b)
	}
	return decode(e.t, b).Meta.Status
}

func TestConnectPageOutcomes(t *testing.T) {
	cases := []struct {
		outcome, status string
		redirect        bool
	}{
		{"pay", "payment_created", true},
		{"deny", "payment_unsuccessful", true},
		{"leave", "payment_created", false},
		{"expire", "payment_expired", false},
	}
	for _, c := range cases {
		t.Run(c.outcome, func(t *testing.T) {
			e := newEnv(t)
			tok := e.token()
			id := e.open(tok)
			resp := e.choose(id, c.outcome)
			if c.redirect {
				loc, _ := url.Parse(resp.Header.Get("Location"))
				if resp.StatusCode != 303 || loc.Scheme+"://"+loc.Host+loc.Path != redirect || loc.Query().Get("state") != "st-1" ||
					loc.Query().Get("session_id") != id || loc.Query().Get("status") != c.status {
					t.Fatalf("redirect %d %s", resp.StatusCode, resp.Header.Get("Location"))
				}
			} else if resp.StatusCode != 200 || resp.Header.Get("Location") != "" {
				t.Fatalf("answer %d %s", resp.StatusCode, resp.Header.Get("Location"))
			}
			if got := e.status(tok, id); got != c.status {
				t.Fatalf("status %s, want %s", got, c.status)
			}
			// Final: the page offers no outcome, and the form's token no longer works.
			pg, err := http.Get(e.srv.URL + "/connect/" + id)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(pg.Body)
			pg.Body.Close()
			if strings.Contains(string(body), `name="outcome"`) || !strings.Contains(string(body), c.status) {
				t.Fatalf("final page %s", body)
			}
			e.hub.mu.Lock()
			tokn := e.hub.st.Sessions[id].PageToken
			e.hub.mu.Unlock()
			again, err := noRedirect.PostForm(e.srv.URL+"/connect/"+id, url.Values{"page": {tokn}, "outcome": {"pay"}})
			if err != nil || again.StatusCode != 409 {
				t.Fatalf("second outcome: %v %v", again.StatusCode, err)
			}
		})
	}
}

func TestAnOutcomeNeedsThePagesForm(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	id := e.open(tok)
	resp, err := noRedirect.PostForm(e.srv.URL+"/connect/"+id, url.Values{"page": {"0000"}, "outcome": {"pay"}})
	if err != nil || resp.StatusCode != 403 {
		t.Fatalf("%v %v", resp.StatusCode, err)
	}
	if got := e.status(tok, id); got != "provider_required" {
		t.Fatalf("status %s", got)
	}
}

func TestAnUnfinishedSessionExpires(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	id := e.open(tok)
	e.clk.Add(15*time.Minute + time.Second)
	if got := e.status(tok, id); got != "payment_expired" {
		t.Fatalf("status %s", got)
	}
}

func TestStatePersistsAcrossARestart(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	id := e.open(tok)
	e.choose(id, "pay")
	e.start()
	tok = e.token() // tokens are memory only
	if got := e.status(tok, id); got != "payment_created" {
		t.Fatalf("after restart: %s", got)
	}
	e.rejected(e.connectCall(tok), 409, RuleReplay) // the X-Request-ID that opened it is remembered
}

func TestFaults(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	if err := e.hub.InjectFault(Fault{Kind: FaultRateLimit, Count: 1, RetryAfter: 3}); err != nil {
		t.Fatal(err)
	}
	resp, _ := e.do(e.connectCall(tok))
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" {
		t.Fatalf("rate limit: %d", resp.StatusCode)
	}
	e.hub.InjectFault(Fault{Kind: FaultUnavailable, Count: 1})
	if resp, _ := e.do(e.connectCall(tok)); resp.StatusCode != 503 {
		t.Fatalf("unavailable: %d", resp.StatusCode)
	}
	// Neither processed anything: the same X-Request-ID opens the session now.
	id := e.open(tok)
	// A dropped answer: the session is opened, the answer never arrives.
	e.hub.InjectFault(Fault{Kind: FaultDropAnswer, Count: 1})
	c := e.connectCall(tok)
	c.reqID = "9a1e3f0c-2a56-4b7e-8d7e-2c1f5e4b9a10"
	if resp, _, err := e.doErr(c); err == nil {
		t.Fatalf("an answer arrived: %d", resp.StatusCode)
	}
	e.hub.mu.Lock()
	n := len(e.hub.st.Sessions)
	e.hub.mu.Unlock()
	if n != 2 || id == "" {
		t.Fatalf("%d sessions, want 2 (the dropped answer's session exists)", n)
	}
	if err := e.hub.InjectFault(Fault{Kind: "explode", Count: 1}); err == nil {
		t.Fatal("an unknown fault was queued")
	}
}

func TestAdminAPI(t *testing.T) {
	e := newEnv(t)
	req, _ := http.NewRequest("POST", e.srv.URL+"/admin/faults", strings.NewReader(`{"kind":"unavailable","count":1}`))
	if resp, _ := http.DefaultClient.Do(req); resp.StatusCode != 401 {
		t.Fatalf("no admin token: %d", resp.StatusCode)
	}
	req, _ = http.NewRequest("POST", e.srv.URL+"/admin/faults", strings.NewReader(`{"kind":"unavailable","count":1}`))
	req.Header.Set("Authorization", "Bearer "+admin)
	if resp, _ := http.DefaultClient.Do(req); resp.StatusCode != 204 {
		t.Fatalf("admin: %d", resp.StatusCode)
	}
	if resp, _ := e.do(e.connectCall(e.token())); resp.StatusCode != 503 {
		t.Fatalf("fault not applied: %d", resp.StatusCode)
	}
	req, _ = http.NewRequest("GET", e.srv.URL+"/admin/verdicts?request_id=3f0c2a56-9a1e-4b7e-8d7e-2c1f5e4b9a10", nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(b), `"status":503`) || strings.Contains(string(b), "Jane") || strings.Contains(string(b), "FR76") {
		t.Fatalf("verdicts %s", b)
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestStandalone(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuf{}
	started := make(chan *Hub, 1)
	done := make(chan error, 1)
	go func() {
		done <- RunStandalone(ctx, StandaloneOptions{DataDir: dir, Out: out, OnStart: func(h *Hub) { started <- h }})
	}()
	var h *Hub
	select {
	case h = <-started:
	case err := <-done:
		t.Fatal(err)
	case <-time.After(30 * time.Second):
		t.Fatal("did not start")
	}
	app, _, err := LoadOrCreateApp(dir)
	if err != nil || app.AppID == "" {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", h.URL()+"/oauth/accesstoken", strings.NewReader("grant_type=client_credentials&app_id="+app.AppID+"&scope=PIS"))
	req.SetBasicAuth(app.AppID, app.AppSecret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("token: %v", err)
	}
	resp.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), h.URL()) || strings.Contains(out.String(), app.AppSecret) {
		t.Fatalf("banner %q", out.String())
	}
}
