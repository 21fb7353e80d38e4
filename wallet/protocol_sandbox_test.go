package wallet

import (
	"bytes"
	"context"
	"errors"
	"github.com/payterm/payterm/provider/uae"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payterm/payterm/consent"
	"github.com/payterm/payterm/lfi"
	"github.com/payterm/payterm/sandbox"
)

// The protocol defects an independent bank found (issue 11), against the strict sandbox.

// sleepLog records the lfi client's waits; cancel, when set, is called on the first one that
// matches (a user pressing esc while the wait is shown).
type sleepLog struct {
	mu     sync.Mutex
	waits  []time.Duration
	cancel func(time.Duration) bool
}

func (s *sleepLog) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	cancel := s.cancel
	s.mu.Unlock()
	if cancel != nil && cancel(d) {
		<-ctx.Done()
		return ctx.Err()
	}
	return ctx.Err()
}

func (s *sleepLog) saw(d time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.waits {
		if w == d {
			return true
		}
	}
	return false
}

// rewire gives the wallet a client of its own (wrap and sleep as given), with a token source
// over the same client, so one client sees every call (and every Retry-After) of the wallet.
func (e *walletEnv) rewire(t *testing.T, wrap func(http.RoundTripper) http.RoundTripper, sleep func(context.Context, time.Duration) error, clock func() time.Time) {
	t.Helper()
	sigKey, tlsKey := tppKeys(t)
	hc, err := lfi.NewMTLSClient(e.certPEM, tlsKey, e.bank.RootCAs())
	if err != nil {
		t.Fatal(err)
	}
	if wrap != nil {
		hc.Transport = wrap(hc.Transport)
	}
	signer, err := lfi.NewSigner(sigKey, "tpp-sig")
	if err != nil {
		t.Fatal(err)
	}
	c, err := lfi.New(lfi.Config{DiscoveryURL: e.bank.DiscoveryURL(), Issuer: e.bank.Issuer(), ResourceBaseURL: e.bank.ResourceBaseURL(),
		ClientID: e.clientID, Signer: signer, HTTPClient: hc, Sleep: sleep})
	if err != nil {
		t.Fatal(err)
	}
	e.client = c
	e.tokens = uae.NewConsentTokens(e.store, uae.OneBank(consent.NewLFIBank(c).Refresh), nil)
	e.wallet = e.newWallet(t, c, e.tokens, Limits{}, clock)
}

// freshSCA makes the next authentication happen half a minute ago (the environment's SCA clock
// runs minutes behind, which leaves too little of the 5-minute lifetime for these tests).
func (e *walletEnv) freshSCA() { e.scaClock.offset.Store(int64(-time.Minute)) }

// bankHolds counts the bank's payments under a consent with a client of its own: the wallet's
// client rightly holds every call back while the bank's Retry-After lasts.
func bankHolds(t *testing.T, e *walletEnv, consentID string) int {
	t.Helper()
	c, err := e.bankEnv.client(t, nil).GetConsent(context.Background(), consentID)
	if err != nil {
		t.Fatal(err)
	}
	return len(c.PaymentURLs)
}

