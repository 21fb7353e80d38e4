package lfi

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"

	"github.com/payterm/payterm/sandbox"
)

// These tests run the client against the strict sandbox bank over real loopback mTLS.
// The consent request object and PII are assembled here by hand (consent/ owns the real
// builders); what is under test is lfi's transport, JOSE and calls.

const (
	itRedirect = "https://tpp.example/callback"
	itIBAN     = "AE070331234567890123456"
)

type sandboxRig struct {
	bank     *sandbox.Bank
	client   *Client
	rec      *recorder
	clientID string
	last     IDTokenExpectations // nonce, state and code of the last onboard
}

func newSandboxRig(t *testing.T) *sandboxRig {
	t.Helper()
	testKeys(t)
	bank, err := sandbox.New(sandbox.Config{AutoApprove: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := bank.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bank.Close() })
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &tppKey.PublicKey, KeyID: "tpp-kid", Use: "sig", Algorithm: "PS256"}}})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := bank.Register(sandbox.ClientRegistration{Name: "payterm test", SigningJWKS: jwks,
		RedirectURIs: []string{itRedirect}, TransportPublicKey: &x.PublicKey})
	if err != nil {
		t.Fatal(err)
	}
	hc, err := NewMTLSClient([]byte(reg.TransportCertPEM), x, bank.RootCAs())
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	c, err := New(Config{DiscoveryURL: bank.DiscoveryURL(), Issuer: bank.Issuer(), ResourceBaseURL: bank.ResourceBaseURL(),
		ClientID: reg.ClientID, Signer: testSigner(t), HTTPClient: hc, Observer: rec.observe, Sleep: rec.sleep})
	if err != nil {
		t.Fatal(err)
	}
	return &sandboxRig{bank: bank, client: c, rec: rec, clientID: reg.ClientID}
}

func creditorAccount() map[string]any {
	return map[string]any{"SchemeName": "IBAN", "Identification": itIBAN, "Name": map[string]any{"en": "Ivan England"}}
}

