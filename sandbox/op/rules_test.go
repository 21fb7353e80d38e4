package op

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/sandbox/op/ojws"
)

func TestHappyDefaultFlow(t *testing.T) {
	e := newEnv(t)
	p, tk := e.authorised()
	// The ID token: signed by the bank, sub = authorizationId, hashes of both tokens.
	keys, _ := ojws.ParseJWKS(e.bank.JWKS())
	_, payload, err := ojws.VerifyCompact(tk.IDToken, keys)
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	json.Unmarshal(payload, &c)
	if c["sub"] != p.AuthorizationID || c["authorizationId"] != p.AuthorizationID || c["nonce"] != "nonce-1" || c["aud"] != clientID ||
		c["at_hash"] != ojws.HalfHash(tk.AccessToken) || c["rt_hash"] != ojws.HalfHash(tk.RefreshToken) || c["acr"] != "urn:openbanking:psd2:sca" {
		t.Fatalf("ID token claims %v", c)
	}
	resp, b := e.send(e.submitCall(tk.AccessToken, p.PaymentID, "sub-1"))
	if resp.StatusCode != 201 || decodeSub(t, b).Status != "Accepted" {
		t.Fatalf("submit %d %s", resp.StatusCode, b)
	}
	resp, b = e.send(&call{method: "GET", path: "/payments-psd2/v1/sepa-payments/" + p.PaymentID + "/submissions/sub-1", token: e.clientToken()})
	if resp.StatusCode != 200 || decodeSub(t, b).Status != "Submitted" || e.bank.PaymentDebits(p.PaymentID) != 1 {
		t.Fatalf("status %d %s", resp.StatusCode, b)
	}
	// The same submission again: the same result, no second debit.
	resp, b = e.send(e.submitCall(tk.AccessToken, p.PaymentID, "sub-1"))
	if resp.StatusCode != 200 || decodeSub(t, b).Status != "Submitted" || e.bank.PaymentDebits(p.PaymentID) != 1 {
		t.Fatalf("again %d %s", resp.StatusCode, b)
	}
	for _, v := range e.bank.Verdicts() {
		if f := v.Failed(); f != nil {
			t.Fatalf("%s failed %+v", v.Endpoint, f)
		}
	}
}

// One negative test per rule (README.md "Rules").

