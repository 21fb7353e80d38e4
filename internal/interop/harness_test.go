package interop

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/internal/specs"
	"github.com/payterm/payterm/internal/xs2atest"
	bank "github.com/payterm/payterm/sandbox/xs2a"
	"github.com/payterm/payterm/xs2a"
)

var ctx = context.Background()

const (
	okRedirect  = xs2atest.OKRedirect
	nokRedirect = xs2atest.NokRedirect
)

// env is one bank, one registered TPP and the client built for it.
type env struct {
	*xs2atest.Env
	t       *testing.T
	bank    *bank.Bank
	clk     *xs2atest.Clock
	cl      *xs2a.Client
	val     *validator
	browser *http.Client
	exs     []xs2a.Exchange
	psu     xs2a.PSU
}

// start runs a bank with the profile, registers a TPP over the registration API with CSRs of
// the test's keys (internal/xs2atest), and builds the client from what the bank issued, every
// exchange passing the BG OpenAPI validator.
func start(t *testing.T, prof bank.Profile, client xs2a.Profile, mod ...func(*bank.Config)) *env {
	t.Helper()
	doc := specs.RequireBerlinGroup(t)
	x := xs2atest.Start(t, prof, mod...)
	e := &env{Env: x, t: t, bank: x.Bank, clk: x.Clock, browser: x.Browser, psu: xs2a.PSU{IPAddress: "192.168.8.78", UserAgent: "payterm-interop/1"}}
	cfg := x.ClientConfig(client, func(base http.RoundTripper) http.RoundTripper {
		e.val = &validator{t: t, doc: doc, base: base, prefix: prof.PathPrefix, sb1: prof.UpperSnakeSCA}
		return e.val
	})
	cfg.Observer = func(ex xs2a.Exchange) { e.exs = append(e.exs, ex) }
	var err error
	if e.cl, err = xs2a.New(cfg); err != nil {
		t.Fatal(err)
	}
	// The keyId the client signs with names the QSealC the way the bank's profile spells it.
	if prof.KeyID.SerialCase == "upper" && e.cl.KeyID() != x.Reg.KeyID || !strings.EqualFold(e.cl.KeyID(), x.Reg.KeyID) {
		t.Fatalf("client keyId %q, bank expects %q (%s)", e.cl.KeyID(), x.Reg.KeyID, prof.KeyID.SerialCase)
	}
	return e
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

// decide is the PSU at the bank's page (xs2atest.Env.Decide).
func (e *env) decide(page string, approve bool, extra url.Values) *url.URL {
	e.t.Helper()
	return e.Decide(page, approve, extra)
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

// admin calls the bank's admin API as the bank's operator (xs2atest.Env.Admin).
func (e *env) admin(method, path string) (int, []byte) {
	e.t.Helper()
	return e.Admin(method, path)
}
