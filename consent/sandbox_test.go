package consent

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/payterm/payterm/lfi"
	"github.com/payterm/payterm/sandbox"
)

// Integration tests: the real lfi client against the strict sandbox over loopback mTLS.

var (
	tppKeysOnce        sync.Once
	tppSigKey, tppTLSK *rsa.PrivateKey
)

func tppKeys(t testing.TB) (*rsa.PrivateKey, *rsa.PrivateKey) {
	t.Helper()
	tppKeysOnce.Do(func() {
		var err error
		if tppSigKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if tppTLSK, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return tppSigKey, tppTLSK
}

type sandboxEnv struct {
	bank   *sandbox.Bank
	client *lfi.Client
	lb     *LFIBank
	bank2  *countingBank
	store  *memStore
	clock  *fakeClock
	// web is the user's browser stand-in: it trusts the sandbox CA (the consent page is https).
	web *http.Client
}

// countingBank counts token calls, to prove rejected callbacks never reach /token.
type countingBank struct {
	Bank
	exchanges atomic.Int32
}

// ForgetKeys forwards to the wrapped bank (the stale-enc-key retry needs it).
func (c *countingBank) ForgetKeys() {
	if kf, ok := c.Bank.(KeyForgetter); ok {
		kf.ForgetKeys()
	}
}

func (c *countingBank) ExchangeCode(ctx context.Context, code AuthCode, v CodeVerifier, redirectURI string) (TokenResult, error) {
	c.exchanges.Add(1)
	return c.Bank.ExchangeCode(ctx, code, v, redirectURI)
}

func newSandboxEnv(t *testing.T, autoApprove bool) *sandboxEnv {
	t.Helper()
	return newSandboxEnvWith(t, autoApprove)
}

// newSandboxEnvWith is newSandboxEnv with more redirect URIs registered.
func newSandboxEnvWith(t *testing.T, autoApprove bool, redirects ...string) *sandboxEnv {
	t.Helper()
	sigKey, tlsKey := tppKeys(t)
	clock := &fakeClock{now: time.Now().Truncate(time.Second)}
	bank, err := sandbox.New(sandbox.Config{Clock: clock.Now, AutoApprove: autoApprove, AuthorizeTLS: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := bank.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bank.Close() })

	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &sigKey.PublicKey, KeyID: "tpp-sig", Use: "sig", Algorithm: "PS256"}}})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := bank.Register(sandbox.ClientRegistration{
		ClientID: "payterm-test", Name: "payterm test", SigningJWKS: jwks,
		RedirectURIs: append([]string{"http://127.0.0.1/callback", "https://wallet.example/cb"}, redirects...), Roles: []string{"BSIP", "BDSP"},
		TransportPublicKey: &tlsKey.PublicKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	httpClient, err := lfi.NewMTLSClient([]byte(reg.TransportCertPEM), tlsKey, bank.RootCAs())
	if err != nil {
		t.Fatal(err)
	}
	signer, err := lfi.NewSigner(sigKey, "tpp-sig")
	if err != nil {
		t.Fatal(err)
	}
	client, err := lfi.New(lfi.Config{
		DiscoveryURL: bank.DiscoveryURL(), Issuer: bank.Issuer(), ResourceBaseURL: bank.ResourceBaseURL(),
		ClientID: reg.ClientID, Signer: signer, HTTPClient: httpClient, Clock: clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	lb := NewLFIBank(client)
	web := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: bank.RootCAs(), MinVersion: tls.VersionTLS12}}}
	return &sandboxEnv{bank: bank, client: client, lb: lb, bank2: &countingBank{Bank: lb}, store: newMemStore(), clock: clock, web: web}
}

func (e *sandboxEnv) config() OnboardingConfig {
	return OnboardingConfig{Bank: e.bank2, RedirectURI: "http://127.0.0.1/callback", Store: e.store, Clock: e.clock.Now}
}

func (e *sandboxEnv) request(t *testing.T, model BeneficiaryModel, n int) OnboardingRequest {
	t.Helper()
	p := testParams()
	p.ConsentID = ""
	p.ExpirationDateTime = e.clock.Now().AddDate(0, 3, 0)
	in := ConsentPIIInput{Model: model, Risk: testRisk}
	for i := range n {
		in.Creditors = append(in.Creditors, testCreditor(t, i))
	}
	return OnboardingRequest{Params: p, PII: in}
}