func TestRuleMTLS(t *testing.T) {
	e := newEnv(t)
	tok := e.clientToken()
	req, _ := http.NewRequest("GET", e.srv.URL+"/payments-psd2/v1/sepa-payments/x", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("x-api-key", apiKey)
	resp, b := e.do(e.browser, req) // no client certificate
	e.expectRefusal(resp, b, 401, RuleMTLS)
	// Another certificate than the registered one, at the token endpoint.
	other := selfSigned(t, newKey(t), "tpp", false)
	c := *e.api
	tr := e.api.Transport.(*http.Transport).Clone()
	tr.TLSClientConfig.Certificates = []tls_Certificate{other}
	c.Transport = tr
	resp, b = e.form(&c, url.Values{"grant_type": {"client_credentials"}, "scope": {"payments"}, "client_id": {clientID}, "client_secret": {secret}})
	e.expectRefusal(resp, b, 401, RuleMTLS)
}

func TestRuleClientAuth(t *testing.T) {
	e := newEnv(t)
	resp, b := e.form(e.api, url.Values{"grant_type": {"client_credentials"}, "scope": {"payments"}, "client_id": {clientID}, "client_secret": {"wrong"}})
	e.expectRefusal(resp, b, 401, RuleClientAuth)
}

func TestRuleGrant(t *testing.T) {
	e := newEnv(t)
	for _, f := range []url.Values{{"grant_type": {"password"}}, {"grant_type": {"client_credentials"}, "scope": {"accounts"}},
		{"grant_type": {"authorization_code"}, "code": {"x"}}} {
		f.Set("client_id", clientID)
		f.Set("client_secret", secret)
		resp, b := e.form(e.api, f)
		e.expectRefusal(resp, b, 400, RuleGrant)
	}
}

func TestRuleAPIKey(t *testing.T) {
	e := newEnv(t)
	c := e.payCall(e.clientToken(), "k", payBody)
	c.tamper = func(r *http.Request) { r.Header.Set("x-api-key", "other") }
	e.rejected(c, 401, RuleAPIKey)
}

func TestRuleBearer(t *testing.T) {
	e := newEnv(t)
	e.rejected(e.payCall("made-up", "k", payBody), 401, RuleBearer)
	tok := e.clientToken()
	e.clk.Add(time.Hour + time.Second)
	e.rejected(e.payCall(tok, "k", payBody), 401, RuleBearer)
	// A client token cannot submit (the payer's token is needed).
	e2 := newEnv(t)
	p := e2.created(e2.clientToken(), "k", payBody)
	e2.rejected(e2.submitCall(e2.clientToken(), p.PaymentID, "s"), 403, RuleBearer)
}

func TestRuleIdempotencyKey(t *testing.T) {
	e := newEnv(t)
	tok := e.clientToken()
	e.rejected(e.payCall(tok, "", payBody), 400, RuleIdempotencyKey)
	e.rejected(e.payCall(tok, strings.Repeat("k", 65), payBody), 400, RuleIdempotencyKey)
}

func TestRuleJWSForm(t *testing.T) {
	e := newEnv(t)
	tok := e.clientToken()
	sig, _ := e.sign.Detached([]byte(payBody))
	h, s, _ := ojws.DetachedParts(sig)
	for _, bad := range []string{h + "." + b64(payBody) + "." + s, "not-a-jws", h + ".."} {
		c := e.payCall(tok, "k", payBody)
		c.sig = bad
		e.rejected(c, 400, RuleJWSForm)
	}
}

func TestRuleJWSHeader(t *testing.T) {
	e := newEnv(t)
	tok := e.clientToken()
	sig, _ := e.sign.Detached([]byte(payBody))
	_, s, _ := ojws.DetachedParts(sig)
	for _, hdr := range []string{`{"alg":"HS256","kid":"tpp-kid"}`, `{"alg":"ES256","kid":"other"}`, `{"alg":"ES256","kid":"tpp-kid","b64":false,"crit":["b64"]}`,
		`{"alg":"RS256","kid":"tpp-kid"}`} {
		c := e.payCall(tok, "k", payBody)
		c.sig = b64(hdr) + ".." + s
		e.rejected(c, 400, RuleJWSHeader)
	}
}

func TestRuleJWSVerifies(t *testing.T) {
	e := newEnv(t)
	tok := e.clientToken()
	// Signed over other bytes than those sent (one space more).
	c := e.payCall(tok, "k", payBody)
	c.sig, _ = e.sign.Detached([]byte(payBody + " "))
	e.rejected(c, 400, RuleJWSVerifies)
	// Signed by another key under the registered kid.
	c = e.payCall(tok, "k", payBody)
	c.sig, _ = (&ojws.Signer{Key: newKey(t), KID: "tpp-kid"}).Detached([]byte(payBody))
	e.rejected(c, 400, RuleJWSVerifies)
}

func TestRuleBody(t *testing.T) {
	e := newEnv(t)
	tok := e.clientToken()
	for _, body := range []string{`{"amountEUR":"4.00","payee":{"iban":"FI4950009420028730","name":"X"},"extra":1}`,
		`{"amountEUR":4,"payee":{"iban":"FI4950009420028730","name":"X"}}`, `{"payee":{"iban":"FI4950009420028730","name":"X"}}`,
		`{"amountEUR":"4.00","payee":{"iban":"FI4950009420028730"}}`, `[]`, payBody + `{}`} {
		e.rejected(e.payCall(tok, "k", body), 400, RuleBody)
	}
}

func TestRuleEuroCents(t *testing.T) {
	e := newEnv(t)
	tok := e.clientToken()
	for _, a := range []string{"4.0", "4.000", "0.00", "-1.00", "04.00", "1e3", ""} {
		e.rejected(e.payCall(tok, "k", `{"amountEUR":"`+a+`","payee":{"iban":"FI4950009420028730","name":"X"}}`), 400, RuleEuroCents)
	}
	if p := e.created(tok, "k-ok", `{"amountEUR":"4","payee":{"iban":"FI4950009420028730","name":"X"}}`); p.AmountEUR != "4.00" {
		t.Fatalf("amount %q", p.AmountEUR)
	}
}

func TestRuleIBAN(t *testing.T) {
	e := newEnv(t)
	tok := e.clientToken()
	for _, body := range []string{`{"amountEUR":"4.00","payee":{"iban":"FI4950009420028731","name":"X"}}`,
		`{"amountEUR":"4.00","payee":{"iban":"FI49 5000 9420 0287 30","name":"X"}}`,
		`{"amountEUR":"4.00","payee":{"iban":"FI4950009420028730","name":"X"},"payer":{"iban":"DE89370400440532013000"}}`} {
		e.rejected(e.payCall(tok, "k", body), 400, RuleIBAN)
	}
}

func TestRuleTexts(t *testing.T) {
	e := newEnv(t)
	tok := e.clientToken()
	for _, body := range []string{`{"amountEUR":"4.00","payee":{"iban":"FI4950009420028730","name":""}}`,
		`{"amountEUR":"4.00","payee":{"iban":"FI4950009420028730","name":"X"},"message":"m","reference":"13"}`,
		`{"amountEUR":"4.00","payee":{"iban":"FI4950009420028730","name":"X\u001b[2J"}}`,
		`{"amountEUR":"4.00","payee":{"iban":"FI4950009420028730","name":"X"},"reference":"12"}`,
		`{"amountEUR":"4.00","payee":{"iban":"FI4950009420028730","name":"X"},"count":0}`} {
		e.rejected(e.payCall(tok, "k", body), 400, RuleTexts)
	}
}

func TestRuleBundle(t *testing.T) {
	e := newEnv(t)
	tok := e.clientToken()
	e.rejected(e.payCall(tok, "k2", `{"amountEUR":"4.00","payee":{"iban":"FI4950009420028730","name":"X"},"authorizationId":"nope"}`), 409, RuleBundle)
	// A bundle whose page was opened is locked (Authorizing).
	p := e.created(tok, "k1", payBody)
	req, _ := http.NewRequest("GET", e.authorizeURL(e.requestObject(p.AuthorizationID, nil)), nil)
	e.do(e.browser, req)
	e.rejected(e.payCall(tok, "k3", `{"amountEUR":"5.00","payee":{"iban":"FI4950009420028730","name":"X"},"authorizationId":"`+p.AuthorizationID+`"}`), 409, RuleBundle)
}

func TestRuleDuplicate(t *testing.T) {
	e := newEnv(t)
	tok := e.clientToken()
	p := e.created(tok, "k1", payBody)
	// Same key, same body, still Unauthorized: the same payment.
	if again := e.created(tok, "k1", payBody); again.PaymentID != p.PaymentID || e.bank.Payments() != 1 {
		t.Fatalf("resend made %+v", again)
	}
	// Same key, another body.
	e.rejected(e.payCall(tok, "k1", strings.Replace(payBody, "4.00", "5.00", 1)), 409, RuleDuplicate)
	// Same key and body after the payment moved on (approved).
	e.approve(e.authorizeURL(e.requestObject(p.AuthorizationID, nil)), "approve", p.PaymentID)
	e.rejected(e.payCall(tok, "k1", payBody), 409, RuleDuplicate)
}

func TestRuleRequestQuery(t *testing.T) {
	e := newEnv(t)
	p := e.created(e.clientToken(), "k1", payBody)
	jwt := e.requestObject(p.AuthorizationID, nil)
	for _, q := range []url.Values{{"request": {jwt}, "response_type": {"code"}, "client_id": {clientID}},
		{"request": {jwt}, "response_type": {"code id_token"}, "client_id": {clientID}, "scope": {"openid payments"}},
		{"request": {jwt}, "response_type": {"code"}, "client_id": {clientID}, "scope": {"openid payments", "openid payments"}}} {
		req, _ := http.NewRequest("GET", e.srv.URL+"/oauth/authorize?"+q.Encode(), nil)
		resp, b := e.do(e.browser, req)
		e.expectRefusal(resp, b, 400, RuleRequestQuery)
	}
}

func TestRuleRequestSig(t *testing.T) {
	e := newEnv(t)
	p := e.created(e.clientToken(), "k1", payBody)
	good := e.requestObject(p.AuthorizationID, nil)
	parts := strings.Split(good, ".")
	forged, _ := (&ojws.Signer{Key: newKey(t), KID: "tpp-kid"}).JWT(map[string]any{"iss": clientID})
	for _, jwt := range []string{forged, parts[0] + "." + b64(`{"iss":"x"}`) + "." + parts[2], parts[0] + "." + parts[1] + "."} {
		req, _ := http.NewRequest("GET", e.authorizeURL(jwt), nil)
		resp, b := e.do(e.browser, req)
		e.expectRefusal(resp, b, 400, RuleRequestSig)
	}
}

func TestRuleRequestClaims(t *testing.T) {
	e := newEnv(t)
	p := e.created(e.clientToken(), "k1", payBody)
	for name, mut := range map[string]func(map[string]any){
		"iss":      func(c map[string]any) { c["iss"] = "other" },
		"aud":      func(c map[string]any) { c["aud"] = "https://elsewhere.example" },
		"redirect": func(c map[string]any) { c["redirect_uri"] = "https://evil.example/back" },
		"state":    func(c map[string]any) { c["state"] = "a+b/c=" },
		"nonce":    func(c map[string]any) { delete(c, "nonce") },
		"max_age":  func(c map[string]any) { delete(c, "max_age") },
		"exp":      func(c map[string]any) { c["exp"] = e.clk.Now().Add(-time.Second).Unix() },
		"acr": func(c map[string]any) {
			c["claims"].(map[string]any)["id_token"].(map[string]any)["acr"] = map[string]any{"essential": true, "values": []string{"urn:openbanking:psd2:ca"}}
		},
		"authId": func(c map[string]any) {
			c["claims"].(map[string]any)["userinfo"] = map[string]any{"authorizationId": map[string]any{"value": "other", "essential": true}}
		},
		"essential": func(c map[string]any) {
			c["claims"].(map[string]any)["id_token"].(map[string]any)["authorizationId"] = map[string]any{"value": p.AuthorizationID}
		},
	} {
		req, _ := http.NewRequest("GET", e.authorizeURL(e.requestObject(p.AuthorizationID, mut)), nil)
		resp, b := e.do(e.browser, req)
		if resp.StatusCode != 400 {
			t.Fatalf("%s: %d", name, resp.StatusCode)
		}
		e.expectRefusal(resp, b, 400, RuleRequestClaims)
	}
}

func TestRuleCode(t *testing.T) {
	e := newEnv(t)
	p := e.created(e.clientToken(), "k1", payBody)
	q := e.approve(e.authorizeURL(e.requestObject(p.AuthorizationID, nil)), "approve", p.PaymentID)
	f := url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {"https://wallet.example/other"}, "client_id": {clientID}, "client_secret": {secret}}
	resp, b := e.form(e.api, f)
	e.expectRefusal(resp, b, 400, RuleCode)
	// The code died with that try: the right redirect_uri no longer helps.
	f.Set("redirect_uri", redirect)
	resp, b = e.form(e.api, f)
	e.expectRefusal(resp, b, 400, RuleCode)
}