func lookups(t *testing.T, e *walletEnv, id int64) int {
	t.Helper()
	atts, err := e.ledger.Attempts(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range atts {
		if a.Kind == "lookup-key" {
			n++
		}
	}
	return n
}

// TestSandbox429OnPostWaitsAndResendsWithoutReconciling: a 429 with Retry-After 59 on POST
// /payments means the bank processed nothing: the wallet shows the wait, sits it out and sends
// the same bytes again — never Unknown, never a lookup.
func TestSandbox429OnPostWaitsAndResendsWithoutReconciling(t *testing.T) {
	b := newBankEnv(t)
	e := newWalletEnv(t, b, Limits{})
	c := e.onboard(t, 1, "")
	sl := &sleepLog{}
	e.rewire(t, nil, sl.sleep, nil)
	e.freshSCA()
	if err := b.bank.InjectFault(sandbox.Fault{Kind: sandbox.FaultRateLimit, Count: 1, RetryAfter: 59}); err != nil {
		t.Fatal(err)
	}
	var waits []Event
	p, err := e.pay(t, "4.00", func(ev Event) {
		if !ev.Until.IsZero() {
			waits = append(waits, ev)
		}
	})
	if err != nil {
		t.Fatalf("pay: %v\n%s", err, verdicts(b))
	}
	if p.Status.Outcome() != OutcomeSuccessful || bankHolds(t, e, c.ID) != 1 {
		t.Fatalf("status %s, bank holds %d payments", p.Status, bankHolds(t, e, c.ID))
	}
	if len(waits) != 1 || waits[0].Step != StepSend || waits[0].Note != "Bank asked to wait 59 s" || !sl.saw(59*time.Second) {
		t.Errorf("waits shown %+v, slept %v; want one 59 s wait on Send", waits, sl.waits)
	}
	tl, _ := e.ledger.Timeline(context.Background(), p.ID)
	if hasStatus(tl, PaymentUnknown) || lookups(t, e, p.ID) != 0 {
		t.Errorf("a 429 was treated as an unknown outcome: timeline %v, %d lookups", tl, lookups(t, e, p.ID))
	}
}

// TestSandbox429LongerThanTheSCAAbandons: a wait that ends after the SCA does means the payment
// can never be sent: it is abandoned at once (nothing was processed), not reconciled or resent.
func TestSandbox429LongerThanTheSCAAbandons(t *testing.T) {
	b := newBankEnv(t)
	e := newWalletEnv(t, b, Limits{})
	c := e.onboard(t, 1, "")
	e.rewire(t, nil, (&sleepLog{}).sleep, nil)
	e.freshSCA()
	if err := b.bank.InjectFault(sandbox.Fault{Kind: sandbox.FaultRateLimit, Count: 1, RetryAfter: 600}); err != nil {
		t.Fatal(err)
	}
	p, err := e.pay(t, "4.00", nil)
	var pr *Problem
	if !errors.As(err, &pr) || !strings.Contains(pr.What, "10 min") || !errors.Is(err, lfi.ErrRateLimited) {
		t.Fatalf("err = %v, want a Problem naming the 10 min wait", err)
	}
	if p.Status != PaymentAbandoned || lookups(t, e, p.ID) != 0 || bankHolds(t, e, c.ID) != 0 {
		t.Fatalf("status %s, %d lookups, bank holds %d", p.Status, lookups(t, e, p.ID), bankHolds(t, e, c.ID))
	}
	// Later resumes leave it alone: it is final.
	if err := e.wallet.Resume(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if bankHolds(t, e, c.ID) != 0 {
		t.Fatal("an abandoned payment was sent")
	}
}

// TestSandboxCancelledWaitLeavesThePaymentQueued: esc during the bank's wait stops the wait; the
// payment stays queued (the bank has nothing) and can be cancelled, which frees its limits.
func TestSandboxCancelledWaitLeavesThePaymentQueued(t *testing.T) {
	b := newBankEnv(t)
	e := newWalletEnv(t, b, mustLimits(t, "", "100.00", "", 0, ""))
	c := e.onboard(t, 1, "")
	sl := &sleepLog{}
	e.rewire(t, nil, sl.sleep, nil)
	e.wallet.cfg.Limits = mustLimits(t, "", "100.00", "", 0, "")
	e.freshSCA()
	if err := b.bank.InjectFault(sandbox.Fault{Kind: sandbox.FaultRateLimit, Count: 1, RetryAfter: 59}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sl.cancel = func(d time.Duration) bool {
		if d == 59*time.Second {
			cancel()
			return true
		}
		return false
	}
	pp, err := e.wallet.Prepare(ctx, e.draft("60.00"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.wallet.Submit(ctx, pp.ID, testPIN, e.scaClock.nextCode(t, e.totp), nil)
	if !errors.Is(err, ErrQueued) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want the payment queued after the cancelled wait", err)
	}
	got, _ := e.ledger.Payment(context.Background(), p.ID)
	if got.Status != PaymentPrepared || lookups(t, e, p.ID) != 0 {
		t.Fatalf("after esc: status %s, %d lookups; want queued (Prepared) and no lookup", got.Status, lookups(t, e, p.ID))
	}
	if h, _ := e.wallet.Headroom(context.Background(), c.ID); h.Day.String() != "40.00" {
		t.Errorf("a queued payment must keep its limit reserved: day headroom %s", h.Day)
	}
	got, err = e.wallet.CancelPayment(context.Background(), p.ID)
	if err != nil || got.Status != PaymentCancelled {
		t.Fatalf("cancel: %v, status %s", err, got.Status)
	}
	if h, _ := e.wallet.Headroom(context.Background(), c.ID); h.Day.String() != "100.00" {
		t.Errorf("a cancelled payment still counts: day headroom %s", h.Day)
	}
	if err := e.wallet.Resume(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if n := bankHolds(t, e, c.ID); n != 0 {
		t.Fatalf("a cancelled payment reached the bank (%d)", n)
	}
	if _, err := e.wallet.CancelPayment(context.Background(), p.ID); err == nil {
		t.Error("a cancelled payment was cancelled again")
	}
}

// TestCancelWaitsForADeliveryLettingGo: a cancel pressed while the delivery that just stopped
// waiting still holds the payment waits for it to let go (it used to answer "payterm is
// sending or checking this payment right now", flaky in the journey that presses X at once);
// a delivery that keeps the payment past the wait still gets that answer.
func TestCancelWaitsForADeliveryLettingGo(t *testing.T) {
	b := newBankEnv(t)
	e := newWalletEnv(t, b, Limits{})
	e.onboard(t, 1, "")
	e.freshSCA()
	if err := b.bank.InjectFault(sandbox.Fault{Kind: sandbox.FaultRateLimit, Count: 1, RetryAfter: 59}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	sl := &sleepLog{cancel: func(d time.Duration) bool {
		if d == 59*time.Second {
			cancel()
			return true
		}
		return false
	}}
	e.rewire(t, nil, sl.sleep, nil)
	pp, err := e.wallet.Prepare(ctx, e.draft("60.00"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.wallet.Submit(ctx, pp.ID, testPIN, e.scaClock.nextCode(t, e.totp), nil)
	if !errors.Is(err, ErrQueued) {
		t.Fatalf("err = %v, want the payment queued", err)
	}
	// Another call holds it and lets go a moment later.
	if !e.wallet.claim(p.ID) {
		t.Fatal("the payment is still claimed after Submit returned")
	}
	go func() {
		time.Sleep(50 * time.Millisecond)
		e.wallet.release(p.ID)
	}()
	got, err := e.wallet.CancelPayment(context.Background(), p.ID)
	if err != nil || got.Status != PaymentCancelled {
		t.Fatalf("cancel while the delivery lets go: %v, status %s", err, got.Status)
	}
	// One that does not let go: the cancel gives up with the sentence, nothing changed.
	if !e.wallet.claim(p.ID) {
		t.Fatal("claim")
	}
	defer e.wallet.release(p.ID)
	short, stop := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer stop()
	var pr *Problem
	if _, err := e.wallet.CancelPayment(short, p.ID); !errors.As(err, &pr) || !strings.Contains(pr.What, "right now") {
		t.Fatalf("cancel of a held payment: %v", err)
	}
}

// TestSandboxPollHonoursRetryAfter: a 429 with Retry-After 59 on a status poll is sat out (and
// shown), not answered with polls at +1, 2, 4, 8 s.
func TestSandboxPollHonoursRetryAfter(t *testing.T) {
	b := newBankEnv(t)
	e := newWalletEnv(t, b, Limits{})
	e.onboard(t, 1, "")
	sl := &sleepLog{}
	var mu sync.Mutex
	var gets []time.Time
	e.rewire(t, func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/payments/") {
				mu.Lock()
				gets = append(gets, time.Now())
				mu.Unlock()
			}
			return rt.RoundTrip(r)
		})
	}, sl.sleep, nil)
	e.wallet.cfg.TrackFor = 5 * time.Minute
	e.freshSCA()
	injected := false
	var waits []Event
	p, err := e.pay(t, "2.00", func(ev Event) {
		if ev.Step == StepBankPending && ev.State == StepDone && !injected {
			injected = true // the bank has the payment: its next resource request is a poll
			if err := b.bank.InjectFault(sandbox.Fault{Kind: sandbox.FaultRateLimit, Count: 1, RetryAfter: 59}); err != nil {
				t.Error(err)
			}
		}
		if !ev.Until.IsZero() {
			waits = append(waits, ev)
		}
	})
	if err != nil || p.Status.Outcome() != OutcomeSuccessful {
		t.Fatalf("pay: %v, %s", err, p.Status)
	}
	if len(waits) != 1 || waits[0].Step != StepBankPending || waits[0].Note != "Bank asked to wait 59 s" {
		t.Errorf("waits shown = %+v, want one 59 s wait while tracking", waits)
	}
	if !sl.saw(59 * time.Second) {
		t.Errorf("the client never sat out the 59 s (slept %v)", sl.waits)
	}
	if len(gets) < 2 {
		t.Errorf("%d polls", len(gets))
	}
}

// TestSandboxRefusedRefreshSyncsAndQueues: the bank suspended the consent, so the refresh is
// refused (invalid_grant). The ledger shows Suspended at once, the payment is queued (not
// sent) with words that say what the wallet will do, and it is sent if the bank lifts the
// suspension while the SCA lasts — never after.
func TestSandboxRefusedRefreshSyncsAndQueues(t *testing.T) {
	b := newBankEnv(t)
	e := newWalletEnv(t, b, Limits{})
	c := e.onboard(t, 1, "")
	e.freshSCA()
	if err := b.bank.SuspendConsent(c.ID); err != nil {
		t.Fatal(err)
	}
	e.tokens.Invalidate(c.ID) // the next payment needs a refresh
	p, err := e.pay(t, "3.00", nil)
	if !errors.Is(err, ErrQueued) || !errors.Is(err, consent.ErrConsentInactive) {
		t.Fatalf("err = %v, want the payment queued after invalid_grant", err)
	}
	var pr *Problem
	if !errors.As(err, &pr) || !strings.Contains(pr.What, "Suspended") || !strings.Contains(pr.What, "queued") ||
		!strings.Contains(pr.Next, "cancel") || strings.Contains(pr.Error(), "set up a new") {
		t.Errorf("the words do not match what the wallet does: %q", pr.Error())
	}
	if got, _ := e.ledger.Consent(context.Background(), c.ID); got.Status != ConsentSuspended {
		t.Errorf("ledger consent = %s right after invalid_grant, want Suspended", got.Status)
	}
	if got, _ := e.ledger.Payment(context.Background(), p.ID); got.Status != PaymentPrepared {
		t.Fatalf("payment = %s, want queued (Prepared)", got.Status)
	}
	// The bank lifts the suspension within the 5 minutes: the keeper's resume sends it (as the
	// words said), and the ledger learns the consent is Authorized again.
	if err := b.bank.RestoreConsent(c.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.wallet.Resume(context.Background(), nil); err != nil {
		t.Fatalf("resume: %v\n%s", err, verdicts(b))
	}
	if got, _ := e.ledger.Payment(context.Background(), p.ID); got.Status.Outcome() != OutcomeSuccessful || bankHolds(t, e, c.ID) != 1 {
		t.Fatalf("after the restore: %s, bank holds %d", got.Status, bankHolds(t, e, c.ID))
	}
	if got, _ := e.ledger.Consent(context.Background(), c.ID); got.Status != ConsentAuthorized {
		t.Errorf("consent after a payment went through = %s", got.Status)
	}
}

// TestSandboxConsentInvalidOnPostSyncsAtOnce: the bank suspended the consent while the wallet
// still holds a live access token, so the POST itself is refused (signed Consent.Invalid, rule
// 29). The payment is refused with nothing paid, and the ledger shows the consent Suspended at
// once (issue 11: "invalid_grant or Consent.Invalid syncs the consent at once"), not after the
// next periodic sync.
func TestSandboxConsentInvalidOnPostSyncsAtOnce(t *testing.T) {
	b := newBankEnv(t)
	e := newWalletEnv(t, b, Limits{})
	c := e.onboard(t, 1, "")
	e.freshSCA()
	if err := b.bank.SuspendConsent(c.ID); err != nil {
		t.Fatal(err)
	}
	p, _ := e.pay(t, "3.00", nil)
	got, err := e.ledger.Payment(context.Background(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != PaymentRefused || got.RejectCode != "Consent.Invalid" {
		t.Fatalf("payment = %s (%q), want refused with the bank's Consent.Invalid\n%s", got.Status, got.RejectCode, verdicts(b))
	}
	if cons, _ := e.ledger.Consent(context.Background(), c.ID); cons.Status != ConsentSuspended {
		t.Errorf("ledger consent = %s right after Consent.Invalid, want Suspended", cons.Status)
	}
	if n := bankHolds(t, e, c.ID); n != 0 {
		t.Errorf("bank holds %d payments, want none", n)
	}
}

// TestSandboxRestoredConsentAfterFiveMinutesSendsNothing: the same, but the bank restores the
// consent after the SCA's 5 minutes: the wallet (its clock injected) never sends it.
func TestSandboxRestoredConsentAfterFiveMinutesSendsNothing(t *testing.T) {
	b := newBankEnv(t)
	e := newWalletEnv(t, b, Limits{})
	c := e.onboard(t, 1, "")
	e.freshSCA()
	if err := b.bank.SuspendConsent(c.ID); err != nil {
		t.Fatal(err)
	}
	e.tokens.Invalidate(c.ID)
	p, err := e.pay(t, "3.00", nil)
	if !errors.Is(err, ErrQueued) {
		t.Fatalf("err = %v", err)
	}
	if err := b.bank.RestoreConsent(c.ID); err != nil {
		t.Fatal(err)
	}
	later := func() time.Time { return time.Now().Add(5*time.Minute + time.Second) }
	e.wallet = e.newWallet(t, e.client, e.tokens, Limits{}, later)
	if err := e.wallet.Resume(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	got, _ := e.ledger.Payment(context.Background(), p.ID)
	if got.Status != PaymentAbandoned || bankHolds(t, e, c.ID) != 0 {
		t.Fatalf("5 minutes after the SCA: %s, bank holds %d; want abandoned, nothing sent", got.Status, bankHolds(t, e, c.ID))
	}
}

// TestSandboxRevokedConsentAbandonsAtOnce: invalid_grant on a consent the bank revoked: nothing
// will ever be sent, and the words say so instead of queueing it.
func TestSandboxRevokedConsentAbandonsAtOnce(t *testing.T) {
	b := newBankEnv(t)
	e := newWalletEnv(t, b, Limits{})
	c := e.onboard(t, 1, "")
	e.freshSCA()
	if err := b.bank.RevokeConsent(c.ID); err != nil {
		t.Fatal(err)
	}
	e.tokens.Invalidate(c.ID)
	p, err := e.pay(t, "3.00", nil)
	var pr *Problem
	if !errors.As(err, &pr) || !strings.Contains(pr.What, "never will be") || errors.Is(err, ErrQueued) {
		t.Fatalf("err = %v", err)
	}
	if got, _ := e.ledger.Payment(context.Background(), p.ID); got.Status != PaymentAbandoned {
		t.Errorf("payment = %s", got.Status)
	}
	if got, _ := e.ledger.Consent(context.Background(), c.ID); got.Status != ConsentRevoked {
		t.Errorf("consent = %s", got.Status)
	}
}

// TestSandboxKeyRotationResealsOnce: the bank rotated its encryption key after the wallet
// cached its JWKS. The POST is refused with JWE.InvalidHeader; the wallet refetches the keys,
// seals the same PII again, signs, stores the new bytes and only then sends them, once, under
// the same idempotency key.
func TestSandboxKeyRotationResealsOnce(t *testing.T) {
	b := newBankEnv(t)
	e := newWalletEnv(t, b, Limits{})
	c := e.onboard(t, 1, "")
	type post struct {
		key    string
		body   []byte
		stored []byte // the ledger's request at the moment the bytes left
	}
	var mu sync.Mutex
	var posts []post
	e.rewire(t, func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/payments") {
				body, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(body))
				var stored []byte
				if open, err := e.ledger.OpenPayments(context.Background()); err == nil && len(open) == 1 {
					stored = open[0].Request
				}
				mu.Lock()
				posts = append(posts, post{key: r.Header.Get("X-Idempotency-Key"), body: body, stored: stored})
				mu.Unlock()
			}
			return rt.RoundTrip(r)
		})
	}, (&sleepLog{}).sleep, nil)
	if _, err := e.client.EncryptionKey(context.Background()); err != nil { // cache the JWKS
		t.Fatal(err)
	}
	if _, err := b.bank.RotateEncKey(); err != nil {
		t.Fatal(err)
	}
	e.freshSCA()
	p, err := e.pay(t, "6.00", nil)
	if err != nil || p.Status.Outcome() != OutcomeSuccessful {
		t.Fatalf("pay: %v, %s\n%s", err, p.Status, verdicts(b))
	}
	if len(posts) != 2 || bankHolds(t, e, c.ID) != 1 {
		t.Fatalf("%d POSTs, bank holds %d; want exactly one resend", len(posts), bankHolds(t, e, c.ID))
	}
	if posts[0].key != posts[1].key || posts[0].key != p.IdempotencyKey {
		t.Errorf("the resend changed the idempotency key: %q, %q", posts[0].key, posts[1].key)
	}
	if bytes.Equal(posts[0].body, posts[1].body) {
		t.Error("the resend carried the bytes sealed to the old key")
	}
	for i, ps := range posts {
		if !bytes.Equal(ps.body, ps.stored) {
			t.Errorf("POST %d left before its exact bytes were in the ledger", i+1)
		}
	}
	if !bytes.Equal(p.Request, posts[1].body) {
		t.Error("the ledger does not hold the bytes the bank accepted")
	}
	tl, _ := e.ledger.Timeline(context.Background(), p.ID)
	var resealed bool
	for _, ch := range tl {
		resealed = resealed || strings.Contains(ch.Note, "sealed again")
	}
	if !resealed || hasStatus(tl, PaymentUnknown) {
		t.Errorf("timeline = %v", tl)
	}

	// A second rotation in the same run is not chased: one resend, then the refusal stands.
	if _, err := b.bank.RotateEncKey(); err != nil {
		t.Fatal(err)
	}
	e.client.ForgetKeys()
	if _, err := e.client.EncryptionKey(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := b.bank.RotateEncKey(); err != nil {
		t.Fatal(err)
	}
	posts = nil
	p2, err := e.pay(t, "1.00", func(ev Event) {
		if ev.Step == StepSealPII && ev.Note == "sealed again to the bank's new key and signed again" {
			if _, err := b.bank.RotateEncKey(); err != nil { // rotates again before the resend
				t.Error(err)
			}
		}
	})
	if err != nil || p2.Status != PaymentRefused || p2.RejectCode != "JWE.InvalidHeader" || len(posts) != 2 {
		t.Fatalf("second rotation: %v, %s %s after %d POSTs; want refused after one resend", err, p2.Status, p2.RejectCode, len(posts))
	}
}

// TestNeverSentAfterTheSCAExpires: the core enforces the SCA's 5 minutes itself, whatever the
// signed request's exp says (a resealed request, or a bank signing with a longer lifetime).
func TestNeverSentAfterTheSCAExpires(t *testing.T) {
	b := newBankEnv(t)
	e := newWalletEnv(t, b, Limits{})
	c := e.onboard(t, 1, "")
	var posts int
	var mu sync.Mutex
	e.rewire(t, func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/payments") {
				mu.Lock()
				posts++
				mu.Unlock()
			}
			return rt.RoundTrip(r)
		})
	}, (&sleepLog{}).sleep, nil)
	ctx := context.Background()
	now := time.Now()
	p := testPayment(c.ID, "2.00")
	p.RequestExp = now.Add(time.Hour)
	p.SCAReceipt = `{"challengeTime":"` + now.Add(-5*time.Minute-time.Second).UTC().Format(time.RFC3339) + `","factors":["knowledge:PIN","possession:OTP"]}`
	if err := e.ledger.ReservePayment(ctx, p, Limits{}); err != nil {
		t.Fatal(err)
	}
	if err := e.wallet.Resume(ctx, nil); err != nil {
		t.Fatal(err)
	}
	got, _ := e.ledger.Payment(ctx, p.ID)
	if posts != 0 || got.Status != PaymentAbandoned {
		t.Fatalf("an SCA over 5 minutes old: %d POSTs, status %s; want none, abandoned", posts, got.Status)
	}
	if lookups(t, e, p.ID) != 1 {
		t.Errorf("%d lookups; the bank is asked once before the payment is given up", lookups(t, e, p.ID))
	}
}