func TestSandboxOnboardingEachModel(t *testing.T) {
	env := newSandboxEnv(t, true)
	for _, tc := range []struct {
		model BeneficiaryModel
		n     int
	}{{OpenBeneficiary, 0}, {SingleBeneficiary, 1}, {MultipleBeneficiaries, 3}, {MultipleBeneficiaries, 10}} {
		t.Run(fmt.Sprintf("%s-%d", tc.model, tc.n), func(t *testing.T) {
			res, err := Onboard(context.Background(), env.config(), env.request(t, tc.model, tc.n), Presentation{Headless: env.web})
			if err != nil {
				t.Fatalf("onboard: %v", err)
			}
			if res.Model != tc.model || len(res.Creditors) != tc.n || res.Tokens.AccessToken.IsZero() {
				t.Fatalf("result: model %s creditors %d", res.Model, len(res.Creditors))
			}
			if env.store.get(res.ConsentID) != res.Tokens.RefreshToken {
				t.Fatal("refresh token not saved before Complete returned")
			}
			if st, err := env.bank.ConsentStatus(res.ConsentID); err != nil || st != "Authorized" {
				t.Fatalf("bank consent status %q, %v", st, err)
			}
			if res.ExpirationDateTime.IsZero() {
				t.Error("no expiry from the bank")
			}
			// The sandbox returns an id_token; Complete validated it before accepting the result.
			if res.IDToken == nil || res.IDToken.Issuer != env.bank.Issuer() || res.IDToken.Subject == "" {
				t.Errorf("id_token not validated into the result: %+v", res.IDToken)
			}
		})
	}
	// The strict bank found nothing to fault or warn about in any request we made.
	verdicts := env.bank.RecentVerdicts(500)
	if len(verdicts) == 0 {
		t.Fatal("the sandbox recorded no verdicts")
	}
	checks := 0
	for _, v := range verdicts {
		checks += len(v.Checks)
		for _, c := range v.Checks {
			if !c.Passed || strings.HasPrefix(c.Name, "warning") {
				t.Errorf("%s %s: rule %d %q: %s", v.Method, v.Path, c.Rule, c.Name, c.Detail)
			}
		}
	}
	if checks < 50 {
		t.Errorf("only %d rule checks recorded for four onboardings", checks)
	}
}

func TestSandboxOnboardingWithPermissionsAndDebtor(t *testing.T) {
	env := newSandboxEnv(t, true)
	req := env.request(t, SingleBeneficiary, 1)
	req.Params.Permissions = []Permission{ReadAccountsBasic, ReadBalances}
	req.PII.Debtor = &DebtorAccountInput{IBAN: "ae07 0331 2345 6789 0123 456", Name: &Name{EN: "Test Debtor"}}
	res, err := Onboard(context.Background(), env.config(), req, Presentation{Headless: env.web})
	if err != nil {
		t.Fatalf("onboard: %v", err)
	}
	if !strings.Contains(res.Scope, "accounts") {
		t.Errorf("scope %q lacks accounts", res.Scope)
	}
}

func TestSandboxRefreshRotation(t *testing.T) {
	env := newSandboxEnv(t, true)
	res, err := Onboard(context.Background(), env.config(), env.request(t, SingleBeneficiary, 1), Presentation{Headless: env.web})
	if err != nil {
		t.Fatal(err)
	}
	first := res.Tokens.RefreshToken
	m, err := NewTokenManager(TokenManagerConfig{ConsentID: res.ConsentID, Store: env.store, Refresh: env.lb.Refresh, Clock: env.clock.Now, Initial: &res.Tokens})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if tok, err := m.AccessToken(ctx); err != nil || tok != res.Tokens.AccessToken {
		t.Fatalf("initial token: %v", err)
	}
	env.clock.Advance(545 * time.Second) // 55 s left
	tok, err := m.AccessToken(ctx)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if tok == res.Tokens.AccessToken {
		t.Fatal("access token not refreshed")
	}
	second := env.store.get(res.ConsentID)
	if second.IsZero() || second == first {
		t.Fatal("rotated refresh token not saved")
	}
	// The bank invalidated the old refresh token: using it fails.
	if _, err := env.lb.Refresh(ctx, first); err == nil {
		t.Fatal("old refresh token still accepted")
	}
	env.clock.Advance(600 * time.Second)
	if _, err := m.AccessToken(ctx); err != nil {
		t.Fatalf("second refresh: %v", err)
	}
	if env.store.get(res.ConsentID) == second {
		t.Fatal("second rotation not saved")
	}
}

