package fintecture

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestHappyConnectAndStatus(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	resp, b := e.do(e.connectCall(tok))
	if resp.StatusCode != 200 {
		t.Fatalf("connect %d %s", resp.StatusCode, b)
	}
	a := decode(t, b)
	if a.Meta.SessionID == "" || a.Meta.URL != e.srv.URL+"/connect/"+a.Meta.SessionID {
		t.Fatalf("answer %s", b)
	}
	v := e.hub.Verdicts("3f0c2a56-9a1e-4b7e-8d7e-2c1f5e4b9a10")
	if len(v) != 1 || v[0].Failed() != nil || len(v[0].Checks) < 15 {
		t.Fatalf("verdict %+v", v)
	}
	want := "(request-target): post /pis/v2/connect?redirect_uri=https%3A%2F%2Fwallet.example%2Ffintecture%2Fback&state=st-1\ndate: Sun, 22 Nov 2026 10:00:00 GMT\ndigest: "
	if !strings.HasPrefix(v[0].SigningString, want) {
		t.Fatalf("signing string %q", v[0].SigningString)
	}
	resp, b = e.do(e.statusCall(tok, a.Meta.SessionID))
	if resp.StatusCode != 200 || decode(t, b).Meta.Status != "provider_required" || !strings.Contains(string(b), `"amount":"12.50"`) {
		t.Fatalf("status %d %s", resp.StatusCode, b)
	}
}

// rejected sends c and checks the hub refused it with status under rule (the verdict's first
// failed check).
func (e *env) rejected(c *call, status, rule int) {
	e.t.Helper()
	resp, b := e.do(c)
	if resp.StatusCode != status {
		e.t.Fatalf("HTTP %d %s, want %d", resp.StatusCode, b, status)
	}
	var eb struct {
		Code   string              `json:"code"`
		LogID  string              `json:"log_id"`
		Errors []map[string]string `json:"errors"`
	}
	if json.Unmarshal(b, &eb) != nil || eb.Code == "" || eb.LogID == "" || len(eb.Errors) != 1 {
		e.t.Fatalf("error body %s", b)
	}
	vs := e.hub.Verdicts("")
	f := vs[len(vs)-1].Failed()
	if f == nil || f.Rule != rule {
		e.t.Fatalf("failed check %+v, want rule %d", f, rule)
	}
}

// One negative test per rule (README.md "Rules").

func TestRuleTokenAuth(t *testing.T) {
	e := newEnv(t)
	for _, user := range [][2]string{{appID, "wrong"}, {"other", secret}} {
		req, _ := http.NewRequest("POST", e.srv.URL+"/oauth/accesstoken", strings.NewReader("grant_type=client_credentials&app_id="+appID+"&scope=PIS"))
		req.SetBasicAuth(user[0], user[1])
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 401 {
			t.Fatalf("%v %v", resp, err)
		}
		resp.Body.Close()
	}
}

func TestRuleTokenForm(t *testing.T) {
	e := newEnv(t)
	for _, form := range []string{"grant_type=password&app_id=" + appID + "&scope=PIS", "grant_type=client_credentials&app_id=x&scope=PIS",
		"grant_type=client_credentials&app_id=" + appID + "&scope=AIS", "grant_type=client_credentials&app_id=" + appID} {
		req, _ := http.NewRequest("POST", e.srv.URL+"/oauth/accesstoken", strings.NewReader(form))
		req.SetBasicAuth(appID, secret)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 400 {
			t.Fatalf("%s: %v %v", form, resp.StatusCode, err)
		}
		resp.Body.Close()
		if f := e.hub.Verdicts("")[len(e.hub.Verdicts(""))-1].Failed(); f == nil || f.Rule != RuleTokenForm {
			t.Fatalf("%s: %+v", form, f)
		}
	}
}

func TestRuleBearer(t *testing.T) {
	e := newEnv(t)
	e.rejected(e.connectCall("made-up"), 401, RuleBearer)
	tok := e.token()
	e.clk.Add(time.Hour + time.Second)
	c := e.connectCall(tok)
	e.rejected(c, 401, RuleBearer)
}

func TestRuleSignatureParses(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	for _, sig := range []string{"", `keyId="a",algorithm="rsa-sha256",headers="date"`, `keyId=a,algorithm="rsa-sha256",headers="date",signature="AA=="`,
		`keyId="a",algorithm="rsa-sha256",headers="date",signature="AA==",extra="1"`} {
		c := e.connectCall(tok)
		c.tamper = func(r *http.Request) { r.Header.Set("Signature", sig) }
		e.rejected(c, 401, RuleSignatureParses)
	}
}

func TestRuleKeyID(t *testing.T) {
	e := newEnv(t)
	c := e.connectCall(e.token())
	c.keyID = "another-app"
	e.rejected(c, 401, RuleKeyID)
}

func TestRuleAlgorithm(t *testing.T) {
	e := newEnv(t)
	c := e.connectCall(e.token())
	c.alg = "hs2019"
	e.rejected(c, 401, RuleAlgorithm)
}

func TestRuleSignedHeaders(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	for _, list := range []string{"date digest x-request-id", "(request-target) date x-request-id", "(request-target) date digest x-request-id content-type",
		"date (request-target) digest x-request-id"} {
		c := e.connectCall(tok)
		c.headers = list
		e.rejected(c, 401, RuleSignedHeaders)
	}
	// A GET lists no digest.
	resp, b := e.do(e.connectCall(tok))
	if resp.StatusCode != 200 {
		t.Fatal(resp.StatusCode)
	}
	c := e.statusCall(tok, decode(t, b).Meta.SessionID)
	c.headers = "(request-target) date digest x-request-id"
	c.tamper = func(r *http.Request) {}
	e.rejected(c, 401, RuleSignedHeaders)
}

