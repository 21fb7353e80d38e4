package op

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/payterm/payterm/sandbox/op/ojws"
)

func (e *env) submitWith(token, pid, sid, scenario string) (int, submission) {
	e.t.Helper()
	c := e.submitCall(token, pid, sid)
	if scenario != "" {
		c.tamper = func(r *http.Request) { r.Header.Set("x-sandbox-scenario", scenario) }
	}
	resp, b := e.send(c)
	return resp.StatusCode, decodeSub(e.t, b)
}

func (e *env) readSub(pid, sid string) submission {
	e.t.Helper()
	resp, b := e.send(&call{method: "GET", path: "/payments-psd2/v1/sepa-payments/" + pid + "/submissions/" + sid, token: e.clientToken()})
	if resp.StatusCode != 200 {
		e.t.Fatalf("read %d %s", resp.StatusCode, b)
	}
	return decodeSub(e.t, b)
}

func TestScenarios(t *testing.T) {
	for _, c := range []struct {
		scenario, first, later string
		debits                 int
	}{
		{"PaymentSubmitSuccess", "Accepted", "Submitted", 1},
		{"PaymentSubmitFailed", "Accepted", "Rejected", 0},
		{"InsufficientFunds", "Error", "Error", 0},
		{"PaymentSystemUnavailable", "Pending", "Pending", 0},
		{"PaymentFail", "Rejected", "Rejected", 0},
		{"PaymentFail=AccountClosed", "Rejected", "Rejected", 0},
		{"FutureSimulation=PT1H", "Accepted", "Accepted", 0},
	} {
		e := newEnv(t)
		p, tk := e.authorised()
		st, s := e.submitWith(tk.AccessToken, p.PaymentID, "s1", c.scenario)
		if st != 201 || s.Status != c.first {
			t.Fatalf("%s: %d %+v", c.scenario, st, s)
		}
		if s := e.readSub(p.PaymentID, "s1"); s.Status != c.later || e.bank.PaymentDebits(p.PaymentID) != c.debits {
			t.Fatalf("%s: later %+v debits %d", c.scenario, s, e.bank.PaymentDebits(p.PaymentID))
		}
	}
}

func TestFutureSimulationSettlesOnTheClock(t *testing.T) {
	e := newEnv(t)
	p, tk := e.authorised()
	e.submitWith(tk.AccessToken, p.PaymentID, "s1", "FutureSimulation=PT1H")
	e.clk.Add(59 * time.Minute)
	if s := e.readSub(p.PaymentID, "s1"); s.Status != "Accepted" {
		t.Fatalf("%+v", s)
	}
	e.clk.Add(time.Minute)
	if s := e.readSub(p.PaymentID, "s1"); s.Status != "Submitted" || e.bank.PaymentDebits(p.PaymentID) != 1 {
		t.Fatalf("%+v", s)
	}
}

// A Pending submission is processed again under the same submissionId until midnight in
// Helsinki, and becomes Error after it.
func TestPendingUntilHelsinkiMidnight(t *testing.T) {
	e := newEnv(t) // 10:00 UTC = 12:00 Helsinki
	p, tk := e.authorised()
	e.submitWith(tk.AccessToken, p.PaymentID, "s1", "PaymentSystemUnavailable")
	e.clk.Add(11*time.Hour + 59*time.Minute) // 23:59 Helsinki
	tk2 := e.refreshed(tk.RefreshToken)
	if st, s := e.submitWith(tk2, p.PaymentID, "s1", ""); st != 200 || s.Status != "Accepted" {
		t.Fatalf("before midnight: %d %+v", st, s)
	}
	if s := e.readSub(p.PaymentID, "s1"); s.Status != "Submitted" || e.bank.PaymentDebits(p.PaymentID) != 1 {
		t.Fatalf("%+v", s)
	}

	e2 := newEnv(t)
	p2, tk3 := e2.authorised()
	e2.submitWith(tk3.AccessToken, p2.PaymentID, "s1", "PaymentSystemUnavailable")
	e2.clk.Add(12*time.Hour + time.Minute) // 00:01 Helsinki, the next day
	tk4 := e2.refreshed(tk3.RefreshToken)
	if st, s := e2.submitWith(tk4, p2.PaymentID, "s1", ""); st != 200 || s.Status != "Error" || e2.bank.PaymentDebits(p2.PaymentID) != 0 {
		t.Fatalf("after midnight: %d %+v", st, s)
	}
}

func (e *env) refreshed(rt string) string {
	e.t.Helper()
	resp, b := e.form(e.api, map[string][]string{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "scope": {"payments"}, "client_id": {clientID}, "client_secret": {secret}})
	var tk tokens
	if resp.StatusCode != 200 || json.Unmarshal(b, &tk) != nil {
		e.t.Fatalf("refresh %d %s", resp.StatusCode, b)
	}
	return tk.AccessToken
}

