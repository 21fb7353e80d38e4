package fintecture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/provider"
	hub "github.com/payterm/payterm/sandbox/fintecture"
)

// The journeys run payterm's client against the strict embedded hub (sandbox/fintecture),
// which checks every request with its own signature reader: a request the client gets wrong
// fails here, not only in a unit test the client's author wrote.

const journeyRedirect = "https://wallet.example/fintecture/back"

type journey struct {
	t    *testing.T
	clk  *clock
	dir  string
	hub  *hub.Hub
	srv  *httptest.Server
	bank *Bank
}

func newJourney(t *testing.T) *journey {
	j := &journey{t: t, clk: &clock{t: time.Now().UTC().Truncate(time.Second)}, dir: t.TempDir()}
	j.startHub()
	b, err := New(Config{Name: "Fintecture", APIBase: j.srv.URL, AppID: "app-journey", AppSecret: "journey-secret", Key: key(t),
		RedirectURI: journeyRedirect, Payer: Payer{Name: "Jane Doe", Email: "jane@example.org", IP: "203.0.113.7"}, Clock: j.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	j.bank = b
	return j
}

// startHub (re)starts the hub over the same data dir and address family.
func (j *journey) startHub() {
	h, err := hub.New(hub.Config{DataDir: j.dir, AppID: "app-journey", AppSecret: "journey-secret", AppKey: &key(j.t).PublicKey,
		RedirectURIs: []string{journeyRedirect}, Clock: j.clk.Now})
	if err != nil {
		j.t.Fatal(err)
	}
	j.hub = h
	if j.srv == nil {
		j.srv = httptest.NewServer(h.Handler())
		j.t.Cleanup(j.srv.Close)
	} else {
		j.srv.Config.Handler = h.Handler()
	}
	h.SetURL(j.srv.URL)
}

// created builds and sends one payment, as the core does (stored bytes, then Send).
func (j *journey) created() provider.Payment {
	j.t.Helper()
	p := build(j.t, j.bank)
	st, err := j.bank.Send(context.Background(), p)
	if err != nil {
		j.t.Fatal(err)
	}
	p.State = st
	return p
}

var formToken = regexp.MustCompile(`name="page" value="([0-9a-f]+)"`)

// browse plays the payer's browser on the Connect page: it loads the page the Action names
// and submits its form with outcome, returning where the browser is sent ("" when nowhere).
func (j *journey) browse(act *provider.Action, outcome string) string {
	j.t.Helper()
	if act == nil || act.Kind != provider.ActionRedirect {
		j.t.Fatalf("no page to open: %+v", act)
	}
	resp, err := http.Get(act.URL)
	if err != nil {
		j.t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := formToken.FindSubmatch(page)
	if m == nil {
		j.t.Fatalf("the page has no form: %s", page)
	}
	nr := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = nr.PostForm(act.URL, url.Values{"page": {string(m[1])}, "outcome": {outcome}})
	if err != nil {
		j.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.Header.Get("Location")
}

// allPassed checks the hub found nothing wrong with any request the client sent.
func (j *journey) allPassed() {
	j.t.Helper()
	vs := j.hub.Verdicts("")
	if len(vs) == 0 {
		j.t.Fatal("the hub saw no request")
	}
	for _, v := range vs {
		if f := v.Failed(); f != nil {
			j.t.Fatalf("the hub refused a %s request: rule %d %s: %s", v.Endpoint, f.Rule, f.Name, f.Detail)
		}
	}
}

func TestJourneyPayThroughTheConnectPage(t *testing.T) {
	j := newJourney(t)
	p := j.created()
	st, act, err := j.bank.Approve(context.Background(), p, provider.Input{})
	if err != nil || st.Status != provider.StatusAwaitingBankSCA || st.BankStatus != "provider_required" {
		t.Fatalf("%+v %v", st, err)
	}
	p.State = st
	back := j.browse(act, "pay")
	if back == "" {
		t.Fatal("the page did not send the browser back")
	}
	st, act, err = j.bank.Approve(context.Background(), p, provider.Input{CallbackURL: back})
	if err != nil || act != nil || st.Status != provider.StatusExecuted || !st.Final || st.BankStatus != "payment_created" || st.BankRef != p.State.BankRef {
		t.Fatalf("after the callback: %+v %+v %v", st, act, err)
	}
	j.allPassed()
}

func TestJourneyLeftUnfinishedIsResolvedByPolling(t *testing.T) {
	j := newJourney(t)
	p := j.created()
	_, act, _ := j.bank.Approve(context.Background(), p, provider.Input{})
	if back := j.browse(act, "leave"); back != "" {
		t.Fatalf("leave redirected to %s", back)
	}
	// The payer closed the tab: no callback. The wallet polls.
	st, act, err := j.bank.Approve(context.Background(), p, provider.Input{})
	if err != nil || act != nil || st.Status != provider.StatusExecuted || !st.Final {
		t.Fatalf("poll: %+v %+v %v", st, act, err)
	}
	j.allPassed()
}

func TestJourneyDeny(t *testing.T) {
	j := newJourney(t)
	p := j.created()
	_, act, _ := j.bank.Approve(context.Background(), p, provider.Input{})
	back := j.browse(act, "deny")
	st, act, err := j.bank.Approve(context.Background(), p, provider.Input{CallbackURL: back})
	if err != nil || act != nil || st.Status != provider.StatusRejected || !st.Final || st.BankStatus != "payment_unsuccessful" || st.RejectMessage == "" {
		t.Fatalf("%+v %+v %v", st, act, err)
	}
	j.allPassed()
}

func TestJourneyExpiry(t *testing.T) {
	j := newJourney(t)
	// Let it expire on the page.
	p := j.created()
	_, act, _ := j.bank.Approve(context.Background(), p, provider.Input{})
	j.browse(act, "expire")
	st, _, err := j.bank.Approve(context.Background(), p, provider.Input{})
	if err != nil || st.Status != provider.StatusCancelled || !st.Final || st.BankStatus != "payment_expired" {
		t.Fatalf("expired on the page: %+v %v", st, err)
	}
	// Never opened: it runs out after the hub's session life.
	p = j.created()
	j.clk.Add(16 * time.Minute)
	st, act, err = j.bank.Approve(context.Background(), p, provider.Input{})
	if err != nil || act != nil || st.BankStatus != "payment_expired" || !st.Final {
		t.Fatalf("never opened: %+v %+v %v", st, act, err)
	}
	j.allPassed()
}

func TestJourneyCallbackOfAnotherSessionIsRefused(t *testing.T) {
	j := newJourney(t)
	p1, p2 := j.created(), j.created()
	_, act, _ := j.bank.Approve(context.Background(), p2, provider.Input{})
	back := j.browse(act, "pay")
	if _, _, err := j.bank.Approve(context.Background(), p1, provider.Input{CallbackURL: back}); err == nil {
		t.Fatal("payment 1 accepted payment 2's callback")
	}
	st, _, err := j.bank.Approve(context.Background(), p1, provider.Input{})
	if err != nil || st.Status != provider.StatusAwaitingBankSCA {
		t.Fatalf("payment 1: %+v %v", st, err)
	}
}

func TestJourneyFaults(t *testing.T) {
	j := newJourney(t)
	// 429: nothing processed; the same stored bytes go again after the wait.
	p := build(t, j.bank)
	if err := j.hub.InjectFault(hub.Fault{Kind: hub.FaultRateLimit, Count: 1, RetryAfter: 1}); err != nil {
		t.Fatal(err)
	}
	_, err := j.bank.Send(context.Background(), p)
	if !errors.Is(err, provider.ErrBankBusy) || !errors.Is(err, provider.ErrNotProcessed) || provider.RetryAfter(err) != time.Second {
		t.Fatalf("429: %v", err)
	}
	j.clk.Add(time.Second)
	if _, err := j.bank.Send(context.Background(), p); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
	// 503 likewise.
	p = build(t, j.bank)
	j.hub.InjectFault(hub.Fault{Kind: hub.FaultUnavailable, Count: 1})
	if _, err := j.bank.Send(context.Background(), p); !errors.Is(err, provider.ErrNotProcessed) {
		t.Fatalf("503: %v", err)
	}
	if _, err := j.bank.Send(context.Background(), p); !errors.Is(err, provider.ErrBankBusy) {
		t.Fatalf("a send within the wait left: %v", err)
	}
	j.clk.Add(time.Second)
	if _, err := j.bank.Send(context.Background(), p); err != nil {
		t.Fatalf("after 503: %v", err)
	}
	// A dropped answer: the hub opened a session; the client reports an unknown outcome and
	// never sends the request again.
	p = build(t, j.bank)
	j.hub.InjectFault(hub.Fault{Kind: hub.FaultDropAnswer, Count: 1})
	before := len(j.hub.Verdicts(""))
	if _, err := j.bank.Send(context.Background(), p); !errors.Is(err, provider.ErrOutcomeUnknown) {
		t.Fatalf("dropped: %v", err)
	}
	if _, err := j.bank.Send(context.Background(), p); !errors.Is(err, provider.ErrCannotReconcile) {
		t.Fatalf("second send after a lost answer: %v", err)
	}
	if _, err := j.bank.Lookup(context.Background(), p); !errors.Is(err, provider.ErrCannotReconcile) {
		t.Fatalf("lookup: %v", err)
	}
	if got := len(j.hub.Verdicts("")) - before; got != 1 {
		t.Fatalf("the hub saw %d connects after the drop, want 1", got)
	}
}

func TestJourneyStaleDateIsSignedAgainAndAccepted(t *testing.T) {
	j := newJourney(t)
	p := build(t, j.bank)
	j.clk.Add(40 * time.Second)
	_, err := j.bank.Send(context.Background(), p)
	var rb *provider.Rebuild
	if !errors.As(err, &rb) {
		t.Fatalf("stale: %v", err)
	}
	p.Request = rb.Request
	if _, err := j.bank.Send(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	j.allPassed()
}

func TestJourneyHubRestartKeepsTheSession(t *testing.T) {
	j := newJourney(t)
	p := j.created()
	_, act, _ := j.bank.Approve(context.Background(), p, provider.Input{})
	j.browse(act, "leave")
	j.startHub() // tokens are gone; sessions are on disk
	st, _, err := j.bank.Approve(context.Background(), p, provider.Input{})
	if err != nil || st.Status != provider.StatusExecuted {
		t.Fatalf("after restart: %+v %v", st, err)
	}
}

// TestJourneyObserverSeesNoSecret: the inspector's feed holds each exchange — the token call,
// the session and the status read — with the signing string the hub rebuilt from what it
// received, and neither the application secret nor the access token; WithoutPII masks the
// payer and the payee.
func TestJourneyObserverSeesNoSecret(t *testing.T) {
	j := newJourney(t)
	var seen []Exchange
	j.bank.cfg.Observer = func(ex Exchange) { seen = append(seen, ex) }
	p := j.created()
	if _, _, err := j.bank.Approve(context.Background(), p, provider.Input{}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 3 || seen[0].Op != OpToken || seen[1].Op != OpConnect || seen[2].Op != OpStatus {
		t.Fatalf("exchanges %+v", seen)
	}
	for _, ex := range seen[1:] {
		v := j.hub.Verdicts(ex.RequestID)
		if len(v) != 1 || v[0].SigningString != ex.SigningString || ex.SigningString == "" {
			t.Fatalf("%s: the hub verified %q, the client signed %q", ex.Op, v[0].SigningString, ex.SigningString)
		}
	}
	all := fmt.Sprintf("%+v", seen)
	j.bank.mu.Lock()
	tok := j.bank.token
	j.bank.mu.Unlock()
	for _, secret := range []string{"journey-secret", tok} {
		if secret == "" || strings.Contains(all, secret) {
			t.Fatalf("a secret reached the observer (%d chars)", len(secret))
		}
	}
	masked := fmt.Sprintf("%+v", seen[1].WithoutPII())
	for _, pii := range []string{"Jane Doe", "jane@example.org", "Café Zoë", "FR7630006000011234567890189", "Order 42/7"} {
		if !strings.Contains(all, pii) || strings.Contains(masked, pii) {
			t.Fatalf("%q: not in the exchange, or not masked", pii)
		}
	}
}
