package xs2aprov

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/provider"
	bank "github.com/payterm/payterm/sandbox/xs2a"
	"github.com/payterm/payterm/xs2a"
)

func (e *env) fault(f bank.Fault) {
	e.t.Helper()
	if err := e.Bank.InjectFault(f); err != nil {
		e.t.Fatal(err)
	}
}

// TestBGLostAnswer: the bank makes the payment durable and hangs up. Send says
// ErrOutcomeUnknown (never ErrNotProcessed, never a Refused); Berlin Group has no lookup, so
// Lookup says ErrCannotReconcile and sends nothing; nothing was sent twice.
func TestBGLostAnswer(t *testing.T) {
	e := start(t, bank.ProfileBG(), xs2a.Generic(), nil)
	p := payment(e.build(sepa(30_00)))
	e.fault(bank.Fault{Kind: bank.FaultDropAfterCommit, Count: 1})
	before := e.Bank.PaymentCount()
	_, err := e.b.Send(ctx, p)
	var rf *provider.Refused
	if !errors.Is(err, provider.ErrOutcomeUnknown) || errors.Is(err, provider.ErrNotProcessed) || errors.As(err, &rf) {
		t.Fatalf("dropped answer: %v", err)
	}
	if a := provider.AttemptOf(err); a.InteractionID != p.Request.Key || a.Outcome != "no response" || a.NotSent {
		t.Fatalf("attempt %+v", a)
	}
	n := e.drop.requests()
	if _, err := e.b.Lookup(ctx, p); !errors.Is(err, provider.ErrCannotReconcile) || errors.Is(err, provider.ErrNotFound) {
		t.Fatalf("lookup: %v", err)
	}
	if e.drop.requests() != n || e.Bank.PaymentCount() != before+1 {
		t.Fatalf("lookup sent something, or the bank holds %d new payments", e.Bank.PaymentCount()-before)
	}
	e.verdictsPass(nil)
}

// TestSB1LostAnswer: at SpareBank 1 a create whose answer was lost can go once more: Lookup
// builds the same payment under a new X-Request-ID as a *provider.Rebuild (nothing sent; it
// matches ErrCannotReconcile for a core that does not send it). Sent, it is created when the
// first never arrived, and refused as a duplicate when it did — never two payments.
func TestSB1LostAnswer(t *testing.T) {
	t.Run("the first arrived: the resend is refused, the bank has one", func(t *testing.T) {
		e := start(t, bank.ProfileSB1(), xs2a.SpareBank1(), nil)
		e.sb1Session()
		p := payment(e.build(nok(100_00)))
		e.fault(bank.Fault{Kind: bank.FaultDropAfterCommit, Count: 1})
		before := e.Bank.PaymentCount()
		if _, err := e.b.Send(ctx, p); !errors.Is(err, provider.ErrOutcomeUnknown) {
			t.Fatalf("dropped: %v", err)
		}
		again := e.lookupRebuild(p)
		_, err := e.b.Send(ctx, again)
		if !errors.Is(err, provider.ErrOutcomeUnknown) || !errors.Is(err, provider.ErrCannotReconcile) || errors.Is(err, provider.ErrNotProcessed) {
			t.Fatalf("the resend: %v", err)
		}
		var rf *provider.Refused
		if errors.As(err, &rf) {
			t.Fatal("the refused resend was reported as a refused payment: the first one exists")
		}
		if e.Bank.PaymentCount() != before+1 {
			t.Fatalf("the bank holds %d new payments", e.Bank.PaymentCount()-before)
		}
		if _, err := e.b.Lookup(ctx, again); !errors.Is(err, provider.ErrCannotReconcile) || errors.As(err, new(*provider.Rebuild)) {
			t.Fatalf("lookup after the refusal: %v", err)
		}
		exp := e.sessionProbes()
		v, _ := e.Bank.VerdictFor(again.Request.Key)
		exp[again.Request.Key] = bank.RuleLogicalDuplicate
		if v.FailedRule() != bank.RuleLogicalDuplicate {
			t.Fatalf("the resend failed rule %d", v.FailedRule())
		}
		e.verdictsPass(exp)
	})
	t.Run("the first never arrived: the resend creates it", func(t *testing.T) {
		e := start(t, bank.ProfileSB1(), xs2a.SpareBank1(), nil)
		e.sb1Session()
		p := payment(e.build(nok(100_00)))
		e.drop.n = 1
		before := e.Bank.PaymentCount()
		if _, err := e.b.Send(ctx, p); !errors.Is(err, provider.ErrOutcomeUnknown) {
			t.Fatalf("dropped: %v", err)
		}
		again := e.lookupRebuild(p)
		p = e.send(again)
		if p.State.Status != provider.StatusAwaitingBankSCA || e.Bank.PaymentCount() != before+1 {
			t.Fatalf("resend %+v, %d new payments", p.State, e.Bank.PaymentCount()-before)
		}
		e.verdictsPass(e.sessionProbes())
	})
}

