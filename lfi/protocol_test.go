package lfi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// Tests for the defects an independent bank found (issue 11): the bank's own words kept,
// Retry-After honoured by every call, iss and aud of signed responses checked.

const paymentsPath = "/open-finance/payment/v2.1/payments"

func stubPayment(t *testing.T, c *Client) SignedPayment {
	t.Helper()
	body, err := c.SignPayment([]byte(`{"Data":{"ConsentId":"c-1"}}`))
	if err != nil {
		t.Fatal(err)
	}
	return SignedPayment{IdempotencyKey: "key-1", Body: body, AuthDate: testNow, CustomerIP: "203.0.113.7"}
}

func TestBankWordsAreKeptBoundedAndInTheExchange(t *testing.T) {
	b := newStubLFI(t)
	rec := &recorder{}
	c := newStubClient(t, b, rec, nil)
	long := strings.Repeat("é", 400) // 800 bytes
	b.route("POST", paymentsPath, func(w http.ResponseWriter, r *http.Request) {
		b.writeJWT(w, http.StatusBadRequest, map[string]any{"Errors": []any{
			map[string]any{"Code": "Body.InvalidFormat", "Message": "Amount has three decimals", "Path": "Data.Instruction.Amount.Amount", "Url": "https://bank.example/errors/amount"},
			map[string]any{"Code": "GenericError", "Message": long},
		}})
	})
	_, err := c.CreatePayment(context.Background(), "tok", stubPayment(t, c))
	var be *BankError
	if !errors.As(err, &be) || len(be.Errors) != 2 {
		t.Fatalf("err = %v, want a *BankError with two items", err)
	}
	if be.Errors[0].Message != "Amount has three decimals" || be.Errors[0].URL != "https://bank.example/errors/amount" {
		t.Errorf("first item = %+v", be.Errors[0])
	}
	if m := be.Errors[1].Message; len(m) > maxBankText+len("…") || !strings.HasSuffix(m, "…") || !strings.HasPrefix(m, "éé") {
		t.Errorf("a 800-byte message is kept as %d bytes (%q…), want it cut to %d", len(m), m[:min(len(m), 8)], maxBankText)
	}
	if d := be.Detail(); !strings.HasPrefix(d, "Amount has three decimals (at Data.Instruction.Amount.Amount); éé") {
		t.Errorf("Detail() = %q", d[:min(len(d), 80)])
	}
	if strings.Contains(err.Error(), "three decimals") {
		t.Errorf("the bank's free text reached the error string: %q", err)
	}
	var ex *Exchange
	for i := range rec.exchanges {
		if rec.exchanges[i].Op == "create payment" {
			ex = &rec.exchanges[i]
		}
	}
	if ex == nil || len(ex.BankErrors) != 2 || ex.BankErrors[0].Message != "Amount has three decimals" {
		t.Fatalf("the exchange does not carry the bank's words: %+v", ex)
	}

	// OAuth: error_description is kept on the error and in the exchange, bounded.
	b.route("POST", "/as/par", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":"invalid_request","error_description":"request object exp is more than 10 minutes after nbf `+strings.Repeat("x", 900)+`"}`)
	})
	_, err = c.PAR(context.Background(), "a.b.c")
	var oe *OAuthError
	if !errors.As(err, &oe) || !strings.HasPrefix(oe.Detail(), "request object exp is more than 10 minutes") || len(oe.Description) > maxBankText+len("…") {
		t.Fatalf("err = %v (description %d bytes)", err, len(oe.Description))
	}
	last := rec.exchanges[len(rec.exchanges)-1]
	if last.Op != "PAR" || len(last.BankErrors) != 1 || last.BankErrors[0].Code != "invalid_request" ||
		!strings.HasPrefix(last.BankErrors[0].Message, "request object exp") {
		t.Errorf("PAR exchange bank errors = %+v", last.BankErrors)
	}
}

