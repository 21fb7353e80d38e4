package consent

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/payterm/payterm/lfi"
)

// id_token handling in Complete, against the real sandbox. The full matrix of id_token
// checks is in lfi (idtoken_test.go); here: a bad id_token stops onboarding before anything
// is saved, the check uses this authorization's values, and a missing id_token is accepted.

// idTokenBank passes calls to the real sandbox client. swap, when set, replaces the id_token of
// the bank's genuine answer; every VerifyIDToken request is recorded.
type idTokenBank struct {
	Bank
	swap func(genuine lfi.Secret) lfi.Secret

	mu      sync.Mutex
	genuine []lfi.Secret
	wants   []lfi.IDTokenExpectations
}

func (b *idTokenBank) ExchangeCode(ctx context.Context, code AuthCode, v CodeVerifier, redirectURI string) (TokenResult, error) {
	tr, err := b.Bank.ExchangeCode(ctx, code, v, redirectURI)
	if err == nil {
		b.mu.Lock()
		b.genuine = append(b.genuine, tr.IDToken)
		b.mu.Unlock()
		if b.swap != nil {
			tr.IDToken = b.swap(tr.IDToken)
		}
	}
	return tr, err
}

func (b *idTokenBank) VerifyIDToken(ctx context.Context, idToken lfi.Secret, want lfi.IDTokenExpectations) (*lfi.IDToken, error) {
	b.mu.Lock()
	b.wants = append(b.wants, want)
	b.mu.Unlock()
	return b.Bank.VerifyIDToken(ctx, idToken, want)
}