// lookupRebuild is Lookup's Rebuild at SpareBank 1: the same body and URL, a new X-Request-ID.
func (e *env) lookupRebuild(p provider.Payment) provider.Payment {
	e.t.Helper()
	n := e.drop.requests()
	_, err := e.b.Lookup(ctx, p)
	var rb *provider.Rebuild
	if !errors.As(err, &rb) || !errors.Is(err, provider.ErrCannotReconcile) || errors.Is(err, provider.ErrNotProcessed) {
		e.t.Fatalf("lookup: %v", err)
	}
	if e.drop.requests() != n {
		e.t.Fatal("lookup sent something")
	}
	old, _, _ := decodeStored(p.Request.Bytes)
	nw, resend, err := decodeStored(rb.Request.Bytes)
	if err != nil || !resend || string(nw.Body) != string(old.Body) || nw.URL != old.URL || nw.RequestID == old.RequestID || rb.Request.Key != nw.RequestID {
		e.t.Fatalf("the rebuilt request is not the same payment under a new X-Request-ID: %v", err)
	}
	e.recordWire(string(rb.Request.Bytes))
	return payment(rb.Request)
}

// Test429: a 429 on the create processed nothing. Without a wait allowed, Send says
// ErrBankBusy + ErrNotProcessed with the bank's Retry-After; the same stored bytes then never
// go again (their X-Request-ID may count as used): Send returns a Rebuild, the same body under
// a new X-Request-ID and Date, which goes and is created. With a wait allowed, Send sits it out
// on the injected clock (reported) and returns the Rebuild at once.
func Test429(t *testing.T) {
	t.Run("wait not allowed", func(t *testing.T) {
		e := start(t, bank.ProfileBG(), xs2a.Generic(), nil)
		p := payment(e.build(sepa(40_00)))
		limited := map[string]int{p.Request.Key: 0}
		e.fault(bank.Fault{Kind: bank.FaultRateLimit, Count: 1, RetryAfter: 3})
		_, err := e.b.Send(ctx, p)
		if !errors.Is(err, provider.ErrBankBusy) || !errors.Is(err, provider.ErrNotProcessed) || provider.RetryAfter(err) != 3*time.Second {
			t.Fatalf("429: %v (retry after %s)", err, provider.RetryAfter(err))
		}
		if a := provider.AttemptOf(err); a.HTTPStatus != 429 || a.InteractionID != p.Request.Key {
			t.Fatalf("attempt %+v", a)
		}
		// Before the wait is over nothing leaves.
		n := e.drop.requests()
		if _, err := e.b.Send(ctx, p); !errors.Is(err, provider.ErrNotProcessed) || !provider.AttemptOf(err).NotSent || e.drop.requests() != n {
			t.Fatalf("send during the wait: %v", err)
		}
		e.Clock.Add(3 * time.Second)
		_, err = e.b.Send(ctx, p)
		var rb *provider.Rebuild
		if !errors.As(err, &rb) || errors.Is(err, provider.ErrNotProcessed) || e.drop.requests() != n {
			t.Fatalf("the spent bytes: %v", err)
		}
		p = e.send(payment(rb.Request))
		if p.State.BankRef == "" || e.Bank.PaymentCount() != 1 {
			t.Fatalf("after the rebuild: %+v", p.State)
		}
		e.verdictsPass(limited)
	})
	t.Run("wait allowed", func(t *testing.T) {
		e := start(t, bank.ProfileBG(), xs2a.Generic(), nil)
		p := payment(e.build(sepa(40_00)))
		limited := map[string]int{p.Request.Key: 0}
		e.fault(bank.Fault{Kind: bank.FaultRateLimit, Count: 1, RetryAfter: 3})
		var waits []provider.Wait
		t0 := e.Clock.Now()
		_, err := e.b.Send(provider.WithWaits(ctx, time.Minute, func(w provider.Wait) { waits = append(waits, w) }), p)
		var rb *provider.Rebuild
		if !errors.As(err, &rb) || errors.Is(err, provider.ErrNotProcessed) || provider.AttemptOf(err).HTTPStatus != 429 {
			t.Fatalf("429 sat out: %v", err)
		}
		if len(waits) != 1 || waits[0].For != 3*time.Second || e.Clock.Now().Sub(t0) != 3*time.Second {
			t.Fatalf("waits %+v, clock moved %s", waits, e.Clock.Now().Sub(t0))
		}
		if p = e.send(payment(rb.Request)); p.State.BankRef == "" {
			t.Fatalf("after the rebuild: %+v", p.State)
		}
		e.verdictsPass(limited)
	})
}

// TestStaleDate: a stored create whose Date the bank would refuse (over DateSkew old) is not
// sent: Send returns a Rebuild, which the bank accepts; SendBy does not end with the Date.
func TestStaleDate(t *testing.T) {
	e := start(t, bank.ProfileBG(), xs2a.Generic(), nil)
	p := payment(e.build(sepa(41_00)))
	// SendBy is not the Date's limit: Send rebuilds a stale Date itself, and the core
	// abandons a payment 30 s before SendBy, so it must outlast the wallet's 5-minute SCA.
	if min := e.Clock.Now().Add(10 * time.Minute); p.Request.SendBy.Before(min) {
		t.Fatalf("SendBy %s is before %s", p.Request.SendBy, min)
	}
	e.Clock.Add(26 * time.Second)
	_, err := e.b.Send(ctx, p)
	var rb *provider.Rebuild
	if !errors.As(err, &rb) || e.drop.requests() != 0 {
		t.Fatalf("stale: %v", err)
	}
	if p = e.send(payment(rb.Request)); p.State.BankRef == "" {
		t.Fatal("not created")
	}
	e.verdictsPass(nil)
}