func TestSandboxInactiveConsents(t *testing.T) {
	for _, tc := range []struct {
		name  string
		apply func(env *sandboxEnv, id string) error
	}{
		{"suspended", func(env *sandboxEnv, id string) error { return env.bank.SuspendConsent(id) }},
		{"expired by LFI", func(env *sandboxEnv, id string) error { return env.bank.ExpireConsent(id) }},
		{"expired by time", func(env *sandboxEnv, id string) error { env.clock.Advance(93 * 24 * time.Hour); return nil }},
		{"revoked by LFI", func(env *sandboxEnv, id string) error { return env.bank.RevokeConsent(id) }},
		{"revoked by TPP", func(env *sandboxEnv, id string) error {
			_, err := env.client.RevokeConsent(context.Background(), id, "TPP.InitiatedByUser")
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newSandboxEnv(t, true)
			res, err := Onboard(context.Background(), env.config(), env.request(t, OpenBeneficiary, 0), Presentation{Headless: env.web})
			if err != nil {
				t.Fatal(err)
			}
			m, err := NewTokenManager(TokenManagerConfig{ConsentID: res.ConsentID, Store: env.store, Refresh: env.lb.Refresh, Clock: env.clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.apply(env, res.ConsentID); err != nil {
				t.Fatal(err)
			}
			_, err = m.AccessToken(context.Background())
			if !errors.Is(err, ErrConsentInactive) {
				t.Fatalf("refresh on a %s consent: %v, want ErrConsentInactive", tc.name, err)
			}
			if env.store.get(res.ConsentID) != res.Tokens.RefreshToken {
				t.Fatal("a refused refresh must not touch the stored token")
			}
		})
	}
}

// TestSandboxCallbackAttacks takes a real callback from the sandbox, tampers with it, and checks
// that the flow refuses it without calling /token — and that the untampered code still works,
// which proves it was never spent.
func TestSandboxCallbackAttacks(t *testing.T) {
	attacks := []struct {
		name   string
		tamper func(q url.Values)
		want   error
	}{
		{"invalid-authorization-response-iss", func(q url.Values) { q.Set("iss", "https://attacker.example") }, ErrIssuerMismatch},
		{"remove-authorization-response-iss", func(q url.Values) { q.Del("iss") }, ErrIssuerMissing},
		{"invalid-state", func(q url.Values) { q.Set("state", "0b7e4ac6-5b1d-4b80-9c3c-1f0f6e2a9d11") }, ErrStateMismatch},
		{"missing-state", func(q url.Values) { q.Del("state") }, ErrStateMissing},
		{"missing-code", func(q url.Values) { q.Del("code") }, ErrCodeMissing},
	}
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			env := newSandboxEnv(t, true)
			cfg := env.config()
			cfg.RedirectURI = "https://wallet.example/cb" // paste-back: the headless walk stops at the redirect
			o, err := Begin(context.Background(), cfg, env.request(t, SingleBeneficiary, 1))
			if err != nil {
				t.Fatal(err)
			}
			defer o.Close()
			cb, err := FollowToRedirect(context.Background(), env.web, o.URL(), o.RedirectURI())
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse(cb)
			q := u.Query()
			realCode := q.Get("code")
			a.tamper(q)
			u.RawQuery = q.Encode()
			if _, err := o.ParseCallback(u.String()); !errors.Is(err, a.want) {
				t.Fatalf("tampered callback: %v, want %v", err, a.want)
			}
			if _, err := o.Complete(context.Background(), AuthCode(realCode)); !errors.Is(err, ErrOnboardingFinished) {
				t.Fatalf("Complete after a rejected callback: %v", err)
			}
			if n := env.bank2.exchanges.Load(); n != 0 {
				t.Fatalf("%d token calls after a rejected callback", n)
			}
			// The code was never spent: the bank still exchanges it.
			if _, err := env.lb.ExchangeCode(context.Background(), AuthCode(realCode), o.pkce.Verifier, o.RedirectURI()); err != nil {
				t.Fatalf("the real code should still be unspent: %v", err)
			}
		})
	}
}

func TestSandboxCodeReplay(t *testing.T) {
	env := newSandboxEnv(t, true)
	guard := &CodeGuard{}
	cfg := env.config()
	cfg.Guard = guard
	o, err := Begin(context.Background(), cfg, env.request(t, OpenBeneficiary, 0))
	if err != nil {
		t.Fatal(err)
	}
	code, err := o.Authorize(context.Background(), Presentation{Headless: env.web})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.Complete(context.Background(), code); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Complete(context.Background(), code); !errors.Is(err, ErrOnboardingFinished) {
		t.Fatalf("second Complete: %v", err)
	}
	// A second onboarding handed the same code (a replayed callback) refuses it locally.
	o2, err := Begin(context.Background(), cfg, env.request(t, OpenBeneficiary, 0))
	if err != nil {
		t.Fatal(err)
	}
	defer o2.Close()
	before := env.bank2.exchanges.Load()
	if _, err := o2.Complete(context.Background(), code); !errors.Is(err, ErrCodeReplayed) {
		t.Fatalf("replayed code: %v", err)
	}
	if env.bank2.exchanges.Load() != before {
		t.Fatal("a replayed code reached /token")
	}
}

var formField = regexp.MustCompile(`name="(session|csrf)" value="([^"]+)"`)

