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
