package consent

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payterm/payterm/lfi"
	"github.com/payterm/payterm/sandbox"
)

// Bank-signed bad id_tokens (issue 3). TestFlowRejectsBadIDToken forges tokens on the client
// side; here the strict sandbox itself mints each defect (sandbox.IDTokenFaults), so the token
// arrives exactly as a misbehaving bank would send it: real TLS, real token response, the
// bank's own key unless the defect is the key.

// exchangeLog records the request objects sent to /par and every code exchange, so a test can
// compare the id_token with values it did not take from the client's own bookkeeping, and can
// look for every piece of token material in an error.
type exchangeLog struct {
	Bank
	mu        sync.Mutex
	requests  []string // signed request objects, in order
	codes     []AuthCode
	exchanges []TokenResult
}

func (l *exchangeLog) PushAuthorizationRequest(ctx context.Context, jws string) (string, time.Duration, error) {
	l.mu.Lock()
	l.requests = append(l.requests, jws)
	l.mu.Unlock()
	return l.Bank.PushAuthorizationRequest(ctx, jws)
}

func (l *exchangeLog) ExchangeCode(ctx context.Context, code AuthCode, v CodeVerifier, redirectURI string) (TokenResult, error) {
	tr, err := l.Bank.ExchangeCode(ctx, code, v, redirectURI)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.codes = append(l.codes, code)
	if err == nil {
		l.exchanges = append(l.exchanges, tr)
	}
	return tr, err
}

// last returns the latest request object's state and nonce, the latest code and token answer.
func (l *exchangeLog) last(t *testing.T) (state, nonce string, code AuthCode, tr TokenResult) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.requests) == 0 || len(l.codes) == 0 || len(l.exchanges) == 0 {
		t.Fatalf("%d request objects, %d codes, %d token answers recorded", len(l.requests), len(l.codes), len(l.exchanges))
	}
	p := strings.Split(l.requests[len(l.requests)-1], ".")
	if len(p) != 3 {
		t.Fatal("the request object is not a compact JWS")
	}
	raw, err := base64.RawURLEncoding.DecodeString(p[1])
	if err != nil {
		t.Fatalf("request object payload: %v", err)
	}
	var ro struct{ State, Nonce string }
	if err := json.Unmarshal(raw, &ro); err != nil || ro.State == "" || ro.Nonce == "" {
		t.Fatalf("request object without state/nonce: %v", err)
	}
	return ro.State, ro.Nonce, l.codes[len(l.codes)-1], l.exchanges[len(l.exchanges)-1]
}

// injectedFaults lists the faults the sandbox says it applied to token responses.
func injectedFaults(bank *sandbox.Bank) []string {
	var out []string
	for _, v := range bank.RecentVerdicts(1000) {
		for _, c := range v.Checks {
			if k, ok := strings.CutPrefix(c.Name, "injected fault: "); ok {
				out = append(out, k)
			}
		}
	}
	return out
}

// onboardStepwise runs Begin, Authorize and Complete, failing the test if either of the first
// two fails: the id_token is only seen by Complete. It also returns the ConsentId staged by PAR
// and checks the sandbox holds it Authorized before Complete (the bank authorises on approval,
// before the code), so a later Revoked can only come from Complete.
func onboardStepwise(t *testing.T, env *sandboxEnv, cfg OnboardingConfig) (Result, string, error) {
	t.Helper()
	ctx := context.Background()
	o, err := Begin(ctx, cfg, env.request(t, SingleBeneficiary, 1))
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	defer o.Close()
	code, err := o.Authorize(ctx, Presentation{Headless: env.web})
	if err != nil {
		t.Fatalf("authorize: %v", err)
	}
	staged := o.ConsentID()
	if st, err := env.bank.ConsentStatus(staged); err != nil || st != "Authorized" {
		t.Fatalf("staged consent before Complete: %q, %v", st, err)
	}
	res, err := o.Complete(ctx, code)
	return res, staged, err
}

// assertRevokedByTPP checks the sandbox holds the consent Revoked by the TPP without user
// initiation (the wallet refused the bank's answer; the user did not ask for a revocation).
func assertRevokedByTPP(t *testing.T, env *sandboxEnv, consentID string) {
	t.Helper()
	st, err := env.bank.ConsentStatus(consentID)
	if err != nil || st != "Revoked" {
		t.Fatalf("staged consent after the refusal: status %q, %v; want Revoked", st, err)
	}
	if by, err := env.bank.ConsentRevokedBy(consentID); err != nil || by != lfi.RevokedByTPP {
		t.Fatalf("staged consent RevokedBy %q, %v; want %q", by, err, lfi.RevokedByTPP)
	}
}