// TestResumeReadsThePaymentAgainBeforeDriving: Resume lists the open payments, then drives them
// one by one; one finished by another call meanwhile is not looked up again from the stale list.
func TestResumeReadsThePaymentAgainBeforeDriving(t *testing.T) {
	b := newBankEnv(t)
	e := newWalletEnv(t, b, Limits{})
	c := e.onboard(t, 1, "")
	ctx := context.Background()
	first, second := testPayment(c.ID, "1.00"), testPayment(c.ID, "2.00")
	for _, p := range []*Payment{first, second} {
		if err := e.ledger.ReservePayment(ctx, p, Limits{}); err != nil {
			t.Fatal(err)
		}
		if err := e.ledger.UpdatePaymentStatus(ctx, p.ID, StatusUpdate{Status: PaymentUnknown, Note: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	var once sync.Once
	e.rewire(t, func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.Header.Get("X-Idempotency-Key") == first.IdempotencyKey {
				// While the first is looked up, another call settles the second.
				once.Do(func() {
					if err := e.ledger.UpdatePaymentStatus(ctx, second.ID, StatusUpdate{Status: PaymentAbandoned, Note: "settled elsewhere"}); err != nil {
						t.Error(err)
					}
				})
			}
			return rt.RoundTrip(r)
		})
	}, (&sleepLog{}).sleep, nil)
	_ = e.wallet.Resume(ctx, nil) // the fixtures are no real payments; only the calls matter
	if n := lookups(t, e, second.ID); n != 0 {
		t.Fatalf("the second payment was looked up %d time(s) after another call had finished it", n)
	}
	if lookups(t, e, first.ID) != 1 {
		t.Errorf("the first payment was looked up %d times", lookups(t, e, first.ID))
	}
}
