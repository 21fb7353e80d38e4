package sandbox

// Negative tests added by the review of uae-spec §11 rules 1–40 against the existing tests
// (README "Rule coverage"): each sends one mistake a handler (not the rules package alone)
// must catch and asserts the exact status, error and the rule the verdict names.

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
)

// TestNegTokenEndpointForm: rules 1, 2 and 4 at POST /token (the PAR tests cover /par).
func TestNegTokenEndpointForm(t *testing.T) {
	e := newNegEnv(t, nil)
	c := e.c
	cc := func() url.Values { return c.tokenForm("client_credentials", "scope", "payments") }

	t.Run("1 no client certificate", func(t *testing.T) {
		e.t = t
		noCert := *c
		noCert.http = c.mtlsClient(nil, nil)
		e.wantOAuth(noCert.postForm(c.disc.Token, cc()), http.StatusUnauthorized, "invalid_client", "", 1)
	})
	t.Run("2 JSON content type", func(t *testing.T) {
		e.t = t
		req, _ := http.NewRequest(http.MethodPost, c.disc.Token, strings.NewReader(cc().Encode()))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("x-fapi-interaction-id", uuid.NewString())
		e.wantOAuth(c.doOAuth(req), http.StatusBadRequest, "invalid_request", "", 2)
	})
	t.Run("2 duplicate parameter", func(t *testing.T) {
		e.t = t
		f := cc()
		f.Add("scope", "payments")
		e.wantOAuth(c.postForm(c.disc.Token, f), http.StatusBadRequest, "invalid_request", "", 2)
	})
	t.Run("2 unknown parameter", func(t *testing.T) {
		e.t = t
		f := cc()
		f.Set("audience", "x")
		e.wantOAuth(c.postForm(c.disc.Token, f), http.StatusBadRequest, "invalid_request", "", 2)
	})
	t.Run("2 missing scope", func(t *testing.T) {
		e.t = t
		f := cc()
		f.Del("scope")
		e.wantOAuth(c.postForm(c.disc.Token, f), http.StatusBadRequest, "invalid_request", "", 2)
	})
	t.Run("4 assertion iss is not the client", func(t *testing.T) {
		e.t = t
		f := cc()
		claims := c.assertionClaims()
		claims["iss"] = "someone-else"
		f.Set("client_assertion", c.sign(claims))
		e.wantOAuth(c.postForm(c.disc.Token, f), http.StatusBadRequest, "invalid_client", "", 4)
	})
	t.Run("4 assertion replayed at the token endpoint", func(t *testing.T) {
		e.t = t
		f := cc()
		if r := c.postForm(c.disc.Token, f); r.Status != http.StatusOK {
			t.Fatalf("first use: %d %v", r.Status, r.Body)
		}
		e.wantOAuth(c.postForm(c.disc.Token, f), http.StatusBadRequest, "invalid_client", "", 4)
	})
}

// TestNegAuthorizeVerdicts: rule 22's refusals are filed under rule 22 in the verdict feed.
func TestNegAuthorizeVerdicts(t *testing.T) {
	e := newNegEnv(t, nil)
	c := e.c
	get := func(u string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		id := uuid.NewString()
		req.Header.Set("x-fapi-interaction-id", id)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, id
	}
	_, uri := e.pushed(consentPII())
	for name, u := range map[string]string{
		"unknown request_uri": c.authorizeURL("urn:ietf:params:oauth:request_uri:made-up"),
		"another client_id":   strings.Replace(c.authorizeURL(uri), "client_id="+url.QueryEscape(c.id), "client_id=other", 1),
		"response_type token": strings.Replace(c.authorizeURL(uri), "response_type=code", "response_type=token", 1),
	} {
		t.Run(name, func(t *testing.T) {
			st, id := get(u)
			if v := e.verdict(id); st != http.StatusBadRequest || failedRuleOf(v) != 22 {
				t.Fatalf("status %d, failed rule %d", st, failedRuleOf(v))
			}
		})
	}
	t.Run("expired request_uri", func(t *testing.T) {
		e.b.AdvanceClock(91 * time.Second)
		defer e.b.AdvanceClock(-91 * time.Second)
		st, id := get(c.authorizeURL(uri))
		if v := e.verdict(id); st != http.StatusBadRequest || failedRuleOf(v) != 22 {
			t.Fatalf("status %d, failed rule %d", st, failedRuleOf(v))
		}
	})
}

func failedRuleOf(v Verdict) int {
	for _, c := range v.Checks {
		if !c.Passed {
			return c.Rule
		}
	}
	return -1
}

// TestNegRefreshScopeWidened: rule 25, a refresh may not ask for more than the grant.
func TestNegRefreshScopeWidened(t *testing.T) {
	e := newNegEnv(t, nil)
	cons := e.singleConsent()
	r := e.c.postForm(e.c.disc.Token, e.c.tokenForm("refresh_token", "refresh_token", cons.refresh, "scope", "payments openid accounts"))
	e.wantOAuth(r, http.StatusBadRequest, "invalid_scope", "", 25)
	if ok := e.c.postForm(e.c.disc.Token, e.c.tokenForm("refresh_token", "refresh_token", cons.refresh, "scope", "payments")); ok.Status != http.StatusOK {
		t.Fatalf("refresh narrowing the scope: %d %v", ok.Status, ok.Body)
	}
}