// onboard runs PAR → authorize (auto-approve) → token and returns the user token and consent id.
func (r *sandboxRig) onboard(t *testing.T) (*TokenResponse, string) {
	t.Helper()
	ctx := context.Background()
	c := r.client
	d, err := c.Discovery(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pii, _ := json.Marshal(map[string]any{"Initiation": map[string]any{"Creditor": []any{map[string]any{"CreditorAccount": creditorAccount()}}}, "Risk": map[string]any{}})
	jwe, err := c.SealPII(ctx, pii)
	if err != nil {
		t.Fatal(err)
	}
	consentID := uuid.NewString()
	verifier := base64.RawURLEncoding.EncodeToString(randBytes(t, 48))
	sum := sha256.Sum256([]byte(verifier))
	now := time.Now()
	state, nonce := uuid.NewString(), uuid.NewString()
	ro, err := c.Signer().SignClaims(map[string]any{
		"iss": c.ClientID(), "aud": c.Issuer(), "client_id": c.ClientID(), "nbf": now.Add(-10 * time.Second).Unix(),
		"exp": now.Add(5 * time.Minute).Unix(), "response_type": "code", "redirect_uri": itRedirect, "scope": "payments openid",
		"code_challenge": base64.RawURLEncoding.EncodeToString(sum[:]), "code_challenge_method": "S256",
		"state": state, "nonce": nonce,
		"authorization_details": []any{map[string]any{"type": "urn:openfinanceuae:service-initiation-consent:v2.1",
			"consent": map[string]any{"ConsentId": consentID, "IsSingleAuthorization": true,
				"ExpirationDateTime":              now.AddDate(0, 3, 0).UTC().Format(time.RFC3339),
				"ControlParameters":               map[string]any{"IsDelegatedAuthentication": true, "ConsentSchedule": map[string]any{}},
				"PersonalIdentifiableInformation": jwe, "PaymentPurposeCode": "MWP"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	par, err := c.PAR(ctx, ro)
	if err != nil {
		r.explain(t)
		t.Fatalf("PAR: %v", err)
	}
	authURL, _ := url.Parse(d.AuthorizationEndpoint)
	authURL.RawQuery = url.Values{"client_id": {c.ClientID()}, "response_type": {"code"}, "scope": {"openid"}, "request_uri": {par.RequestURI}}.Encode()
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(authURL.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode/100 != 3 {
		t.Fatalf("authorize: HTTP %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	q := loc.Query()
	if q.Get("state") != state || q.Get("iss") != c.Issuer() || q.Get("code") == "" {
		t.Fatalf("callback query has wrong state/iss or no code")
	}
	tr, err := c.TokenAuthorizationCode(ctx, q.Get("code"), itRedirect, verifier)
	if err != nil {
		r.explain(t)
		t.Fatalf("token: %v", err)
	}
	r.last = IDTokenExpectations{Nonce: nonce, State: state, Code: Secret(q.Get("code")), AccessToken: tr.AccessToken}
	return tr, consentID
}

func randBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// explain prints the bank's failed checks for the latest exchanges (never PII: the sandbox
// promises that of its verdict details).
func (r *sandboxRig) explain(t *testing.T) {
	t.Helper()
	for _, v := range r.bank.RecentVerdicts(5) {
		for _, ck := range v.Checks {
			if !ck.Passed {
				t.Logf("sandbox %s %s: rule %d %s: %s", v.Method, v.Path, ck.Rule, ck.Name, ck.Detail)
			}
		}
	}
}

// signedPayment builds a ready-to-send payment of amount under consentID.
func (r *sandboxRig) signedPayment(t *testing.T, consentID, amount string) SignedPayment {
	t.Helper()
	now := time.Now()
	pii, _ := json.Marshal(map[string]any{"Initiation": map[string]any{"CreditorAccount": creditorAccount()},
		"Risk": map[string]any{"DebtorIndicators": map[string]any{"Authentication": map[string]any{
			"PossessionFactor": map[string]any{"IsUsed": true, "Type": "TrustedDevice"},
			"KnowledgeFactor":  map[string]any{"IsUsed": true, "Type": "PIN"},
			"ChallengeOutcome": "Pass", "AuthenticationFlow": "MFA", "AuthenticationValue": "device-signature",
			"ChallengeDateTime": now.UTC().Format(time.RFC3339)}}}})
	jwe, err := r.client.SealPII(context.Background(), pii)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := json.Marshal(map[string]any{"Data": map[string]any{"ConsentId": consentID,
		"Instruction":                     map[string]any{"Amount": map[string]any{"Amount": amount, "Currency": "AED"}},
		"PersonalIdentifiableInformation": jwe, "PaymentPurposeCode": "MWP", "OpenFinanceBilling": map[string]any{"Type": "PushP2P"}}})
	body, err := r.client.SignPayment(msg)
	if err != nil {
		t.Fatal(err)
	}
	return SignedPayment{IdempotencyKey: uuid.NewString(), Body: body, AuthDate: now.Add(-time.Second), CustomerIP: "203.0.113.7", UserAgent: "payterm-test/1"}
}

func TestSandboxOnboardPayReadRevoke(t *testing.T) {
	r := newSandboxRig(t)
	ctx := context.Background()
	tr, consentID := r.onboard(t)
	if len(tr.AuthorizationDetails) != 1 || tr.AuthorizationDetails[0].Consent == nil ||
		tr.AuthorizationDetails[0].Consent.ConsentID != consentID || tr.AuthorizationDetails[0].Consent.Status != ConsentAuthorized {
		t.Fatalf("token response consent = %+v", tr.AuthorizationDetails)
	}
	if tr.RefreshToken.IsZero() || tr.ExpiresIn != 600 {
		t.Errorf("token: refresh token present %v, expires_in %d", !tr.RefreshToken.IsZero(), tr.ExpiresIn)
	}

	sp := r.signedPayment(t, consentID, "12.50")
	p, err := r.client.CreatePayment(ctx, tr.AccessToken, sp)
	if err != nil {
		r.explain(t)
		t.Fatalf("create payment: %v", err)
	}
	if p.ConsentID != consentID || p.Amount.Amount != "12.50" || !p.Status.Known() || p.InteractionID == "" {
		t.Errorf("payment = %+v", p)
	}
	// Replaying the same key and bytes returns the same payment, not a new one.
	again, err := r.client.CreatePayment(ctx, tr.AccessToken, sp)
	if err != nil || again.PaymentID != p.PaymentID {
		t.Errorf("replay: %v, id %v want %s", err, again, p.PaymentID)
	}
	got, err := r.client.GetPayment(ctx, p.PaymentID)
	if err != nil || got.PaymentID != p.PaymentID {
		t.Fatalf("get payment: %v", err)
	}
	byKey, err := r.client.GetPaymentByIdempotencyKey(ctx, sp.IdempotencyKey)
	if err != nil || byKey.PaymentID != p.PaymentID {
		r.explain(t)
		t.Fatalf("get payment by key: %v", err)
	}
	if _, err := r.client.GetPaymentByIdempotencyKey(ctx, uuid.NewString()); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown key: err = %v, want ErrNotFound", err)
	}
	cons, err := r.client.GetConsent(ctx, consentID)
	if err != nil || cons.Status != ConsentAuthorized || !cons.IsDelegatedAuthentication {
		t.Fatalf("get consent: %+v %v", cons, err)
	}

	// Refresh (the sandbox rotates refresh tokens).
	tr2, err := r.client.TokenRefresh(ctx, tr.RefreshToken)
	if err != nil {
		r.explain(t)
		t.Fatalf("refresh: %v", err)
	}
	if tr2.RefreshToken.IsZero() || tr2.RefreshToken == tr.RefreshToken {
		t.Fatal("the sandbox rotates refresh tokens, but no new one came back")
	}
	var oe *OAuthError
	if _, err := r.client.TokenRefresh(ctx, tr.RefreshToken); !errors.As(err, &oe) || oe.Code != "invalid_grant" {
		t.Errorf("rotated-out refresh token: err = %v, want invalid_grant", err)
	}

	if _, err := r.client.RevokeConsent(ctx, consentID, RevokedByTPPInitiatedUser); err != nil {
		r.explain(t)
		t.Fatalf("revoke: %v", err)
	}
	cons, err = r.client.GetConsent(ctx, consentID)
	if err != nil || cons.Status != ConsentRevoked || cons.RevokedBy != RevokedByTPPInitiatedUser {
		t.Errorf("after revoke: %+v %v", cons, err)
	}
	_, err = r.client.CreatePayment(ctx, tr2.AccessToken, r.signedPayment(t, consentID, "1.00"))
	var be *BankError
	if !errors.As(err, &be) || (be.HTTPStatus != 401 && be.Code() != "Consent.Invalid") {
		t.Errorf("payment after revoke: %v", err)
	}
	if _, err := r.client.TokenRefresh(ctx, tr2.RefreshToken); !errors.As(err, &oe) || oe.Code != "invalid_grant" {
		t.Errorf("refresh after revoke: %v", err)
	}

	// Every exchange went over mTLS to discovered endpoints and carried an interaction id,
	// and every call the bank accepted passed all of its checks (no tolerated deviations).
	for _, e := range r.rec.exchanges {
		if !strings.HasPrefix(e.URL, "https://") || e.InteractionID == "" {
			t.Errorf("exchange %s %s: no https or interaction id", e.Op, e.URL)
		}
		v, ok := r.bank.VerdictFor(e.InteractionID)
		if !ok {
			t.Errorf("the bank has no verdict for %s (interaction id not sent?)", e.Op)
			continue
		}
		if e.Status < 400 && v.Failed() {
			for _, ck := range v.Checks {
				if !ck.Passed {
					t.Errorf("%s: accepted but rule %d %q failed: %s", e.Op, ck.Rule, ck.Name, ck.Detail)
				}
			}
		}
	}
}

func TestSandboxEncKeyRotation(t *testing.T) {
	r := newSandboxRig(t)
	ctx := context.Background()
	tr, consentID := r.onboard(t)
	stale := r.signedPayment(t, consentID, "5.00") // sealed to the cached enc kid
	newKID, err := r.bank.RotateEncKey()
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.client.CreatePayment(ctx, tr.AccessToken, stale)
	var be *BankError
	if !errors.As(err, &be) || be.Code() != "JWE.InvalidHeader" {
		r.explain(t)
		t.Fatalf("stale enc kid: err = %v, want JWE.InvalidHeader", err)
	}
	// The client dropped its JWKS; the next seal uses the new key and the payment goes through.
	k, err := r.client.EncryptionKey(ctx)
	if err != nil || k.KeyID != newKID {
		t.Fatalf("enc key after rotation = %q (%v), want %q", k.KeyID, err, newKID)
	}
	if _, err := r.client.CreatePayment(ctx, tr.AccessToken, r.signedPayment(t, consentID, "5.00")); err != nil {
		r.explain(t)
		t.Fatalf("payment after rotation: %v", err)
	}
}

func TestSandboxFaults(t *testing.T) {
	r := newSandboxRig(t)
	ctx := context.Background()
	tr, consentID := r.onboard(t)
	p, err := r.client.CreatePayment(ctx, tr.AccessToken, r.signedPayment(t, consentID, "3.00"))
	if err != nil {
		t.Fatal(err)
	}

	// Wrong signing key: the client refuses the response and reports an unknown outcome.
	if err := r.bank.InjectFault(sandbox.Fault{Kind: sandbox.FaultWrongKey, Count: 1}); err != nil {
		t.Fatal(err)
	}
	sp := r.signedPayment(t, consentID, "4.00")
	got, err := r.client.CreatePayment(ctx, tr.AccessToken, sp)
	if got != nil || !errors.Is(err, ErrUnverifiable) || !errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("wrong-key response: payment %v, err %v; want refused", got, err)
	}
	// Reconciliation by idempotency key finds the payment the bank did create.
	rec, err := r.client.GetPaymentByIdempotencyKey(ctx, sp.IdempotencyKey)
	if err != nil || rec.Amount.Amount != "4.00" {
		t.Fatalf("reconcile: %+v %v", rec, err)
	}

	// A 500 on a GET is retried.
	if err := r.bank.InjectFault(sandbox.Fault{Kind: sandbox.FaultServerError, Count: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.client.GetPayment(ctx, p.PaymentID); err != nil {
		t.Fatalf("GET after one 500: %v", err)
	}

	// 429 with Retry-After is waited out (injected sleep) and retried.
	r.rec.sleeps = nil
	if err := r.bank.InjectFault(sandbox.Fault{Kind: sandbox.FaultRateLimit, Count: 1, RetryAfter: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.client.GetPayment(ctx, p.PaymentID); err != nil {
		t.Fatalf("GET after 429: %v", err)
	}
	if len(r.rec.sleeps) != 1 || r.rec.sleeps[0] != 2*time.Second {
		t.Errorf("sleeps = %v, want [2s]", r.rec.sleeps)
	}

	// Response lost after the bank committed: the POST is resent with the same key and
	// bytes, and the bank's idempotent replay gives the original payment.
	if err := r.bank.InjectFault(sandbox.Fault{Kind: sandbox.FaultDropAfterCommit, Count: 1}); err != nil {
		t.Fatal(err)
	}
	sp = r.signedPayment(t, consentID, "6.00")
	got, err = r.client.CreatePayment(ctx, tr.AccessToken, sp)
	if err != nil {
		r.explain(t)
		t.Fatalf("after a dropped response: %v", err)
	}
	byKey, err := r.client.GetPaymentByIdempotencyKey(ctx, sp.IdempotencyKey)
	if err != nil || byKey.PaymentID != got.PaymentID {
		t.Errorf("one payment per key: retry gave %s, lookup %v %v", got.PaymentID, byKey, err)
	}
}

func TestSandboxIDTokenVerifies(t *testing.T) {
	r := newSandboxRig(t)
	ctx := context.Background()
	tr, _ := r.onboard(t)
	if tr.IDToken.IsZero() {
		t.Fatal("the sandbox returned no id_token from the authorization_code grant")
	}
	tok, err := r.client.VerifyIDToken(ctx, tr.IDToken, r.last)
	if err != nil {
		t.Fatalf("the sandbox's own id_token was refused: %v", err)
	}
	if tok.Issuer != r.bank.Issuer() || !contains(tok.Audience, r.clientID) || tok.Subject == "" {
		t.Fatalf("id_token claims: iss ok %v, aud ok %v, sub present %v", tok.Issuer == r.bank.Issuer(), contains(tok.Audience, r.clientID), tok.Subject != "")
	}
	// The same genuine token is refused for another authorization (a replay carries the old nonce).
	other := r.last
	other.Nonce = uuid.NewString()
	if _, err := r.client.VerifyIDToken(ctx, tr.IDToken, other); err == nil {
		t.Fatal("a genuine id_token with another authorization's nonce was accepted")
	} else if ie := (*IDTokenError)(nil); !errors.As(err, &ie) || ie.Claim != "nonce" {
		t.Fatalf("replayed id_token: %v", err)
	}
}

// TestSandboxPaymentsReuseOneConnection: once a payment has been sent, further payments
// (and the reads after them) ride the same kept-alive mTLS connection, so no payment pays for a
// new handshake (an RSA signature with the transport key on each side, and round trips).
func TestSandboxPaymentsReuseOneConnection(t *testing.T) {
	r := newSandboxRig(t)
	tr, consentID := r.onboard(t)
	if _, err := r.client.CreatePayment(context.Background(), tr.AccessToken, r.signedPayment(t, consentID, "1.00")); err != nil {
		r.explain(t)
		t.Fatalf("first payment: %v", err)
	}
	var fresh, reused int
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) {
			if info.Reused {
				reused++
			} else {
				fresh++
			}
		},
	})
	for range 5 {
		p, err := r.client.CreatePayment(ctx, tr.AccessToken, r.signedPayment(t, consentID, "1.00"))
		if err != nil {
			r.explain(t)
			t.Fatalf("payment: %v", err)
		}
		if _, err := r.client.GetPayment(ctx, p.PaymentID); err != nil {
			t.Fatalf("get payment: %v", err)
		}
	}
	if fresh != 0 || reused < 10 {
		t.Fatalf("10 requests after the first payment: %d new connections, %d reused; want 0 new", fresh, reused)
	}
}
