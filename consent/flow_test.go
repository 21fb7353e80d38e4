package consent

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/lfi"
)

// alteringBank passes calls to the real sandbox client and then changes the token answer, to
// exercise the checks a misbehaving bank would trigger.
type alteringBank struct {
	Bank
	alter func(*TokenResult)
}

func (a *alteringBank) ExchangeCode(ctx context.Context, code AuthCode, v CodeVerifier, redirectURI string) (TokenResult, error) {
	tr, err := a.Bank.ExchangeCode(ctx, code, v, redirectURI)
	if err == nil {
		a.alter(&tr)
	}
	return tr, err
}

func TestFlowChecksReturnedConsent(t *testing.T) {
	for _, tc := range []struct {
		name  string
		alter func(*TokenResult)
		want  error
	}{
		{"other consent id", func(tr *TokenResult) { tr.Consents[0].ConsentID = "0b7e4ac6-5b1d-4b80-9c3c-1f0f6e2a9d11" }, ErrConsentMismatch},
		{"no consent", func(tr *TokenResult) { tr.Consents = nil }, ErrConsentMismatch},
		{"other type", func(tr *TokenResult) { tr.Consents[0].Type = "urn:openfinanceuae:account-access-consent:v2.1" }, ErrConsentMismatch},
		{"awaiting authorization", func(tr *TokenResult) { tr.Consents[0].Status = "AwaitingAuthorization" }, ErrConsentNotAuthorized},
		{"rejected", func(tr *TokenResult) { tr.Consents[0].Status = "Rejected" }, ErrConsentNotAuthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newSandboxEnv(t, true)
			cfg := env.config()
			cfg.Bank = &alteringBank{Bank: env.lb, alter: tc.alter}
			_, err := Onboard(context.Background(), cfg, env.request(t, OpenBeneficiary, 0), Presentation{Headless: env.web})
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if len(env.store.saves) != 0 {
				t.Fatal("tokens of a wrong consent were stored")
			}
		})
	}
}

func TestFlowRefusesLateCallback(t *testing.T) {
	env := newSandboxEnv(t, true)
	cfg := env.config()
	o, err := Begin(context.Background(), cfg, env.request(t, OpenBeneficiary, 0))
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	code, err := o.Authorize(context.Background(), Presentation{Headless: env.web})
	if err != nil {
		t.Fatal(err)
	}
	env.clock.Advance(CallbackTimeout + time.Second)
	if _, err := o.Complete(context.Background(), code); !errors.Is(err, ErrCallbackTimeout) {
		t.Fatalf("late callback: %v", err)
	}
	if env.bank2.exchanges.Load() != 0 {
		t.Fatal("a late callback reached /token")
	}
}

func TestFlowStoreFailureFailsOnboarding(t *testing.T) {
	env := newSandboxEnv(t, true)
	env.store.setFail(true)
	_, err := Onboard(context.Background(), env.config(), env.request(t, OpenBeneficiary, 0), Presentation{Headless: env.web})
	if err == nil || !strings.Contains(err.Error(), "save refresh token") {
		t.Fatalf("err = %v", err)
	}
}

func TestFlowPasteBack(t *testing.T) {
	env := newSandboxEnv(t, true)
	cfg := env.config()
	cfg.RedirectURI = "https://wallet.example/cb" // registered in newSandboxEnv
	o, err := Begin(context.Background(), cfg, env.request(t, SingleBeneficiary, 1))
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if o.UsesLoopback() {
		t.Fatal("https redirect must use paste-back")
	}
	cb, err := FollowToRedirect(context.Background(), env.web, o.URL(), o.RedirectURI())
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	code, err := o.Authorize(context.Background(), Presentation{Out: &out, Paste: func(context.Context) (string, error) { return "  " + cb + "\n", nil }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.Complete(context.Background(), code); err != nil {
		t.Fatal(err)
	}
}

func TestStaleEncKeyDetection(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&lfi.OAuthError{Code: "invalid_request", Description: "JWE.InvalidHeader: kid is not the bank's current encryption key"}, true},
		{fmt.Errorf("push: %w", &lfi.OAuthError{Code: "invalid_request", Description: "JWE.DecryptionError: bad tag"}), true},
		{&lfi.OAuthError{Code: "invalid_client", Description: "JWE.InvalidHeader"}, false},
		{&lfi.OAuthError{Code: "invalid_request", Description: "ConsentId was already used"}, false},
		{errors.New("JWE.InvalidHeader"), false},
	} {
		if got := staleEncKey(tc.err); got != tc.want {
			t.Errorf("staleEncKey(%v) = %v", tc.err, got)
		}
	}
}