func TestPagePicksPaymentsAndRejectAll(t *testing.T) {
	e := newEnv(t)
	tok := e.clientToken()
	p1 := e.created(tok, "k1", payBody)
	p2 := e.created(tok, "k2", `{"amountEUR":"9.00","payee":{"iban":"FI4950009420028730","name":"Y"},"authorizationId":"`+p1.AuthorizationID+`"}`)
	if p2.AuthorizationID != p1.AuthorizationID {
		t.Fatal("not one bundle")
	}
	q := e.approve(e.authorizeURL(e.requestObject(p1.AuthorizationID, nil)), "approve", p2.PaymentID)
	if q.Get("code") == "" || q.Get("state") != "st-1_abc" {
		t.Fatalf("%v", q)
	}
	for id, want := range map[string]string{p1.PaymentID: "Rejected", p2.PaymentID: "Authorized"} {
		_, b := e.send(&call{method: "GET", path: "/payments-psd2/v1/sepa-payments/" + id, token: tok})
		var p payment
		json.Unmarshal(b, &p)
		if p.Status != want {
			t.Fatalf("%s: %s", id, b)
		}
	}
	e2 := newEnv(t)
	p := e2.created(e2.clientToken(), "k1", payBody)
	q = e2.approve(e2.authorizeURL(e2.requestObject(p.AuthorizationID, nil)), "reject")
	if q.Get("error") != "access_denied" || q.Get("code") != "" || q.Get("state") != "st-1_abc" {
		t.Fatalf("%v", q)
	}
}

func TestRevokeBundleRevokesEveryPayment(t *testing.T) {
	e := newEnv(t)
	tok := e.clientToken()
	p1 := e.created(tok, "k1", payBody)
	p2 := e.created(tok, "k2", `{"amountEUR":"9.00","payee":{"iban":"FI4950009420028730","name":"Y"},"authorizationId":"`+p1.AuthorizationID+`"}`)
	resp, b := e.send(&call{method: "DELETE", path: "/payments-psd2/v1/authorizations/" + p1.AuthorizationID, token: tok})
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	for _, id := range []string{p1.PaymentID, p2.PaymentID} {
		_, b := e.send(&call{method: "GET", path: "/payments-psd2/v1/sepa-payments/" + id, token: tok})
		var p payment
		json.Unmarshal(b, &p)
		if p.Status != "Revoked" {
			t.Fatalf("%s", b)
		}
	}
}

func TestStateSurvivesARestart(t *testing.T) {
	e := newEnv(t)
	p, tk := e.authorised()
	jwks := string(e.bank.JWKS())
	e.startBank()
	if string(e.bank.JWKS()) != jwks {
		t.Fatal("the bank's key changed over a restart")
	}
	// The refresh token (persisted) still works.
	tok := e.refreshed(tk.RefreshToken)
	if st, s := e.submitWith(tok, p.PaymentID, "s1", ""); st != 201 || s.Status != "Accepted" {
		t.Fatalf("%d %+v", st, s)
	}
	// The idempotency key is remembered: the payment moved on, so it is a duplicate.
	e.rejected(e.payCall(e.clientToken(), "key-1", payBody), 409, RuleDuplicate)
}

func TestDroppedAnswerStillProcessed(t *testing.T) {
	e := newEnv(t)
	tok := e.clientToken()
	e.bank.DropNextAnswers(1)
	req, _ := http.NewRequest("POST", e.srv.URL+"/payments-psd2/v1/sepa-payments", nil)
	sig, _ := e.sign.Detached([]byte(payBody))
	req.Body = nopCloser{stringsReader(payBody)}
	req.ContentLength = int64(len(payBody))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("x-api-key", apiKey)
	req.Header.Set("x-jws-signature", sig)
	req.Header.Set("x-idempotency-key", "k-drop")
	if _, err := e.api.Do(req); err == nil {
		t.Fatal("the answer was not dropped")
	}
	if e.bank.Payments() != 1 {
		t.Fatal("the payment was not made")
	}
	// The resend under the same key answers with that payment.
	p := e.created(tok, "k-drop", payBody)
	if e.bank.Payments() != 1 || p.Status != "Unauthorized" {
		t.Fatalf("%+v", p)
	}
}

func TestOjwsHalfHashVector(t *testing.T) {
	if got := ojws.HalfHash("bb16b497-097f-4528-9380-4305eb760232"); got != "mHx3-CzvXrrDYpBNouXYdQ" {
		t.Fatal(got)
	}
}

// The payer's access token outlives a restart of the bank (as at OP: an exemption grant's token
// has no refresh token to renew it with); the client's token does not (the client logs in again
// with its credentials).
func TestPayerTokenSurvivesARestartClientTokenDoesNot(t *testing.T) {
	e := newEnv(t)
	p, tk := e.authorised()
	client := e.clientToken()
	e.startBank()
	e.rejected(e.payCall(client, "key-after-restart", payBody), 401, RuleBearer)
	if st, s := e.submitWith(tk.AccessToken, p.PaymentID, "s1", ""); st != 201 || s.Status != "Accepted" {
		t.Fatalf("%d %+v", st, s)
	}
}