// Test503: a 503 on the create: the client cannot know whether the bank processed it
// (ErrOutcomeUnknown, never resent); on a status read it is a plain error the core retries.
func Test503(t *testing.T) {
	e := start(t, bank.ProfileBG(), xs2a.Generic(), nil)
	p := payment(e.build(sepa(42_00)))
	e.fault(bank.Fault{Kind: bank.FaultUnavailable, Count: 1})
	if _, err := e.b.Send(ctx, p); !errors.Is(err, provider.ErrOutcomeUnknown) || errors.Is(err, provider.ErrNotProcessed) || provider.AttemptOf(err).HTTPStatus != 503 {
		t.Fatalf("503 on create: %v", err)
	}
	p = e.pay(sepa(43_00))
	e.fault(bank.Fault{Kind: bank.FaultUnavailable, Count: 1})
	_, err := e.b.Status(ctx, p)
	if err == nil || errors.Is(err, provider.ErrOutcomeUnknown) || errors.Is(err, provider.ErrNotFound) {
		t.Fatalf("503 on status: %v", err)
	}
	if st, err := e.b.Status(ctx, p); err != nil || st.BankStatus != "RCVD" {
		t.Fatalf("status after: %+v %v", st, err)
	}
}

// TestRefusedCreate: a 400 the bank answers to a create (SpareBank 1's logical duplicate of a
// payment the wallet sent a minute ago) is a *provider.Refused with the bank's code, nothing
// created; its words stay out of Error().
func TestRefusedCreate(t *testing.T) {
	e := start(t, bank.ProfileSB1(), xs2a.SpareBank1(), nil)
	e.sb1Session()
	e.pay(nok(77_00))
	p := payment(e.build(nok(77_00)))
	before := e.Bank.PaymentCount()
	_, err := e.b.Send(ctx, p)
	var rf *provider.Refused
	if !errors.As(err, &rf) || rf.HTTPStatus != 400 || rf.Code != "PAYMENT_FAILED" || rf.InteractionID != p.Request.Key || errors.Is(err, provider.ErrOutcomeUnknown) || errors.Is(err, provider.ErrNotProcessed) {
		t.Fatalf("duplicate: %v", err)
	}
	if e.Bank.PaymentCount() != before {
		t.Fatal("a refused create made a payment")
	}
	if rf.Detail != "" && strings.Contains(err.Error(), rf.Detail) {
		t.Fatal("the bank's words reached Error()")
	}
	exp := e.sessionProbes()
	exp[p.Request.Key] = bank.RuleLogicalDuplicate
	e.verdictsPass(exp)
}

// answerOnce is a proxy in front of the bank that answers the next create itself, with a
// status the embedded bank never gives to a well-formed create (403, 409, 500): only for the
// status mapping; every other request goes to the bank.
type answerOnce struct {
	base   http.RoundTripper
	status int
	body   string
}

func (a *answerOnce) RoundTrip(r *http.Request) (*http.Response, error) {
	if a.status == 0 || r.Method != http.MethodPost || !strings.Contains(r.URL.Path, "/payments/") {
		return a.base.RoundTrip(r)
	}
	st := a.status
	a.status = 0
	h := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {r.Header.Get("X-Request-ID")}}
	return &http.Response{StatusCode: st, Status: http.StatusText(st), Header: h, Body: io.NopCloser(strings.NewReader(a.body)), Request: r, ProtoMajor: 1, ProtoMinor: 1}, nil
}

// TestCreateStatuses: 403 and 409 on a create are refusals (nothing was created), 500 is an
// unknown outcome.
func TestCreateStatuses(t *testing.T) {
	for _, c := range []struct {
		status  int
		code    string
		refused bool
	}{{403, "CONSENT_UNKNOWN", true}, {409, "STATUS_INVALID", true}, {500, "", false}} {
		e := start(t, bank.ProfileBG(), xs2a.Generic(), nil)
		ao := &answerOnce{base: e.drop.base}
		e.drop.base = ao
		p := payment(e.build(sepa(44_00)))
		ao.status = c.status
		if c.code != "" {
			ao.body = `{"tppMessages":[{"category":"ERROR","code":"` + c.code + `","text":"refused"}]}`
		}
		_, err := e.b.Send(ctx, p)
		var rf *provider.Refused
		if c.refused && (!errors.As(err, &rf) || rf.HTTPStatus != c.status || rf.Code != c.code || errors.Is(err, provider.ErrOutcomeUnknown)) {
			t.Errorf("%d: %v", c.status, err)
		}
		if !c.refused && (!errors.Is(err, provider.ErrOutcomeUnknown) || errors.As(err, &rf)) {
			t.Errorf("%d: %v", c.status, err)
		}
	}
}
