package xs2aprov

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/internal/xs2atest"
	"github.com/payterm/payterm/money"
	"github.com/payterm/payterm/provider"
	bank "github.com/payterm/payterm/sandbox/xs2a"
	"github.com/payterm/payterm/xs2a"
)

// env is one embedded XS2A bank (sandbox/xs2a), a registered TPP and this provider over it,
// with everything the provider hands out recorded so a test can look for secrets in it.
type env struct {
	*xs2atest.Env
	t    *testing.T
	b    *Bank
	drop *dropper

	mu   sync.Mutex
	seen []string // every Blob, error string, action, state and step report: no secret, no PII
	wire []string // every stored request and inspector exchange: no secret (PII marked, as IBANs)
}

// dropper makes the next n requests to a path suffix fail before they leave (a create that
// never arrived).
type dropper struct {
	base http.RoundTripper
	mu   sync.Mutex
	n    int
	sent int // every request that went through, dropped or not
}

// requests is how many requests the provider has sent so far.
func (d *dropper) requests() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.sent
}

func (d *dropper) RoundTrip(r *http.Request) (*http.Response, error) {
	d.mu.Lock()
	d.sent++
	drop := d.n > 0 && r.Method == http.MethodPost && strings.Contains(r.URL.Path, "/payments/")
	if drop {
		d.n--
	}
	d.mu.Unlock()
	if drop {
		return nil, errors.New("connection reset before the request was written")
	}
	return d.base.RoundTrip(r)
}

var ctx = context.Background()

// start runs a bank of the profile and builds a provider for it. cfg may change the provider's
// configuration, mod the bank's.
func start(t *testing.T, prof bank.Profile, client xs2a.Profile, cfg func(*Config), mod ...func(*bank.Config)) *env {
	t.Helper()
	x := xs2atest.Start(t, prof, mod...)
	e := &env{Env: x, t: t}
	cc := x.ClientConfig(client, func(rt http.RoundTripper) http.RoundTripper { e.drop = &dropper{base: rt}; return e.drop })
	cc.Observer = func(ex xs2a.Exchange) {
		raw, err := json.Marshal(ex)
		if err != nil {
			t.Errorf("exchange not JSON: %v", err)
		}
		e.recordWire(string(raw))
	}
	c := Config{Name: prof.BankName, Client: cc, PSUIPAddress: "192.168.8.78", PSUUserAgent: "payterm-test/1",
		Sleep: func(ctx context.Context, d time.Duration) error { x.Clock.Add(d); return ctx.Err() }}
	if cfg != nil {
		cfg(&c)
	}
	b, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	e.b = b
	return e
}

func (e *env) record(s ...string) {
	e.mu.Lock()
	e.seen = append(e.seen, s...)
	e.mu.Unlock()
}

func (e *env) recordWire(s ...string) {
	e.mu.Lock()
	e.wire = append(e.wire, s...)
	e.mu.Unlock()
}

func (e *env) recordOut(st provider.State, act *provider.Action, err error) {
	e.record(string(st.Blob), fmt.Sprintf("%+v", st))
	if act != nil {
		e.record(fmt.Sprintf("%+v %#v", *act, *act))
	}
	if err != nil {
		e.record(err.Error(), fmt.Sprintf("%+v", err))
	}
}

// noSecrets fails when any secret appears in anything the provider handed out, stored or the
// inspector saw.
func (e *env) noSecrets(secrets ...string) {
	e.t.Helper()
	e.lookFor(append(append([]string(nil), e.seen...), e.wire...), secrets)
}

// noPII fails when personal data (the payer's PSU-ID) appears in a Blob, an error, an Action or
// a state: the inspector and the stored request may hold it (marked, like the IBANs).
func (e *env) noPII(pii ...string) {
	e.t.Helper()
	e.lookFor(e.seen, pii)
}

func (e *env) lookFor(in, secrets []string) {
	e.t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.seen) == 0 || len(e.wire) == 0 {
		e.t.Fatal("nothing was recorded")
	}
	for _, s := range secrets {
		if len(s) < 4 {
			e.t.Fatalf("secret %q too short to look for", s)
		}
		for _, v := range in {
			if strings.Contains(v, s) {
				e.t.Errorf("a secret reached the provider's output: …%s…", around(v, s))
			}
		}
	}
}

func around(v, s string) string {
	i := strings.Index(v, s)
	lo, hi := max(i-60, 0), min(i+len(s)+20, len(v))
	return strings.ReplaceAll(v[lo:hi], s, "<SECRET>")
}

