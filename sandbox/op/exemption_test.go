package op

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// exemptAssertion signs an exemption JWT for authID (mut applied to the claims first).
func (e *env) exemptAssertion(authID string, mut func(map[string]any)) string {
	return e.requestObject(authID, func(c map[string]any) {
		c["response_type"], c["scope"] = "token", "payments"
		delete(c, "redirect_uri")
		c["claims"].(map[string]any)["id_token"].(map[string]any)["acr"] = map[string]any{"essential": true, "values": []string{"urn:openbanking:psd2:ca"}}
		if mut != nil {
			mut(c)
		}
	})
}

func (e *env) jwtBearer(assertion string) (*http.Response, []byte) {
	return e.form(e.api, url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion},
		"response_type": {"token"}, "scope": {"payments"}, "client_id": {clientID}, "client_secret": {secret}})
}

// exempt runs the exemption flow for one payment of amount with the refresh token rt; it
// returns the jwt-bearer answer's status (and submits when it is 200).
func (e *env) exempt(rt, key, amount string) int {
	e.t.Helper()
	tok := e.refreshed(rt)
	p := e.created(tok, key, `{"amountEUR":"`+amount+`","payee":{"iban":"FI4950009420028730","name":"Kiosk"}}`)
	resp, b := e.jwtBearer(e.exemptAssertion(p.AuthorizationID, nil))
	if resp.StatusCode != 200 {
		return resp.StatusCode
	}
	var tk tokens
	json.Unmarshal(b, &tk)
	if st, s := e.submitWith(tk.AccessToken, p.PaymentID, "s1", ""); st != 201 || s.Status != "Accepted" {
		e.t.Fatalf("exempt submit %d %+v", st, s)
	}
	return 200
}

func TestExemptionLimits(t *testing.T) {
	e := newEnv(t)
	_, tk := e.authorised() // the SCA
	// 29.99 is below 30; 30.00 is not.
	if st := e.exempt(tk.RefreshToken, "x1", "30.00"); st != 400 {
		t.Fatalf("30.00: %d", st)
	}
	e.expectLast(RuleExemptLimits)
	for i, a := range []string{"29.99", "29.99", "29.99"} {
		if st := e.exempt(tk.RefreshToken, "y"+a+string(rune('a'+i)), a); st != 200 {
			t.Fatalf("payment %d: %d", i+1, st)
		}
	}
	// 89.97 so far: 10.03 more would reach 100.00, 10.02 stays below.
	if st := e.exempt(tk.RefreshToken, "z1", "10.03"); st != 400 {
		t.Fatalf("cumulative: %d", st)
	}
	if st := e.exempt(tk.RefreshToken, "z2", "10.02"); st != 200 {
		t.Fatalf("just below: %d", st)
	}
	// Four so far; a fifth is allowed (fewer than 5 before it), then no more.
	e2 := newEnv(t)
	_, tk2 := e2.authorised()
	for i := range 5 {
		if st := e2.exempt(tk2.RefreshToken, "c"+string(rune('a'+i)), "1.00"); st != 200 {
			t.Fatalf("count %d: %d", i+1, st)
		}
	}
	if st := e2.exempt(tk2.RefreshToken, "c-six", "1.00"); st != 400 {
		t.Fatalf("sixth: %d", st)
	}
	// A new SCA starts the counters again.
	e2.clk.Add(time.Minute)
	p := e2.created(e2.clientToken(), "sca-2", strings.Replace(payBody, "4.00", "8.00", 1))
	q := e2.approve(e2.authorizeURL(e2.requestObject(p.AuthorizationID, nil)), "approve", p.PaymentID)
	tk3 := e2.exchange(q.Get("code"))
	if st := e2.exempt(tk3.RefreshToken, "after-sca", "1.00"); st != 200 {
		t.Fatalf("after a new SCA: %d", st)
	}
}

func TestExemptionCountsOtherChannels(t *testing.T) {
	e := newEnv(t)
	_, tk := e.authorised()
	e.bank.AddOtherChannelExemptions("sandbox-user", 1, 8000) // 80.00 elsewhere
	if st := e.exempt(tk.RefreshToken, "o1", "20.00"); st != 400 {
		t.Fatalf("%d", st)
	}
	if st := e.exempt(tk.RefreshToken, "o2", "19.99"); st != 200 {
		t.Fatalf("%d", st)
	}
}

func TestRuleExemptCreate(t *testing.T) {
	e := newEnv(t)
	p, tk := e.authorised()
	tok := e.refreshed(tk.RefreshToken)
	e.rejected(e.payCall(tok, "x", `{"amountEUR":"4.00","payee":{"iban":"FI4950009420028730","name":"X"},"authorizationId":"`+p.AuthorizationID+`"}`), 400, RuleExemptCreate)
	e.rejected(e.payCall(tok, "y", `{"amountEUR":"4.00","payee":{"iban":"FI4950009420028730","name":"X"},"count":2}`), 400, RuleExemptCreate)
}

func (e *env) expectLast(rule int) {
	e.t.Helper()
	vs := e.bank.Verdicts()
	if f := vs[len(vs)-1].Failed(); f == nil || f.Rule != rule {
		e.t.Fatalf("failed check %+v, want rule %d", f, rule)
	}
}

func TestRuleAssertion(t *testing.T) {
	e := newEnv(t)
	_, tk := e.authorised()
	tok := e.refreshed(tk.RefreshToken)
	p := e.created(tok, "ex-1", payBody)
	for name, mut := range map[string]func(map[string]any){
		"acr sca": func(c map[string]any) {
			c["claims"].(map[string]any)["id_token"].(map[string]any)["acr"] = map[string]any{"essential": true, "values": []string{"urn:openbanking:psd2:sca"}}
		},
		"response_type": func(c map[string]any) { c["response_type"] = "code" },
		"redirect_uri":  func(c map[string]any) { c["redirect_uri"] = redirect },
		"scope":         func(c map[string]any) { c["scope"] = "openid payments" },
	} {
		resp, b := e.jwtBearer(e.exemptAssertion(p.AuthorizationID, mut))
		if resp.StatusCode != 400 {
			t.Fatalf("%s: %d %s", name, resp.StatusCode, b)
		}
		e.expectLast(RuleAssertion)
	}
	// A default-flow payment (client token) is not an exemption payment.
	q := e.created(e.clientToken(), "def-1", strings.Replace(payBody, "4.00", "5.00", 1))
	resp, _ := e.jwtBearer(e.exemptAssertion(q.AuthorizationID, nil))
	if resp.StatusCode != 400 {
		t.Fatal(resp.StatusCode)
	}
	e.expectLast(RuleAssertion)
}

func TestRuleExemptLimits(t *testing.T) {
	e := newEnv(t)
	_, tk := e.authorised()
	if st := e.exempt(tk.RefreshToken, "big", "45.00"); st != 400 {
		t.Fatal(st)
	}
	e.expectLast(RuleExemptLimits)
}