func TestSignedResponsesMustBeFromTheBankToUs(t *testing.T) {
	b := newStubLFI(t)
	c := newStubClient(t, b, &recorder{}, nil)
	var claims map[string]any
	b.route("POST", paymentsPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/jwt")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, signWith(t, bankSig, "bank-sig-1", claims))
	})
	base := func() map[string]any {
		return map[string]any{"iss": b.issuer, "aud": []string{"client-1"}, "iat": testNow.Unix(), "nbf": testNow.Unix() - 10,
			"exp": testNow.Add(time.Minute).Unix(), "message": paymentMessage("p-1")}
	}
	for _, tc := range []struct {
		name string
		edit func(map[string]any)
		ok   bool
	}{
		{"as a bank signs", func(map[string]any) {}, true},
		{"aud as one string", func(m map[string]any) { m["aud"] = "client-1" }, true},
		{"aud absent (optional in AEJwt)", func(m map[string]any) { delete(m, "aud") }, true},
		{"iss of another bank", func(m map[string]any) { m["iss"] = "https://other-bank.example" }, false},
		{"iss with a trailing slash", func(m map[string]any) { m["iss"] = b.issuer + "/" }, false},
		{"iss missing", func(m map[string]any) { delete(m, "iss") }, false},
		{"aud another client", func(m map[string]any) { m["aud"] = []string{"client-2"} }, false},
		{"aud empty array", func(m map[string]any) { m["aud"] = []string{} }, false},
		{"aud a number", func(m map[string]any) { m["aud"] = 7 }, false},
	} {
		claims = base()
		tc.edit(claims)
		p, err := c.CreatePayment(context.Background(), "tok", stubPayment(t, c))
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s: refused: %v", tc.name, err)
		case !tc.ok && (!errors.Is(err, ErrUnverifiable) || !errors.Is(err, ErrOutcomeUnknown) || p != nil):
			t.Errorf("%s: err = %v, want the answer refused as unverifiable (outcome unknown)", tc.name, err)
		}
	}

	// A bank that signs with another identifier is configured with it.
	c2, err := New(Config{DiscoveryURL: b.srv.URL + "/.well-known/openid-configuration", Issuer: b.issuer,
		ResourceBaseURL: b.srv.URL + "/open-finance/payment/v2.1", ClientID: "client-1", Signer: testSigner(t),
		HTTPClient: b.srv.Client(), Clock: func() time.Time { return testNow }, ResponseIssuer: "https://rs1.bank.example"})
	if err != nil {
		t.Fatal(err)
	}
	claims = base()
	if _, err := c2.CreatePayment(context.Background(), "tok", stubPayment(t, c2)); !errors.Is(err, ErrUnverifiable) {
		t.Errorf("with ResponseIssuer set, the discovery issuer was accepted: %v", err)
	}
	claims["iss"] = "https://rs1.bank.example"
	if _, err := c2.CreatePayment(context.Background(), "tok", stubPayment(t, c2)); err != nil {
		t.Errorf("ResponseIssuer refused: %v", err)
	}
}

// clockedRecorder is a recorder whose sleeps move the clock, as real waits do.
type clockedRecorder struct {
	recorder
	mu  sync.Mutex
	now time.Time
}

func (r *clockedRecorder) clock() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.now
}

func (r *clockedRecorder) sleepAdvancing(ctx context.Context, d time.Duration) error {
	if err := r.sleep(ctx, d); err != nil {
		return err
	}
	r.mu.Lock()
	r.now = r.now.Add(d)
	r.mu.Unlock()
	return nil
}

func TestRetryAfterHoldsBackEveryLaterCall(t *testing.T) {
	b := newStubLFI(t)
	rec := &clockedRecorder{now: testNow}
	c, err := New(Config{DiscoveryURL: b.srv.URL + "/.well-known/openid-configuration", Issuer: b.issuer,
		ResourceBaseURL: b.srv.URL + "/open-finance/payment/v2.1", ClientID: "client-1", Signer: testSigner(t),
		HTTPClient: b.srv.Client(), Clock: rec.clock, Sleep: rec.sleepAdvancing, Observer: rec.observe})
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	b.tokenRoute("cc", &calls)
	var mu sync.Mutex
	gets := 0
	b.route("GET", paymentsPath+"/p-1", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		gets++
		n := gets
		mu.Unlock()
		if n == 1 {
			w.Header().Set("Retry-After", "59")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		b.writeJWT(w, http.StatusOK, paymentMessage("p-1"))
	})
	// 59 s is beyond the default 30 s a call sits out: it comes back to the caller.
	_, err = c.GetPayment(context.Background(), "p-1")
	if !errors.Is(err, ErrRateLimited) || RetryAfterOf(err) != 59*time.Second || gets != 1 {
		t.Fatalf("err = %v after %d GETs, want ErrRateLimited with 59 s", err, gets)
	}
	// Any other call before the 59 s are over is held back without reaching the bank.
	rec.mu.Lock()
	rec.now = rec.now.Add(9 * time.Second)
	rec.mu.Unlock()
	_, err = c.GetPayment(context.Background(), "p-1")
	var we *WaitError
	if !errors.As(err, &we) || we.RetryAfter != 50*time.Second || gets != 1 || errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("second call: err = %v, %d GETs; want a WaitError of 50 s and nothing sent", err, gets)
	}
	if _, err := c.CreatePayment(context.Background(), "tok", stubPayment(t, c)); !errors.As(err, &we) || errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("a payment during the wait: err = %v, want it not sent (not an unknown outcome)", err)
	}
	// A caller that shows the wait may sit it out: it is told first, then waits, then sends.
	var waits []Wait
	ctx := WithWaitObserver(WithMaxWait(context.Background(), 2*time.Minute), func(w Wait) { waits = append(waits, w) })
	rec.sleeps = nil
	p, err := c.GetPayment(ctx, "p-1")
	if err != nil || p.PaymentID != "p-1" || gets != 2 {
		t.Fatalf("waited call: %v, %d GETs", err, gets)
	}
	if len(waits) != 1 || waits[0].For != 50*time.Second || !waits[0].Until.Equal(testNow.Add(59*time.Second)) || waits[0].Op != "get payment" {
		t.Errorf("waits reported = %+v, want one of 50 s until +59 s", waits)
	}
	if len(rec.sleeps) != 1 || rec.sleeps[0] != 50*time.Second {
		t.Errorf("slept %v, want [50s]", rec.sleeps)
	}
	// The wait is over: the next call goes at once.
	rec.sleeps = nil
	if _, err := c.GetPayment(context.Background(), "p-1"); err != nil || len(rec.sleeps) != 0 {
		t.Errorf("after the wait: %v, slept %v", err, rec.sleeps)
	}
}