func TestRuleRefresh(t *testing.T) {
	e := newEnv(t)
	_, tk := e.authorised()
	refresh := func() (*http.Response, []byte) {
		return e.form(e.api, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tk.RefreshToken}, "scope": {"payments"}, "client_id": {clientID}, "client_secret": {secret}})
	}
	e.clk.Add(44 * 24 * time.Hour)
	if resp, b := refresh(); resp.StatusCode != 200 {
		t.Fatalf("day 44: %d %s", resp.StatusCode, b)
	}
	e.clk.Add(24*time.Hour + time.Second)
	resp, b := refresh()
	e.expectRefusal(resp, b, 400, RuleRefresh)
}

func TestRuleSubmitToken(t *testing.T) {
	e := newEnv(t)
	_, tk := e.authorised()
	other := e.created(e.clientToken(), "k-other", strings.Replace(payBody, "4.00", "6.00", 1))
	e.rejected(e.submitCall(tk.AccessToken, other.PaymentID, "s1"), 403, RuleSubmitToken)
}

func TestRuleAuthorized(t *testing.T) {
	e := newEnv(t)
	tok := e.clientToken()
	p1 := e.created(tok, "k1", payBody)
	p2 := e.created(tok, "k2", `{"amountEUR":"7.00","payee":{"iban":"FI4950009420028730","name":"Y"},"authorizationId":"`+p1.AuthorizationID+`"}`)
	// The payer approves only the first: the second stays out.
	q := e.approve(e.authorizeURL(e.requestObject(p1.AuthorizationID, nil)), "approve", p1.PaymentID)
	tk := e.exchange(q.Get("code"))
	e.rejected(e.submitCall(tk.AccessToken, p2.PaymentID, "s1"), 409, RuleAuthorized)
}