// jwtParts splits a compact JWS and decodes its header and payload.
func jwtParts(t *testing.T, compact lfi.Secret) (header map[string]any, payload []byte) {
	t.Helper()
	p := strings.Split(compact.Reveal(), ".")
	if len(p) != 3 {
		t.Fatal("the sandbox id_token is not a compact JWS")
	}
	h, err := base64.RawURLEncoding.DecodeString(p[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(h, &header); err != nil {
		t.Fatal(err)
	}
	if payload, err = base64.RawURLEncoding.DecodeString(p[1]); err != nil {
		t.Fatal(err)
	}
	return header, payload
}

// resign signs the genuine token's claims again with key under kid.
func resign(t *testing.T, genuine lfi.Secret, key *rsa.PrivateKey, kid string) lfi.Secret {
	t.Helper()
	_, payload := jwtParts(t, genuine)
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.PS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return lfi.Secret(out)
}

// withPayload keeps the genuine header and signature but changes one claim.
func withPayload(t *testing.T, genuine lfi.Secret, claim string, value any) lfi.Secret {
	t.Helper()
	_, payload := jwtParts(t, genuine)
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	claims[claim] = value
	b, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	p := strings.Split(genuine.Reveal(), ".")
	return lfi.Secret(p[0] + "." + base64.RawURLEncoding.EncodeToString(b) + "." + p[2])
}

func TestFlowRejectsBadIDToken(t *testing.T) {
	attacker, _ := tppKeys(t) // a key the bank does not publish
	for _, tc := range []struct {
		name, claim string
		swap        func(t *testing.T, env *sandboxEnv, genuine lfi.Secret) lfi.Secret
	}{
		{"replayed from another onboarding (genuine signature, other nonce)", "nonce", func(t *testing.T, env *sandboxEnv, _ lfi.Secret) lfi.Secret {
			first := &idTokenBank{Bank: env.lb}
			cfg := env.config()
			cfg.Bank, cfg.Store = first, newMemStore()
			if _, err := Onboard(context.Background(), cfg, env.request(t, OpenBeneficiary, 0), Presentation{Headless: env.web}); err != nil {
				t.Fatal(err)
			}
			return first.genuine[0]
		}},
		{"expired by the time it is checked", "exp", func(t *testing.T, env *sandboxEnv, g lfi.Secret) lfi.Secret {
			env.clock.Advance(11 * time.Minute) // the sandbox's id_token lives 10 min
			return g
		}},
		{"alg none", "alg", func(t *testing.T, _ *sandboxEnv, g lfi.Secret) lfi.Secret {
			h, payload := jwtParts(t, g)
			hb, _ := json.Marshal(map[string]any{"alg": "none", "kid": h["kid"]})
			return lfi.Secret(base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString(payload) + ".")
		}},
		{"re-signed with another key under the bank's kid", "signature", func(t *testing.T, _ *sandboxEnv, g lfi.Secret) lfi.Secret {
			h, _ := jwtParts(t, g)
			kid, _ := h["kid"].(string)
			return resign(t, g, attacker, kid)
		}},
		{"kid the bank does not publish", "kid", func(t *testing.T, _ *sandboxEnv, g lfi.Secret) lfi.Secret {
			return resign(t, g, attacker, "attacker-kid")
		}},
		{"aud changed under the genuine signature", "signature", func(t *testing.T, _ *sandboxEnv, g lfi.Secret) lfi.Secret {
			return withPayload(t, g, "aud", "someone-else")
		}},
		{"not a JWT", "format", func(*testing.T, *sandboxEnv, lfi.Secret) lfi.Secret { return "not-a-jwt" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newSandboxEnv(t, true)
			bank := &idTokenBank{Bank: env.lb}
			var sent lfi.Secret
			bank.swap = func(g lfi.Secret) lfi.Secret {
				if g.IsZero() {
					t.Fatal("the sandbox returned no id_token")
				}
				sent = tc.swap(t, env, g)
				return sent
			}
			cfg := env.config()
			cfg.Bank = bank
			res, err := Onboard(context.Background(), cfg, env.request(t, SingleBeneficiary, 1), Presentation{Headless: env.web})
			if err == nil {
				t.Fatalf("onboarding accepted a bad id_token: %+v", res.IDToken)
			}
			if !errors.Is(err, ErrIDTokenRejected) || !errors.Is(err, lfi.ErrIDTokenInvalid) {
				t.Fatalf("err = %v, want ErrIDTokenRejected wrapping lfi.ErrIDTokenInvalid", err)
			}
			var ie *lfi.IDTokenError
			if !errors.As(err, &ie) || ie.Claim != tc.claim {
				t.Fatalf("err = %v, want the %s check to fail", err, tc.claim)
			}
			if len(env.store.saves) != 0 || res.ConsentID != "" {
				t.Fatal("something was saved or returned after a bad id_token")
			}
			if len(bank.wants) != 1 {
				t.Fatalf("VerifyIDToken called %d times", len(bank.wants))
			}
			for _, secret := range []string{sent.Reveal(), bank.genuine[len(bank.genuine)-1].Reveal(), bank.wants[0].Nonce, bank.wants[0].Code.Reveal()} {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("error %q leaks the id_token, nonce or code", err)
				}
			}
		})
	}
}

func TestFlowIDTokenCheckedAgainstThisAuthorization(t *testing.T) {
	env := newSandboxEnv(t, true)
	idb := &idTokenBank{Bank: env.lb}
	rec := &recordingBank{Bank: idb}
	cfg := env.config()
	cfg.Bank = rec
	ctx := context.Background()
	o, err := Begin(ctx, cfg, env.request(t, MultipleBeneficiaries, 2))
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	code, err := o.Authorize(ctx, Presentation{Headless: env.web})
	if err != nil {
		t.Fatal(err)
	}
	res, err := o.Complete(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	if res.IDToken == nil || res.IDToken.Issuer != env.bank.Issuer() {
		t.Fatalf("result id_token = %+v", res.IDToken)
	}
	// What VerifyIDToken was asked to match is what the request object sent and the bank returned.
	if len(rec.requests) != 1 || len(idb.wants) != 1 {
		t.Fatalf("%d request objects, %d id_token checks", len(rec.requests), len(idb.wants))
	}
	var ro struct{ Nonce, State string }
	p := strings.Split(rec.requests[0], ".")
	payload, err := base64.RawURLEncoding.DecodeString(p[1])
	if err != nil || json.Unmarshal(payload, &ro) != nil || ro.Nonce == "" || ro.State == "" {
		t.Fatalf("request object nonce/state not decodable: %v", err)
	}
	w := idb.wants[0]
	if w.Nonce != ro.Nonce || w.State != ro.State || w.Code.Reveal() != code.Reveal() || w.AccessToken != res.Tokens.AccessToken {
		t.Fatal("the id_token was not checked against this authorization's nonce, state, code and access token")
	}
	// The genuine token with another nonce would have been refused: the nonce check is live.
	other := w
	other.Nonce = "0d7c3a64-8a0e-4f7e-9a53-3c1f2b6d9e10"
	if _, err := env.lb.VerifyIDToken(ctx, idb.genuine[0], other); !errors.Is(err, lfi.ErrIDTokenInvalid) {
		t.Fatalf("other nonce: %v", err)
	}
}

func TestFlowAcceptsMissingIDToken(t *testing.T) {
	env := newSandboxEnv(t, true)
	bank := &idTokenBank{Bank: env.lb, swap: func(lfi.Secret) lfi.Secret { return "" }}
	cfg := env.config()
	cfg.Bank = bank
	res, err := Onboard(context.Background(), cfg, env.request(t, OpenBeneficiary, 0), Presentation{Headless: env.web})
	if err != nil {
		t.Fatalf("onboarding without an id_token: %v", err)
	}
	if res.IDToken != nil {
		t.Fatalf("result records an id_token that never came: %+v", res.IDToken)
	}
	if len(bank.wants) != 0 {
		t.Fatal("VerifyIDToken called without an id_token")
	}
	if env.store.get(res.ConsentID) != res.Tokens.RefreshToken || res.Tokens.RefreshToken.IsZero() {
		t.Fatal("refresh token not saved")
	}
}