// browser approves or denies on the sandbox's consent page like a user would, following the
// final redirect to our loopback receiver.
func browser(t *testing.T, web *http.Client, authURL, decision string) (int, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Transport: web.Transport}
	resp, err := hc.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	form := url.Values{"decision": {decision}}
	for _, m := range formField.FindAllStringSubmatch(string(page), -1) {
		form.Set(m[1], m[2])
	}
	if form.Get("session") == "" || form.Get("csrf") == "" {
		t.Fatalf("consent page without session/csrf fields (HTTP %d)", resp.StatusCode)
	}
	u, _ := url.Parse(authURL)
	u.Path, u.RawQuery = "/authorize/decision", ""
	resp, err = hc.PostForm(u.String(), form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(body)
}

func TestSandboxLoopbackApprove(t *testing.T) {
	env := newSandboxEnv(t, false)
	o, err := Begin(context.Background(), env.config(), env.request(t, MultipleBeneficiaries, 2))
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if !o.UsesLoopback() {
		t.Fatal("loopback redirect without a receiver")
	}
	opened := make(chan string, 1)
	var out strings.Builder
	done := make(chan struct{})
	var code AuthCode
	var authErr error
	go func() {
		defer close(done)
		code, authErr = o.Authorize(context.Background(), Presentation{Out: &out, QR: true, Opener: func(_ context.Context, u string) error {
			opened <- u
			return nil
		}})
	}()
	status, page := browser(t, env.web, <-opened, "approve")
	<-done
	if authErr != nil {
		t.Fatalf("authorize: %v", authErr)
	}
	if status != http.StatusOK || !strings.Contains(page, "close this tab") {
		t.Errorf("receiver page: %d %q", status, page)
	}
	if !strings.Contains(out.String(), o.URL()) || !strings.Contains(out.String(), "█") {
		t.Error("URL or QR code not printed")
	}
	res, err := o.Complete(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Creditors) != 2 {
		t.Errorf("creditors %d", len(res.Creditors))
	}
}

func TestSandboxLoopbackDeny(t *testing.T) {
	env := newSandboxEnv(t, false)
	o, err := Begin(context.Background(), env.config(), env.request(t, SingleBeneficiary, 1))
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	done := make(chan error, 1)
	go func() { _, err := o.WaitCallback(context.Background()); done <- err }()
	status, page := browser(t, env.web, o.URL(), "deny")
	err = <-done
	if !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("deny: %v, want ErrAccessDenied", err)
	}
	if status != http.StatusBadRequest || !strings.Contains(page, "declined") {
		t.Errorf("receiver page: %d %q", status, page)
	}
	if _, err := o.Complete(context.Background(), "whatever"); !errors.Is(err, ErrOnboardingFinished) || env.bank2.exchanges.Load() != 0 {
		t.Fatalf("Complete after deny: %v", err)
	}
	if st, _ := env.bank.ConsentStatus(o.ConsentID()); st != "Rejected" {
		t.Errorf("bank consent status %q", st)
	}
}

func TestSandboxLocalValidationBeforeNetwork(t *testing.T) {
	env := newSandboxEnv(t, true)
	req := env.request(t, SingleBeneficiary, 1)
	req.PII.Creditors[0].IBAN = invalidIBAN
	_, err := Begin(context.Background(), env.config(), req)
	wantFieldErr(t, err, "Initiation.Creditor[0].CreditorAccount.Identification", invalidIBAN)
	if len(env.bank.RecentVerdicts(10)) != 0 {
		t.Error("an invalid consent reached the bank")
	}
}

func TestSandboxRenewalWithBaseConsentID(t *testing.T) {
	env := newSandboxEnv(t, true)
	first, err := Onboard(context.Background(), env.config(), env.request(t, SingleBeneficiary, 1), Presentation{Headless: env.web})
	if err != nil {
		t.Fatal(err)
	}
	req := env.request(t, SingleBeneficiary, 1)
	req.Params.BaseConsentID = first.ConsentID
	second, err := Onboard(context.Background(), env.config(), req, Presentation{Headless: env.web})
	if err != nil {
		t.Fatalf("renewal: %v", err)
	}
	if second.ConsentID == first.ConsentID {
		t.Fatal("renewal reused the consent id")
	}
}

func TestSandboxOnboardingAfterEncKeyRotation(t *testing.T) {
	env := newSandboxEnv(t, true)
	if _, err := Onboard(context.Background(), env.config(), env.request(t, OpenBeneficiary, 0), Presentation{Headless: env.web}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.bank.RotateEncKey(); err != nil {
		t.Fatal(err)
	}
	if _, err := Onboard(context.Background(), env.config(), env.request(t, OpenBeneficiary, 0), Presentation{Headless: env.web}); err != nil {
		t.Fatalf("onboarding after the bank rotated its enc key: %v", err)
	}
}