// wantRefused checks err is a RefusedError for the staged consent, revoked or not as expected,
// and that its text says which.
func wantRefused(t *testing.T, err error, staged string, revoked bool) *RefusedError {
	t.Helper()
	var re *RefusedError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want a *RefusedError", err)
	}
	if re.ConsentID != staged {
		t.Fatalf("RefusedError names consent %q, want the staged %q", re.ConsentID, staged)
	}
	if re.Revoked() != revoked || errors.Is(err, ErrRevokeFailed) == revoked {
		t.Fatalf("revoked = %v (ErrRevokeFailed %v), want %v: %v", re.Revoked(), errors.Is(err, ErrRevokeFailed), revoked, err)
	}
	msg := err.Error()
	if revoked && !strings.Contains(msg, "the consent was revoked at the bank") {
		t.Fatalf("error does not say the consent was revoked: %q", msg)
	}
	if !revoked && (!strings.Contains(msg, "could not revoke") || !strings.Contains(msg, "check your bank")) {
		t.Fatalf("error does not say the revocation failed and what to do: %q", msg)
	}
	return re
}

func TestSandboxIDTokenFaultsRejected(t *testing.T) {
	cases := []struct {
		kind  sandbox.FaultKind
		claim string
	}{
		{sandbox.FaultIDTokenWrongIss, "iss"},
		{sandbox.FaultIDTokenWrongAud, "aud"},
		{sandbox.FaultIDTokenWrongNonce, "nonce"},
		{sandbox.FaultIDTokenMissingNonce, "nonce"},
		{sandbox.FaultIDTokenExpired, "exp"},
		{sandbox.FaultIDTokenWrongAlg, "alg"},
		{sandbox.FaultIDTokenAlgNone, "alg"},
		{sandbox.FaultIDTokenUnknownKid, "kid"},
		{sandbox.FaultIDTokenBadSHash, "s_hash"},
		{sandbox.FaultIDTokenBadCHash, "c_hash"},
		{sandbox.FaultIDTokenBadAtHash, "at_hash"},
	}
	// Every fault the sandbox can mint is in the table: a new one must say what we report.
	var kinds []sandbox.FaultKind
	for _, c := range cases {
		kinds = append(kinds, c.kind)
	}
	for _, k := range sandbox.IDTokenFaults {
		if !slices.Contains(kinds, k) {
			t.Errorf("sandbox id_token fault %s has no case here", k)
		}
	}

	// One bank for all cases: after each fault the same bank must serve a clean onboarding,
	// which proves the fault was used up by the one token answer it was queued for.
	env := newSandboxEnv(t, true)
	for _, tc := range cases {
		t.Run(string(tc.kind), func(t *testing.T) {
			log := &exchangeLog{Bank: env.lb}
			store := newMemStore()
			cfg := env.config()
			cfg.Bank, cfg.Store = log, store
			applied := len(injectedFaults(env.bank))
			if err := env.bank.InjectFault(sandbox.Fault{Kind: tc.kind, Count: 1}); err != nil {
				t.Fatal(err)
			}

			res, staged, err := onboardStepwise(t, env, cfg)
			if err == nil {
				t.Fatalf("onboarding accepted a bank-signed id_token with %s: %v", tc.kind, res.IDToken)
			}
			wantRefused(t, err, staged, true)
			assertRevokedByTPP(t, env, staged)
			if got := injectedFaults(env.bank); len(got) != applied+1 || got[len(got)-1] != string(tc.kind) {
				t.Fatalf("the sandbox applied faults %v, want %s last", got[applied:], tc.kind)
			}
			if !errors.Is(err, ErrIDTokenRejected) || !errors.Is(err, lfi.ErrIDTokenInvalid) {
				t.Fatalf("err = %v, want ErrIDTokenRejected wrapping lfi.ErrIDTokenInvalid", err)
			}
			var ie *lfi.IDTokenError
			if !errors.As(err, &ie) || ie.Claim != tc.claim {
				t.Fatalf("err = %v, want the %q check to fail", err, tc.claim)
			}
			if res.ConsentID != "" || !res.Tokens.AccessToken.IsZero() || !res.Tokens.RefreshToken.IsZero() || res.IDToken != nil {
				t.Fatal("a result came back with a rejected id_token")
			}
			store.mu.Lock()
			saved, held := len(store.saves), len(store.tokens)
			store.mu.Unlock()
			if saved != 0 || held != 0 {
				t.Fatalf("token store after a rejected id_token: %d saves, %d tokens held", saved, held)
			}
			assertNoTokenMaterial(t, err, log)

			// The fault is spent: the same bank, the same client, a clean onboarding.
			clean := &exchangeLog{Bank: env.lb}
			store = newMemStore()
			cfg.Bank, cfg.Store = clean, store
			res, staged, err = onboardStepwise(t, env, cfg)
			if err != nil {
				t.Fatalf("clean onboarding after %s: %v", tc.kind, err)
			}
			if st, err := env.bank.ConsentStatus(staged); err != nil || st != "Authorized" || res.ConsentID != staged {
				t.Fatalf("clean onboarding: consent %s is %q (%v), result for %s", staged, st, err, res.ConsentID)
			}
			if got := injectedFaults(env.bank); len(got) != applied+1 {
				t.Fatalf("the clean onboarding had faults applied: %v", got[applied:])
			}
			if res.IDToken == nil || store.get(res.ConsentID) != res.Tokens.RefreshToken || res.Tokens.RefreshToken.IsZero() {
				t.Fatal("clean onboarding: id_token not validated or refresh token not saved")
			}
			assertGenuineHashes(t, env, clean)
		})
	}
}