// intent is a payment of minor units of cur by product between two accounts.
func intent(product, cur string, minor int64, debtor, creditor string, sch provider.AccountScheme) provider.Intent {
	a, err := money.FromMinor(minor)
	if err != nil {
		panic(err)
	}
	return provider.Intent{Product: product, Amount: provider.Money{Amount: a, Currency: cur},
		Debtor:   &provider.Party{Account: debtor, Scheme: sch},
		Creditor: provider.Party{Name: "Merchant123", Account: creditor, Scheme: sch}, Reference: "Ref Number Merchant"}
}

func sepa(minor int64) provider.Intent {
	return intent("sepa-credit-transfers", "EUR", minor, "DE40100100103307118608", "DE02100100109307118603", provider.SchemeIBAN)
}

// build builds the intent, checking the Signed step was reported.
func (e *env) build(in provider.Intent) provider.Request {
	e.t.Helper()
	var steps []string
	pctx := provider.WithProgress(ctx, func(step string, s provider.StepState, err error) {
		steps = append(steps, fmt.Sprintf("%s:%d", step, s))
		if err != nil {
			e.record(err.Error())
		}
	})
	req, err := e.b.Build(pctx, in, provider.Evidence{}, provider.Facts{})
	if err != nil {
		e.t.Fatalf("build: %v", err)
	}
	if strings.Join(steps, " ") != "Signed:0 Signed:1" {
		e.t.Fatalf("steps %v", steps)
	}
	e.recordWire(string(req.Bytes))
	return req
}

// payment is the core's view of a built request before it is sent.
func payment(req provider.Request) provider.Payment {
	return provider.Payment{Request: req, AuthTime: time.Now()}
}

// send sends and fails the test on an error.
func (e *env) send(p provider.Payment) provider.Payment {
	e.t.Helper()
	st, err := e.b.Send(ctx, p)
	e.recordOut(st, nil, err)
	if err != nil {
		e.t.Fatalf("send: %v", err)
	}
	p.State = st
	return p
}

// pay builds and sends.
func (e *env) pay(in provider.Intent) provider.Payment {
	e.t.Helper()
	return e.send(payment(e.build(in)))
}

func (e *env) approve(p *provider.Payment, in provider.Input) (*provider.Action, error) {
	e.t.Helper()
	st, act, err := e.b.Approve(ctx, *p, in)
	e.recordOut(st, act, err)
	if st.BankRef != "" {
		p.State = st
	}
	return act, err
}

func (e *env) mustApprove(p *provider.Payment, in provider.Input) *provider.Action {
	e.t.Helper()
	act, err := e.approve(p, in)
	if err != nil {
		e.t.Fatalf("approve: %v", err)
	}
	return act
}

// track polls Status the way the core does, one second apart on the shared clock, until Final.
func (e *env) track(p *provider.Payment) []string {
	e.t.Helper()
	var seen []string
	for range 30 {
		st, err := e.b.Status(ctx, *p)
		e.recordOut(st, nil, err)
		if err != nil {
			e.t.Fatalf("status: %v", err)
		}
		p.State = st
		seen = append(seen, st.BankStatus)
		if st.Final {
			return seen
		}
		e.Clock.Add(time.Second)
	}
	e.t.Fatalf("no final status after 30 polls: %v", seen)
	return nil
}

// memo reads the payment's Blob.
func (e *env) memo(p provider.Payment) *memo {
	e.t.Helper()
	m, err := decodeMemo(p.State.Blob)
	if err != nil {
		e.t.Fatalf("blob: %v", err)
	}
	return m
}

// verdictsPass checks the bank's verdict of every request it saw: all pass, but the
// X-Request-IDs in expected, whose latest verdict fails that rule alone.
func (e *env) verdictsPass(expected map[string]int) {
	e.t.Helper()
	vs := e.Bank.RecentVerdicts(0)
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
			e.t.Errorf("%s %s: the bank's verdict failed: %v", v.Method, v.Path, failed)
		}
	}
}

// clean fails on any text the screens would show that is not clean.
func clean(t *testing.T, what string, ss ...string) {
	t.Helper()
	for _, s := range ss {
		if !safetext.Clean(s) {
			t.Errorf("%s holds an unsafe rune: %q", what, s)
		}
	}
}

// sessionIDs are the TPP-Session-IDs the provider holds (secrets to look for).
func (e *env) sessionIDs() []string {
	e.b.mu.Lock()
	defer e.b.mu.Unlock()
	if e.b.session == nil {
		return nil
	}
	return []string{e.b.session.TPPSessionID.Reveal()}
}

// sessionProbes are the GET /v1/users of BeginSession, which the bank answers 401 with the
// login link (rule 25 fails on purpose).
func (e *env) sessionProbes() map[string]int {
	out := map[string]int{}
	for _, v := range e.Bank.RecentVerdicts(0) {
		if v.Method == http.MethodGet && v.Path == "/v1/users" {
			out[v.RequestID] = bank.RulePSUSession
		}
	}
	return out
}