func TestRuleSubmitCount(t *testing.T) {
	e := newEnv(t)
	p, tk := e.authorised()
	if resp, b := e.send(e.submitCall(tk.AccessToken, p.PaymentID, "s1")); resp.StatusCode != 201 {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	e.rejected(e.submitCall(tk.AccessToken, p.PaymentID, "s2"), 409, RuleSubmitCount)
}

func TestRuleSubmitBody(t *testing.T) {
	e := newEnv(t)
	p, tk := e.authorised()
	c := e.submitCall(tk.AccessToken, p.PaymentID, "s1")
	c.tamper = func(r *http.Request) {
		r.Body = http.NoBody
		r.ContentLength = 2
		r.Body = nopCloser{strings.NewReader("{}")}
	}
	e.rejected(c, 400, RuleSubmitBody)
	e.rejected(e.submitCall(tk.AccessToken, p.PaymentID, strings.Repeat("s", 65)), 400, RuleSubmitBody)
}

func TestRuleScenario(t *testing.T) {
	e := newEnv(t)
	p, tk := e.authorised()
	for _, sc := range []string{"Teleport", "PaymentFail=Bored", "FutureSimulation=tomorrow", "FutureSimulation=P400D"} {
		c := e.submitCall(tk.AccessToken, p.PaymentID, "s1")
		c.tamper = func(r *http.Request) { r.Header.Set("x-sandbox-scenario", sc) }
		e.rejected(c, 400, RuleScenario)
	}
}

func TestRuleExists(t *testing.T) {
	e := newEnv(t)
	tok := e.clientToken()
	e.rejected(&call{method: "GET", path: "/payments-psd2/v1/sepa-payments/nope", token: tok}, 404, RuleExists)
	e.rejected(&call{method: "GET", path: "/payments-psd2/v1/sepa-payments/nope/submissions/s", token: tok}, 404, RuleExists)
	e.rejected(&call{method: "DELETE", path: "/payments-psd2/v1/authorizations/nope", token: tok}, 404, RuleExists)
}