func TestRuleDate(t *testing.T) {
	e := newEnv(t)
	c := e.connectCall(e.token())
	c.date = e.clk.Now().Format(time.RFC3339)
	e.rejected(c, 400, RuleDate)
}

func TestRuleDateSkew(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	for _, d := range []time.Duration{-31 * time.Second, 31 * time.Second} {
		c := e.connectCall(tok)
		c.date = e.clk.Now().Add(d).Format(http.TimeFormat)
		e.rejected(c, 401, RuleDateSkew)
	}
}

func TestRuleDigest(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	c := e.connectCall(tok)
	c.digest = "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
	e.rejected(c, 400, RuleDigest)
	// The digest is over the raw bytes: the same JSON re-spaced is another body.
	c = e.connectCall(tok)
	c.tamper = func(r *http.Request) {
		spaced := strings.Replace(goodBody, `{"meta":`, `{ "meta":`, 1)
		r.Body = http.NoBody
		r.Body = ioNopCloser(spaced)
		r.ContentLength = int64(len(spaced))
	}
	e.rejected(c, 400, RuleDigest)
}

func TestRuleRequestID(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	for _, id := range []string{"3f0c2a56-9a1e-1b7e-8d7e-2c1f5e4b9a10", "3F0C2A56-9A1E-4B7E-8D7E-2C1F5E4B9A10", "42"} {
		c := e.connectCall(tok)
		c.reqID = id
		e.rejected(c, 400, RuleRequestID)
	}
}

func TestRuleSignature(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	c := e.connectCall(tok)
	c.key = other
	e.rejected(c, 401, RuleSignature)
	// (request-target) covers the raw query: a signature over the path alone fails.
	c = e.connectCall(tok)
	c.sigTarget = "/pis/v2/connect"
	e.rejected(c, 401, RuleSignature)
	// The query re-encoded after signing (the same values) is another request target.
	c = e.connectCall(tok)
	c.tamper = func(r *http.Request) { r.URL.RawQuery = "state=st-1&redirect_uri=" + url.QueryEscape(redirect) }
	e.rejected(c, 401, RuleSignature)
}

func TestRuleReplay(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	if resp, _ := e.do(e.connectCall(tok)); resp.StatusCode != 200 {
		t.Fatal(resp.StatusCode)
	}
	e.rejected(e.connectCall(tok), 409, RuleReplay)
}

func TestRuleState(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	for i, q := range []url.Values{{"redirect_uri": {redirect}}, {"state": {strings.Repeat("s", 513)}, "redirect_uri": {redirect}},
		{"state": {"a", "b"}, "redirect_uri": {redirect}}} {
		c := e.connectCall(tok)
		c.target = "/pis/v2/connect?" + q.Encode()
		c.reqID = "3f0c2a56-9a1e-4b7e-8d7e-2c1f5e4b9a1" + string(rune('a'+i))
		e.rejected(c, 400, RuleState)
	}
}

func TestRuleRedirectURI(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	for _, q := range []url.Values{{"state": {"s"}}, {"state": {"s"}, "redirect_uri": {"https://evil.example/back"}},
		{"state": {"s"}, "redirect_uri": {redirect + "/"}}} {
		c := e.connectCall(tok)
		c.target = "/pis/v2/connect?" + q.Encode()
		e.rejected(c, 400, RuleRedirectURI)
	}
}

func TestRuleOriginURI(t *testing.T) {
	e := newEnv(t)
	c := e.connectCall(e.token())
	c.target += "&origin_uri=" + url.QueryEscape("javascript:alert(1)")
	e.rejected(c, 400, RuleOriginURI)
}

func TestRuleBody(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	for name, body := range map[string]string{
		"not json":      `{"meta":`,
		"unknown field": strings.Replace(goodBody, `"psu_ip"`, `"psu_ipx"`, 1),
		"no email":      strings.Replace(goodBody, `"psu_email":"jane@example.org",`, ``, 1),
		"bad ip":        strings.Replace(goodBody, `203.0.113.7`, `localhost`, 1),
		"type":          strings.Replace(goodBody, `"SEPA"`, `"BNPL"`, 1),
		"no message":    strings.Replace(goodBody, `"communication":"Order 42",`, ``, 1),
		"control":       strings.Replace(goodBody, `Order 42`, `Order\u001b[2J`, 1),
		"trailing":      goodBody + `{}`,
	} {
		c := e.connectCall(tok)
		c.body = body
		t.Run(name, func(t *testing.T) { e.t = t; e.rejected(c, 400, RuleBody) })
	}
}

func TestRuleAmount(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	for _, amt := range []string{`"12.5"`, `12.50`, `"0.00"`, `"-1.00"`, `"1e2"`, `"012.50"`} {
		c := e.connectCall(tok)
		c.body = strings.Replace(goodBody, `"12.50"`, amt, 1)
		if amt == `12.50` {
			e.rejected(c, 400, RuleBody) // a number is not the string the schema wants
			continue
		}
		e.rejected(c, 400, RuleAmount)
	}
	c := e.connectCall(tok)
	c.body = strings.Replace(goodBody, `"EUR"`, `"AED"`, 1)
	e.rejected(c, 400, RuleAmount)
}

func TestRuleBeneficiary(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	for _, iban := range []string{"FR7630006000011234567890188", "FR76 3000 6000 0112 3456 7890 189", "fr7630006000011234567890189"} {
		c := e.connectCall(tok)
		c.body = strings.Replace(goodBody, "FR7630006000011234567890189", iban, 1)
		e.rejected(c, 400, RuleBeneficiary)
	}
}

func TestRuleSession(t *testing.T) {
	e := newEnv(t)
	e.rejected(e.statusCall(e.token(), "nope"), 404, RuleSession)
}