func TestRateLimitedPaymentIsNotAnUnknownOutcome(t *testing.T) {
	b := newStubLFI(t)
	rec := &recorder{}
	c := newStubClient(t, b, rec, nil)
	var mu sync.Mutex
	var bodies [][]byte
	status, retry := http.StatusTooManyRequests, "20"
	b.route("POST", paymentsPath, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, body)
		n := len(bodies)
		mu.Unlock()
		if n == 1 {
			w.Header().Set("Retry-After", retry)
			w.WriteHeader(status)
			return
		}
		b.writeJWT(w, http.StatusCreated, paymentMessage("p-1"))
	})
	sp := stubPayment(t, c)
	var waits []Wait
	ctx := WithWaitObserver(context.Background(), func(w Wait) { waits = append(waits, w) })
	if _, err := c.CreatePayment(ctx, "tok", sp); err != nil {
		t.Fatal(err)
	}
	if len(bodies) != 2 || !bytes.Equal(bodies[0], sp.Body) || !bytes.Equal(bodies[1], sp.Body) {
		t.Fatalf("%d sends; the resend must carry the same bytes", len(bodies))
	}
	if len(waits) != 1 || waits[0].Status != 429 || waits[0].For != 20*time.Second {
		t.Errorf("waits = %+v, want the 429's 20 s reported", waits)
	}

	// Cancelled while sitting out the 429: nothing was processed, nothing sent since.
	bodies = nil
	cctx, cancel := context.WithCancel(context.Background())
	c2, err := New(Config{DiscoveryURL: b.srv.URL + "/.well-known/openid-configuration", Issuer: b.issuer,
		ResourceBaseURL: b.srv.URL + "/open-finance/payment/v2.1", ClientID: "client-1", Signer: testSigner(t),
		HTTPClient: b.srv.Client(), Clock: func() time.Time { return testNow },
		Sleep: func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c2.CreatePayment(cctx, "tok", sp)
	if !errors.Is(err, ErrRateLimited) || errors.Is(err, ErrOutcomeUnknown) || !errors.Is(err, context.Canceled) || len(bodies) != 1 {
		t.Fatalf("cancelled wait: err = %v after %d sends; want rate limited, not unknown", err, len(bodies))
	}

	// A 503 may come from a gateway after the bank acted: it stays an unknown outcome, and
	// carries the wait it asked for.
	bodies, status, retry = nil, http.StatusServiceUnavailable, "120"
	_, err = c.CreatePayment(context.Background(), "tok", sp)
	if !errors.Is(err, ErrOutcomeUnknown) || RetryAfterOf(err) != 120*time.Second || len(bodies) != 1 {
		t.Errorf("503: err = %v (%d sends), want outcome unknown with Retry-After 120 s", err, len(bodies))
	}
}

func TestWithoutPIIMasksAccountNumbersInTheBanksWords(t *testing.T) {
	ex := Exchange{BankErrors: []ErrorItem{{Code: "Consent.BusinessRuleViolation",
		Message: "creditor AE070331234567890123456 is not on the consent; nor is AE07 0331 2345 6789 0123 456", Path: "Data.PII"}}}
	got := ex.WithoutPII().BankErrors[0].Message
	if strings.Contains(got, "0331") || strings.Count(got, "[IBAN]") != 2 || !strings.HasPrefix(got, "creditor [IBAN] is not on the consent") {
		t.Errorf("masked = %q", got)
	}
	if ex.BankErrors[0].Message == got {
		t.Error("WithoutPII changed the original")
	}
}

// TestRateLimitAfterAMaybeProcessedAttemptStaysUnknown: a 503 (which a gateway may send after
// the bank acted) and then 429s: the last answer processed nothing, but the first may have.
func TestRateLimitAfterAMaybeProcessedAttemptStaysUnknown(t *testing.T) {
	b := newStubLFI(t)
	c := newStubClient(t, b, &recorder{}, nil)
	n := 0
	b.route("POST", paymentsPath, func(w http.ResponseWriter, r *http.Request) {
		n++
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	_, err := c.CreatePayment(context.Background(), "tok", stubPayment(t, c))
	if !errors.Is(err, ErrOutcomeUnknown) || n != 3 {
		t.Fatalf("err = %v after %d sends, want an unknown outcome", err, n)
	}
}