// assertNoTokenMaterial looks for every secret of the failed exchange in the error text: the
// id_token (whole and each segment), the string claims it carried (nonce, hashes, subject),
// the access and refresh tokens, the code and the request object's nonce.
func assertNoTokenMaterial(t *testing.T, err error, log *exchangeLog) {
	t.Helper()
	_, nonce, code, tr := log.last(t)
	if tr.IDToken.IsZero() {
		t.Fatal("the bank's token answer had no id_token")
	}
	secrets := map[string]string{
		"id_token": tr.IDToken.Reveal(), "access token": tr.AccessToken.Reveal(),
		"refresh token": tr.RefreshToken.Reveal(), "code": code.Reveal(), "nonce": nonce,
	}
	segments := strings.Split(tr.IDToken.Reveal(), ".")
	for i, s := range segments {
		secrets[fmt.Sprintf("id_token segment %d", i)] = s
	}
	if len(segments) == 3 {
		if payload, derr := base64.RawURLEncoding.DecodeString(segments[1]); derr == nil {
			var claims map[string]any
			if json.Unmarshal(payload, &claims) == nil {
				for name, v := range claims {
					// iss and aud are the bank's and our public identifiers, not token material.
					if s, ok := v.(string); ok && name != "iss" && name != "aud" {
						secrets["claim "+name] = s
					}
				}
			}
		}
	}
	msg := err.Error()
	for name, s := range secrets {
		if len(s) >= 8 && strings.Contains(msg, s) { // segments like "" (alg none's signature) say nothing
			t.Errorf("error text holds the %s: %q", name, msg)
		}
	}
}

// assertGenuineHashes checks that the bank's genuine id_token carries s_hash, c_hash and
// at_hash, that each is the OIDC hash of the value this onboarding used, and that the client's
// verification really compares them: the same token against another state, code or access
// token is refused for that hash.
func assertGenuineHashes(t *testing.T, env *sandboxEnv, log *exchangeLog) {
	t.Helper()
	state, nonce, code, tr := log.last(t)
	_, payload := jwtParts(t, tr.IDToken)
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	for claim, of := range map[string]string{"s_hash": state, "c_hash": code.Reveal(), "at_hash": tr.AccessToken.Reveal()} {
		if got, _ := claims[claim].(string); got == "" || got != lfi.LeftHalfHash(of) {
			t.Errorf("genuine id_token %s is missing or not the hash of this onboarding's value", claim)
		}
	}
	want := lfi.IDTokenExpectations{Nonce: nonce, State: state, Code: lfi.Secret(code.Reveal()), AccessToken: tr.AccessToken}
	ctx := context.Background()
	if _, err := env.lb.VerifyIDToken(ctx, tr.IDToken, want); err != nil {
		t.Fatalf("the genuine id_token does not verify: %v", err)
	}
	for claim, alter := range map[string]func(w *lfi.IDTokenExpectations){
		"s_hash":  func(w *lfi.IDTokenExpectations) { w.State += "x" },
		"c_hash":  func(w *lfi.IDTokenExpectations) { w.Code += "x" },
		"at_hash": func(w *lfi.IDTokenExpectations) { w.AccessToken += "x" },
	} {
		other := want
		alter(&other)
		var ie *lfi.IDTokenError
		if _, err := env.lb.VerifyIDToken(ctx, tr.IDToken, other); !errors.As(err, &ie) || ie.Claim != claim {
			t.Errorf("genuine id_token against another value for %s: %v", claim, err)
		}
	}
}
