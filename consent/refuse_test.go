package consent

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/payterm/payterm/lfi"
	"github.com/payterm/payterm/sandbox"
)

// cancellingStore cancels the onboarding's context and then fails, as a Save interrupted by
// the user would: the revocation must still go out.
type cancellingStore struct {
	*memStore
	cancel context.CancelFunc
}

func (s *cancellingStore) Save(ctx context.Context, _ string, _ lfi.Secret) error {
	s.cancel()
	return ctx.Err()
}

// patchVerdicts counts the PATCH requests the sandbox saw on a consent.
func patchVerdicts(bank *sandbox.Bank, consentID string) int {
	n := 0
	for _, v := range bank.RecentVerdicts(1000) {
		if v.Method == http.MethodPatch && strings.HasSuffix(v.Path, "/payment-consents/"+consentID) {
			n++
		}
	}
	return n
}

// TestFlowRefusalRevokesStagedConsent: every refusal of a token answer revokes, at the real
// sandbox, the consent our PAR staged (RevokedBy TPP), never one the answer names, saves
// nothing, and the error keeps the reason and says the consent was revoked.
func TestFlowRefusalRevokesStagedConsent(t *testing.T) {
	env := newSandboxEnv(t, true)
	// Another live consent of the same user and client: an answer naming it must not make the
	// wallet revoke it.
	other, err := Onboard(context.Background(), env.config(), env.request(t, OpenBeneficiary, 0), Presentation{Headless: env.web})
	if err != nil {
		t.Fatalf("onboard the other consent: %v", err)
	}
	for _, tc := range []struct {
		name  string
		alter func(*TokenResult)
		store func(cancel context.CancelFunc) TokenStore // nil: a working memStore
		want  error
		text  string
	}{
		{name: "other consent id", alter: func(tr *TokenResult) { tr.Consents[0].ConsentID = other.ConsentID }, want: ErrConsentMismatch},
		{name: "no consent", alter: func(tr *TokenResult) { tr.Consents = nil }, want: ErrConsentMismatch},
		{name: "other type", alter: func(tr *TokenResult) { tr.Consents[0].Type = "urn:openfinanceuae:account-access-consent:v2.1" }, want: ErrConsentMismatch},
		{name: "awaiting authorization", alter: func(tr *TokenResult) { tr.Consents[0].Status = "AwaitingAuthorization" }, want: ErrConsentNotAuthorized},
		{name: "rejected", alter: func(tr *TokenResult) { tr.Consents[0].Status = "Rejected" }, want: ErrConsentNotAuthorized},
		{name: "no refresh token", alter: func(tr *TokenResult) { tr.RefreshToken = "" }, text: "issued no access or refresh token"},
		{name: "store fails", store: func(context.CancelFunc) TokenStore { s := newMemStore(); s.setFail(true); return s }, text: "save refresh token"},
		{name: "store cancels", store: func(c context.CancelFunc) TokenStore { return &cancellingStore{memStore: newMemStore(), cancel: c} }, want: context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cfg := env.config()
			store := newMemStore()
			cfg.Store = store
			if tc.store != nil {
				cfg.Store = tc.store(cancel)
			}
			if tc.alter != nil {
				cfg.Bank = &alteringBank{Bank: env.lb, alter: tc.alter}
			}
			o, err := Begin(ctx, cfg, env.request(t, OpenBeneficiary, 0))
			if err != nil {
				t.Fatal(err)
			}
			defer o.Close()
			code, err := o.Authorize(ctx, Presentation{Headless: env.web})
			if err != nil {
				t.Fatal(err)
			}
			staged := o.ConsentID()
			res, err := o.Complete(ctx, code)
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if tc.text != "" && (err == nil || !strings.Contains(err.Error(), tc.text)) {
				t.Fatalf("err = %v, want it to say %q", err, tc.text)
			}
			wantRefused(t, err, staged, true)
			assertRevokedByTPP(t, env, staged)
			if res.ConsentID != "" || !res.Tokens.AccessToken.IsZero() {
				t.Fatal("a refused answer still produced a result")
			}
			if len(store.saves) != 0 || store.get(staged) != "" {
				t.Fatal("tokens of a refused answer were stored")
			}
			if st, err := env.bank.ConsentStatus(other.ConsentID); err != nil || st != "Authorized" {
				t.Fatalf("the other consent is %q (%v): the wallet revoked an id it did not stage", st, err)
			}
		})
	}
	if n := patchVerdicts(env.bank, other.ConsentID); n != 0 {
		t.Fatalf("%d PATCH requests on the other consent", n)
	}
}