// TestNegPaymentOnSuspendedConsent: rule 29, only an Authorized consent pays.
func TestNegPaymentOnSuspendedConsent(t *testing.T) {
	e := newNegEnv(t, nil)
	cons := e.singleConsent()
	if err := e.b.SuspendConsent(cons.id); err != nil {
		t.Fatal(err)
	}
	e.wantRS(e.pay(cons, e.payClaims(cons, "1.00")), http.StatusBadRequest, "Consent.Invalid", "Data.ConsentId", 29)
	if err := e.b.RestoreConsent(cons.id); err != nil {
		t.Fatal(err)
	}
	if r := e.pay(cons, e.payClaims(cons, "1.00")); r.Status != http.StatusCreated {
		t.Fatalf("payment after restore: %d %s", r.Status, r.errorCode())
	}
}

// TestNegUserTokenOfAnotherConsent: rule 36, a consent's user token reads only that consent and
// its payments, even of the same client.
func TestNegUserTokenOfAnotherConsent(t *testing.T) {
	e := newNegEnv(t, nil)
	a, b := e.singleConsent(), e.singleConsent()
	p := e.pay(b, e.payClaims(b, "1.00"))
	if p.Status != http.StatusCreated {
		t.Fatalf("payment: %d", p.Status)
	}
	e.wantRS(e.c.rs(http.MethodGet, "/payments/"+p.data()["PaymentId"].(string), a.access, nil, ""), http.StatusNotFound, "", "", 36)
	e.wantRS(e.c.rs(http.MethodGet, "/payment-consents/"+b.id, a.access, nil, ""), http.StatusNotFound, "", "", 36)
}

// TestNegPatchConsent: rule 37's signature, claims and source-state checks.
func TestNegPatchConsent(t *testing.T) {
	e := newNegEnv(t, nil)
	c := e.c
	cc := c.clientCredentials()
	other := testKey(t)
	patchClaims := func() map[string]any {
		now := e.b.Now().Unix()
		return map[string]any{"iss": c.id, "aud": []string{c.disc.Issuer}, "iat": now, "nbf": now - 10, "exp": now + 300,
			"message": map[string]any{"Data": map[string]any{"Status": "Revoked", "RevokedBy": "TPP"}}}
	}
	patch := func(id, body string) rsResp {
		h := http.Header{}
		h.Set("Content-Type", "application/jwt")
		return c.rs(http.MethodPatch, "/payment-consents/"+id, cc, h, body)
	}
	cons := e.singleConsent()

	t.Run("signed by another key", func(t *testing.T) {
		e.t = t
		e.wantRS(patch(cons.id, signWith(t, other, c.sigKID, jose.PS256, patchClaims())), http.StatusBadRequest, "JWS.InvalidSignature", "signature", 37)
	})
	t.Run("RS256", func(t *testing.T) {
		e.t = t
		e.wantRS(patch(cons.id, signWith(t, c.sig, c.sigKID, jose.RS256, patchClaims())), http.StatusBadRequest, "JWS.InvalidHeader", "header.alg", 37)
	})
	t.Run("no exp", func(t *testing.T) {
		e.t = t
		cl := patchClaims()
		delete(cl, "exp")
		e.wantRS(patch(cons.id, c.sign(cl)), http.StatusBadRequest, "JWS.InvalidClaim", "exp", 37)
	})
	t.Run("iss not the client", func(t *testing.T) {
		e.t = t
		cl := patchClaims()
		cl["iss"] = "someone-else"
		e.wantRS(patch(cons.id, c.sign(cl)), http.StatusBadRequest, "JWS.InvalidClaim", "iss", 37)
	})
	t.Run("a Rejected consent", func(t *testing.T) {
		e.t = t
		ro, uri := e.pushed(consentPII())
		c.approve(uri, "deny", nil)
		rejected := consentOf(ro)["ConsentId"].(string)
		if st, _ := e.b.ConsentStatus(rejected); st != statusRejected {
			t.Fatalf("denied consent is %s", st)
		}
		e.wantRS(patch(rejected, c.sign(patchClaims())), http.StatusBadRequest, "Consent.BusinessRuleViolation", "Data.Status", 37)
	})
	t.Run("an Expired consent", func(t *testing.T) {
		e.t = t
		exp := e.singleConsent()
		if err := e.b.ExpireConsent(exp.id); err != nil {
			t.Fatal(err)
		}
		e.wantRS(patch(exp.id, c.sign(patchClaims())), http.StatusBadRequest, "Consent.BusinessRuleViolation", "Data.Status", 37)
	})
	e.t = t
	if r := patch(cons.id, c.sign(patchClaims())); r.Status != http.StatusNoContent {
		t.Fatalf("control PATCH: %d %s", r.Status, r.errorCode())
	}
}

// TestNegCodeLifetimeBound: rule 23, a code may not live longer than 10 minutes.
func TestNegCodeLifetimeBound(t *testing.T) {
	if _, err := New(Config{CodeLifetime: 10*time.Minute + time.Second}); err == nil {
		t.Fatal("a code lifetime over 10 minutes was accepted")
	}
	if _, err := New(Config{CodeLifetime: 10 * time.Minute}); err != nil {
		t.Fatalf("10 minutes: %v", err)
	}
}
