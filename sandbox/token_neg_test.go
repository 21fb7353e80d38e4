package sandbox

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// pushed runs a valid PAR and returns the request_uri and the request object.
func (c *tpp) pushed(pii map[string]any) (string, map[string]any) {
	c.t.Helper()
	ro := c.requestObject(uuid.NewString(), pii, testVerifier)
	r := c.par(ro)
	if r.Status != http.StatusOK {
		c.t.Fatalf("PAR: %d %v", r.Status, r.Body)
	}
	if r.Body["expires_in"] != float64(90) {
		c.t.Fatalf("PAR expires_in %v, want 90", r.Body["expires_in"])
	}
	return r.Body["request_uri"].(string), ro
}

func getStatus(t *testing.T, u string) int {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestAuthorizeRules covers rules 21 and 22.
func TestAuthorizeRules(t *testing.T) {
	b := newBank(t, nil)
	c := newTPP(t, b)

	t.Run("PAR creates the consent AwaitingAuthorization; the TPP may revoke it then", func(t *testing.T) {
		_, ro := c.pushed(consentPII())
		id := consentOf(ro)["ConsentId"].(string)
		cc := c.clientCredentials()
		if g := c.rs(http.MethodGet, "/payment-consents/"+id, cc, nil, ""); g.Status != 200 || g.data()["Status"] != "AwaitingAuthorization" {
			t.Fatalf("consent after PAR: %d %v", g.Status, g.data())
		}
		if r := c.revoke(cc, id); r.Status != 204 {
			t.Fatalf("revoke while awaiting: %d", r.Status)
		}
	})
	t.Run("request_uri single use", func(t *testing.T) {
		uri, _ := c.pushed(consentPII())
		c.approve(uri, "approve", nil)
		if st := getStatus(t, c.authorizeURL(uri)); st != http.StatusBadRequest {
			t.Fatalf("second use: %d", st)
		}
	})
	t.Run("request_uri expires", func(t *testing.T) {
		uri, _ := c.pushed(consentPII())
		b.AdvanceClock(91 * time.Second)
		defer b.AdvanceClock(-91 * time.Second)
		if st := getStatus(t, c.authorizeURL(uri)); st != http.StatusBadRequest {
			t.Fatalf("expired request_uri: %d", st)
		}
	})
	t.Run("client_id must be the PAR client", func(t *testing.T) {
		uri, _ := c.pushed(consentPII())
		u := strings.Replace(c.authorizeURL(uri), "client_id="+url.QueryEscape(c.id), "client_id=other", 1)
		if st := getStatus(t, u); st != http.StatusBadRequest {
			t.Fatalf("other client_id: %d", st)
		}
	})
	t.Run("extra front-channel parameter", func(t *testing.T) {
		uri, _ := c.pushed(consentPII())
		if st := getStatus(t, c.authorizeURL(uri)+"&redirect_uri=https%3A%2F%2Fevil.example"); st != http.StatusBadRequest {
			t.Fatalf("extra parameter: %d", st)
		}
	})
	t.Run("deny redirects with access_denied, state, iss and rejects the consent", func(t *testing.T) {
		uri, ro := c.pushed(consentPII())
		cb := c.approve(uri, "deny", nil)
		if cb.Get("error") != "access_denied" || cb.Get("state") != ro["state"] || cb.Get("iss") != c.disc.Issuer || cb.Get("code") != "" {
			t.Fatalf("deny callback: %v", cb)
		}
		if st, _ := b.ConsentStatus(consentOf(ro)["ConsentId"].(string)); st != "Rejected" {
			t.Fatalf("consent after deny: %s", st)
		}
	})
	t.Run("decision without the page's CSRF token", func(t *testing.T) {
		uri, _ := c.pushed(consentPII())
		resp, err := http.Get(c.authorizeURL(uri))
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		form := url.Values{"decision": {"approve"}}
		for _, m := range hiddenField.FindAllStringSubmatch(string(page), -1) {
			form.Set(m[1], m[2])
		}
		// No cookie jar: the double-submit cookie is missing, as for a cross-site post.
		resp, err = http.PostForm(strings.TrimSuffix(c.disc.Authorization, "/authorize")+"/authorize/decision", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("cross-site decision: %d", resp.StatusCode)
		}
	})
	t.Run("approve redirects to the loopback port the request named", func(t *testing.T) {
		uri, ro := c.pushed(consentPII())
		cb := c.approve(uri, "approve", url.Values{"debtor": {"1"}})
		if cb.Get("code") == "" || cb.Get("state") != ro["state"] || cb.Get("iss") != c.disc.Issuer {
			t.Fatalf("approve callback: %v", cb)
		}
	})
}

// TestTokenRules covers rules 23–25 (and 26's binding at the resource server).
func TestTokenRules(t *testing.T) {
	b := newBank(t, nil)
	c := newTPP(t, b)
	c2 := newTPP(t, b)
	codeFor := func() (string, map[string]any) {
		uri, ro := c.pushed(consentPII())
		cb := c.approve(uri, "approve", nil)
		return cb.Get("code"), ro
	}
	exchange := func(cl *tpp, code, redirect, verifier string) oauthResp {
		return cl.postForm(cl.disc.Token, cl.tokenForm("authorization_code", "code", code, "redirect_uri", redirect, "code_verifier", verifier))
	}
	expect := func(t *testing.T, r oauthResp, status int, oauth string, rule int) {
		t.Helper()
		if r.Status != status || r.err() != oauth {
			t.Fatalf("got %d %v, want %d %s", r.Status, r.Body, status, oauth)
		}
		if got := failedRule(b, r.InteractionID); got != rule {
			t.Fatalf("verdict rule %d, want %d", got, rule)
		}
	}

	t.Run("code reuse revokes the tokens it issued", func(t *testing.T) {
		code, ro := codeFor()
		first := exchange(c, code, c.redirect, testVerifier)
		if first.Status != 200 || first.Body["token_type"] != "Bearer" || first.Body["expires_in"] != float64(600) ||
			first.Body["state"] != ro["state"] || first.Body["refresh_token"] == nil || first.Body["scope"] != "payments openid" {
			t.Fatalf("first exchange: %d %v", first.Status, first.Body)
		}
		ad := first.Body["authorization_details"].([]any)[0].(map[string]any)
		if ad["type"] != "urn:openfinanceuae:service-initiation-consent:v2.1" ||
			ad["consent"].(map[string]any)["Data"].(map[string]any)["Status"] != "Authorized" {
			t.Fatalf("authorization_details: %v", ad)
		}
		expect(t, exchange(c, code, c.redirect, testVerifier), 400, "invalid_grant", 23)
		g := c.rs(http.MethodGet, "/payment-consents/"+consentOf(ro)["ConsentId"].(string), first.Body["access_token"].(string), nil, "")
		if g.Status != http.StatusUnauthorized {
			t.Fatalf("access token after code reuse: %d", g.Status)
		}
		rf := c.postForm(c.disc.Token, c.tokenForm("refresh_token", "refresh_token", first.Body["refresh_token"].(string)))
		expect(t, rf, 400, "invalid_grant", 25)
	})
	t.Run("code expires", func(t *testing.T) {
		code, _ := codeFor()
		b.AdvanceClock(61 * time.Second)
		defer b.AdvanceClock(-61 * time.Second)
		expect(t, exchange(c, code, c.redirect, testVerifier), 400, "invalid_grant", 23)
	})
	t.Run("code of another client", func(t *testing.T) {
		code, _ := codeFor()
		expect(t, exchange(c2, code, c.redirect, testVerifier), 400, "invalid_grant", 23)
	})
	t.Run("redirect_uri differs", func(t *testing.T) {
		code, _ := codeFor()
		expect(t, exchange(c, code, "https://tpp.example/cb", testVerifier), 400, "invalid_grant", 24)
	})
	t.Run("PKCE verifier mismatch", func(t *testing.T) {
		code, _ := codeFor()
		expect(t, exchange(c, code, c.redirect, testVerifier+"x"), 400, "invalid_grant", 24)
	})
	t.Run("PKCE verifier too short", func(t *testing.T) {
		code, _ := codeFor()
		expect(t, exchange(c, code, c.redirect, "short"), 400, "invalid_grant", 24)
	})
	t.Run("unknown grant type", func(t *testing.T) {
		r := c.postForm(c.disc.Token, c.tokenForm("password", "username", "x"))
		expect(t, r, 400, "unsupported_grant_type", 2)
	})
	t.Run("client_credentials needs scope payments", func(t *testing.T) {
		expect(t, c.postForm(c.disc.Token, c.tokenForm("client_credentials", "scope", "openid")), 400, "invalid_scope", 9)
	})
	t.Run("refresh rotates; the old token is dead", func(t *testing.T) {
		cons := c.authorizedConsent(consentPII())
		r1 := c.postForm(c.disc.Token, c.tokenForm("refresh_token", "refresh_token", cons.refresh))
		if r1.Status != 200 || r1.Body["refresh_token"] == nil || r1.Body["refresh_token"] == cons.refresh {
			t.Fatalf("refresh: %d %v", r1.Status, r1.Body)
		}
		expect(t, c.postForm(c.disc.Token, c.tokenForm("refresh_token", "refresh_token", cons.refresh)), 400, "invalid_grant", 25)
		r3 := c.postForm(c.disc.Token, c.tokenForm("refresh_token", "refresh_token", r1.Body["refresh_token"].(string)))
		if r3.Status != 200 {
			t.Fatalf("rotated refresh token: %d %v", r3.Status, r3.Body)
		}
	})
	t.Run("refresh by another client", func(t *testing.T) {
		cons := c.authorizedConsent(consentPII())
		expect(t, c2.postForm(c2.disc.Token, c2.tokenForm("refresh_token", "refresh_token", cons.refresh)), 400, "invalid_grant", 25)
	})
	t.Run("refresh of a suspended consent, then restored", func(t *testing.T) {
		cons := c.authorizedConsent(consentPII())
		if err := b.SuspendConsent(cons.id); err != nil {
			t.Fatal(err)
		}
		expect(t, c.postForm(c.disc.Token, c.tokenForm("refresh_token", "refresh_token", cons.refresh)), 400, "invalid_grant", 25)
		if err := b.RestoreConsent(cons.id); err != nil {
			t.Fatal(err)
		}
		if r := c.postForm(c.disc.Token, c.tokenForm("refresh_token", "refresh_token", cons.refresh)); r.Status != 200 {
			t.Fatalf("refresh after restore: %d %v", r.Status, r.Body)
		}
	})
	t.Run("expired consent: refresh, tokens and payments stop", func(t *testing.T) {
		cons := c.authorizedConsent(consentPII(creditor(testIBAN, "Ivan England")))
		if err := b.ExpireConsent(cons.id); err != nil {
			t.Fatal(err)
		}
		expect(t, c.postForm(c.disc.Token, c.tokenForm("refresh_token", "refresh_token", cons.refresh)), 400, "invalid_grant", 25)
		if g := c.rs(http.MethodGet, "/payment-consents/"+cons.id, cons.access, nil, ""); g.Status != http.StatusUnauthorized {
			t.Fatalf("user token of an expired consent: %d", g.Status)
		}
		p := c.pay(cons.access, uuid.NewString(), c.paymentClaims(cons.id, "1.00", paymentPII(c, creditor(testIBAN, "Ivan England"))))
		if p.Status != 400 || p.errorCode() != "Consent.Invalid" || failedRule(b, p.InteractionID) != 29 {
			t.Fatalf("payment on an expired consent: %d %s", p.Status, p.errorCode())
		}
	})
	t.Run("expiry by the clock", func(t *testing.T) {
		cons := c.authorizedConsent(consentPII())
		b.AdvanceClock(200 * 24 * time.Hour)
		defer b.AdvanceClock(-200 * 24 * time.Hour)
		if st, _ := b.ConsentStatus(cons.id); st != "Expired" {
			t.Fatalf("status after ExpirationDateTime: %s", st)
		}
	})
}

// TestResourceTokenRules covers rule 26 at the resource server.
func TestResourceTokenRules(t *testing.T) {
	b := newBank(t, nil)
	c := newTPP(t, b)
	c2 := newTPP(t, b)
	cons := c.authorizedConsent(consentPII(creditor(testIBAN, "Ivan England")))
	path := "/payment-consents/" + cons.id
	if g := c.rs(http.MethodGet, path, "", nil, ""); g.Status != 401 || len(g.Raw) != 0 {
		t.Fatalf("no token: %d %q", g.Status, g.Raw)
	}
	if g := c.rs(http.MethodGet, path, "made-up", nil, ""); g.Status != 401 {
		t.Fatalf("unknown token: %d", g.Status)
	}
	if g := c2.rs(http.MethodGet, path, cons.access, nil, ""); g.Status != 401 || failedRule(b, g.InteractionID) != 26 {
		t.Fatalf("token over another client's certificate: %d", g.Status)
	}
	cc := c.clientCredentials()
	p := c.pay(cc, uuid.NewString(), c.paymentClaims(cons.id, "1.00", paymentPII(c, creditor(testIBAN, "Ivan England"))))
	if p.Status != 403 || p.errorCode() != "AccessToken.InvalidScope" {
		t.Fatalf("client_credentials token on POST /payments: %d %s", p.Status, p.errorCode())
	}
	if g := c2.rs(http.MethodGet, path, c2.clientCredentials(), nil, ""); g.Status != 404 || len(g.Raw) != 0 {
		t.Fatalf("another client's consent: %d", g.Status)
	}
	b.AdvanceClock(601 * time.Second)
	defer b.AdvanceClock(-601 * time.Second)
	if g := c.rs(http.MethodGet, path, cons.access, nil, ""); g.Status != 401 {
		t.Fatalf("expired access token: %d", g.Status)
	}
}

// TestAuthorizationWindowPasses: [SIM-CHOICE] a consent still awaiting authorization when its
// AuthorizationExpirationDateTime passes is Rejected and cannot be approved.
func TestAuthorizationWindowPasses(t *testing.T) {
	b := newBank(t, func(cfg *Config) { cfg.PARLifetime = 10 * time.Minute })
	c := newTPP(t, b)
	ro := c.requestObject(uuid.NewString(), consentPII(), testVerifier)
	consentOf(ro)["AuthorizationExpirationDateTime"] = b.Now().Add(2 * time.Minute).UTC().Format(time.RFC3339)
	r := c.par(ro)
	if r.Status != 200 {
		t.Fatalf("PAR: %d %v", r.Status, r.Body)
	}
	b.AdvanceClock(3 * time.Minute)
	if st := getStatus(t, c.authorizeURL(r.Body["request_uri"].(string))); st != http.StatusBadRequest {
		t.Fatalf("authorize after the window: %d", st)
	}
	if st, _ := b.ConsentStatus(consentOf(ro)["ConsentId"].(string)); st != "Rejected" {
		t.Fatalf("status: %s", st)
	}
}

// TestAuthorizeTLS: the consent page can be served over HTTPS with the sandbox CA.
func TestAuthorizeTLS(t *testing.T) {
	b := newBank(t, func(cfg *Config) { cfg.AuthorizeTLS = true })
	c := newTPP(t, b)
	if !strings.HasPrefix(c.disc.Authorization, "https://") {
		t.Fatalf("authorization_endpoint %s", c.disc.Authorization)
	}
	uri, _ := c.pushed(consentPII())
	resp, err := c.mtlsClient(nil, nil).Get(c.authorizeURL(uri))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("page over TLS: %d", resp.StatusCode)
	}
}

// TestRuleOptionsReachTheRules: a stricter rules setting in Config.Rules is applied.
func TestRuleOptionsReachTheRules(t *testing.T) {
	b := newBank(t, func(cfg *Config) { cfg.Rules.RejectRequestObjectIATJTI = true })
	c := newTPP(t, b)
	ro := c.requestObject(uuid.NewString(), consentPII(), testVerifier)
	ro["iat"] = b.Now().Unix()
	if r := c.par(ro); r.Status != 400 || r.err() != "invalid_request" || failedRule(b, r.InteractionID) != 6 {
		t.Fatalf("iat with RejectRequestObjectIATJTI: %d %v", r.Status, r.Body)
	}
}