// TestSandboxRefusalRevocationFails: the bank answers the revocation PATCH with 500. The
// caller still gets the refusal's reason, plus ErrRevokeFailed and "could not revoke"; the
// PATCH was sent once (lfi does not retry a side effect on 5xx) and nothing was saved.
func TestSandboxRefusalRevocationFails(t *testing.T) {
	env := newSandboxEnv(t, true)
	log := &exchangeLog{Bank: env.lb}
	store := newMemStore()
	cfg := env.config()
	cfg.Bank, cfg.Store = log, store
	if err := env.bank.InjectFault(sandbox.Fault{Kind: sandbox.FaultIDTokenWrongNonce, Count: 1}); err != nil {
		t.Fatal(err)
	}
	// The onboarding makes no resource-server call, so the first one is the revocation PATCH.
	if err := env.bank.InjectFault(sandbox.Fault{Kind: sandbox.FaultServerError, Count: 1, Target: "rs"}); err != nil {
		t.Fatal(err)
	}
	_, staged, err := onboardStepwise(t, env, cfg)
	if !errors.Is(err, ErrIDTokenRejected) || !errors.Is(err, lfi.ErrIDTokenInvalid) {
		t.Fatalf("err = %v, want the id_token refusal", err)
	}
	var ie *lfi.IDTokenError
	if !errors.As(err, &ie) || ie.Claim != "nonce" {
		t.Fatalf("err = %v, want the nonce check named", err)
	}
	re := wantRefused(t, err, staged, false)
	var be *lfi.BankError
	if !errors.As(re.RevokeErr, &be) || be.HTTPStatus != http.StatusInternalServerError {
		t.Fatalf("RevokeErr = %v, want the bank's 500", re.RevokeErr)
	}
	if errors.As(err, &be) || errors.Is(err, lfi.ErrOutcomeUnknown) {
		t.Fatal("the revocation's 500 leaks into the refusal's error classes")
	}
	assertNoTokenMaterial(t, err, log)
	if got := injectedFaults(env.bank); len(got) != 2 || got[0] != string(sandbox.FaultIDTokenWrongNonce) || got[1] != string(sandbox.FaultServerError) {
		t.Fatalf("faults applied: %v", got)
	}
	if n := patchVerdicts(env.bank, staged); n != 1 {
		t.Fatalf("%d PATCH requests for the staged consent, want 1", n)
	}
	if st, _ := env.bank.ConsentStatus(staged); st != "Authorized" {
		t.Fatalf("staged consent is %q; the failed revocation cannot have changed it", st)
	}
	if len(store.saves) != 0 {
		t.Fatal("a refused answer was stored")
	}
}

// TestFlowNoRevocationBeforeTokens pins the decision documented on refuse: failures before the
// bank issued tokens revoke nothing, even though the consent is already Authorized at the bank
// (the user approved; the sandbox, like a UAE LFI, authorises before redirecting with the
// code). No token for it ever exists, so it cannot pay.
func TestFlowNoRevocationBeforeTokens(t *testing.T) {
	env := newSandboxEnv(t, true)
	ctx := context.Background()
	begin := func(t *testing.T) *Onboarding {
		t.Helper()
		o, err := Begin(ctx, env.config(), env.request(t, OpenBeneficiary, 0))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(o.Close)
		return o
	}
	untouched := func(t *testing.T, staged string) {
		t.Helper()
		if st, err := env.bank.ConsentStatus(staged); err != nil || st != "Authorized" {
			t.Fatalf("staged consent is %q (%v), want it left Authorized", st, err)
		}
		if n := patchVerdicts(env.bank, staged); n != 0 {
			t.Fatalf("%d PATCH requests for the staged consent", n)
		}
	}

	t.Run("state mismatch", func(t *testing.T) {
		o := begin(t)
		cb, err := FollowToRedirect(ctx, env.web, o.URL(), o.RedirectURI())
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(cb)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if q.Get("code") == "" {
			t.Fatal("the bank issued no code")
		}
		q.Set("state", "0b7e4ac6-5b1d-4b80-9c3c-1f0f6e2a9d11")
		u.RawQuery = q.Encode()
		if _, err := o.ParseCallback(u.String()); !errors.Is(err, ErrStateMismatch) {
			t.Fatalf("ParseCallback = %v, want ErrStateMismatch", err)
		}
		if _, err := o.Complete(ctx, AuthCode(q.Get("code"))); !errors.Is(err, ErrOnboardingFinished) {
			t.Fatalf("Complete after a refused callback = %v", err)
		}
		untouched(t, o.ConsentID())
	})
	t.Run("late callback", func(t *testing.T) {
		o := begin(t)
		code, err := o.Authorize(ctx, Presentation{Headless: env.web})
		if err != nil {
			t.Fatal(err)
		}
		env.clock.Advance(CallbackTimeout + 1)
		_, err = o.Complete(ctx, code)
		if !errors.Is(err, ErrCallbackTimeout) {
			t.Fatalf("err = %v", err)
		}
		var re *RefusedError
		if errors.As(err, &re) {
			t.Fatal("a late callback was treated as a refused token answer")
		}
		untouched(t, o.ConsentID())
	})
	t.Run("code refused by the bank", func(t *testing.T) {
		o := begin(t)
		if _, err := o.Authorize(ctx, Presentation{Headless: env.web}); err != nil {
			t.Fatal(err)
		}
		// Not the code the bank issued: /token answers invalid_grant and issues nothing.
		_, err := o.Complete(ctx, AuthCode("not-the-issued-code"))
		var oe *lfi.OAuthError
		if !errors.As(err, &oe) || oe.Code != "invalid_grant" {
			t.Fatalf("err = %v, want invalid_grant", err)
		}
		untouched(t, o.ConsentID())
	})
}
