package op

import (
	"encoding/json"
	"testing"
)

const (
	ownA     = "FI2112345600000785" // the payer's
	ownB     = "FI8679600000000012" // the payer's too
	notOwned = "FI1011112222333344" // someone else's
)

// exemptTransfer runs the exemption flow for a transfer of amount from payer to payee (payer ""
// names none) and returns the jwt-bearer answer's status; a 200 is submitted too.
func (e *env) exemptTransfer(rt, key, amount, payer, payee string) int {
	e.t.Helper()
	tok := e.refreshed(rt)
	body := `{"amountEUR":"` + amount + `","payee":{"iban":"` + payee + `","name":"Me"}`
	if payer != "" {
		body += `,"payer":{"iban":"` + payer + `"}`
	}
	p := e.created(tok, key, body+`}`)
	resp, b := e.jwtBearer(e.exemptAssertion(p.AuthorizationID, nil))
	if resp.StatusCode != 200 {
		return resp.StatusCode
	}
	var tk tokens
	json.Unmarshal(b, &tk)
	if st, s := e.submitWith(tk.AccessToken, p.PaymentID, "s1", ""); st != 201 || s.Status != "Accepted" {
		e.t.Fatalf("submit %d %+v", st, s)
	}
	return 200
}

// A transfer between the payer's own accounts skips SCA whatever its amount, and does not count
// toward the exemption limits.
func TestExemptionOwnAccountTransfer(t *testing.T) {
	e := newEnv(t)
	e.bank.SetPayerAccounts("sandbox-user", ownA, ownB)
	_, tk := e.authorised()
	if st := e.exemptTransfer(tk.RefreshToken, "own-1", "500.00", ownA, ownB); st != 200 {
		t.Fatalf("own-account transfer: %d", st)
	}
	e.bank.mu.Lock()
	c := e.bank.st.Exempt["sandbox-user"]
	e.bank.mu.Unlock()
	if c != nil && (c.Count != 0 || c.SumCents != 0) {
		t.Fatalf("the own-account transfer was counted: %+v", c)
	}
	// Five small exemption payments are still allowed after it.
	for i := range 5 {
		if st := e.exemptTransfer(tk.RefreshToken, "small-"+string(rune('a'+i)), "1.00", ownA, notOwned); st != 200 {
			t.Fatalf("small %d: %d", i+1, st)
		}
	}
	for _, v := range e.bank.Verdicts() {
		if f := v.Failed(); f != nil {
			t.Fatalf("%s failed %+v", v.Endpoint, f)
		}
	}
}

// An own-account claim for a payee that is not the payer's: the limits apply, and 500.00 is
// refused.
func TestExemptionOwnAccountClaimForAnotherPayee(t *testing.T) {
	e := newEnv(t)
	e.bank.SetPayerAccounts("sandbox-user", ownA, ownB)
	_, tk := e.authorised()
	if st := e.exemptTransfer(tk.RefreshToken, "x1", "500.00", ownA, notOwned); st != 400 {
		t.Fatalf("%d", st)
	}
	e.expectLast(RuleExemptLimits)
	// Without the payer account named, the bank cannot see a transfer between own accounts.
	if st := e.exemptTransfer(tk.RefreshToken, "x2", "500.00", "", ownB); st != 400 {
		t.Fatalf("%d", st)
	}
	e.expectLast(RuleExemptLimits)
	// The same account on both sides is no transfer between two accounts.
	if st := e.exemptTransfer(tk.RefreshToken, "x3", "500.00", ownA, ownA); st != 400 {
		t.Fatalf("%d", st)
	}
	e.expectLast(RuleExemptLimits)
	// A bank that does not know the payer's accounts grants no own-account exemption.
	e2 := newEnv(t)
	_, tk2 := e2.authorised()
	if st := e2.exemptTransfer(tk2.RefreshToken, "y1", "500.00", ownA, ownB); st != 400 {
		t.Fatalf("%d", st)
	}
	e2.expectLast(RuleExemptLimits)
}

// The payer account of an exemption payment must be the payer's own (OP's condition 2),
// whatever the amount.
func TestRuleExemptPayer(t *testing.T) {
	e := newEnv(t)
	e.bank.SetPayerAccounts("sandbox-user", ownA, ownB)
	_, tk := e.authorised()
	if st := e.exemptTransfer(tk.RefreshToken, "p1", "5.00", notOwned, ownB); st != 400 {
		t.Fatalf("%d", st)
	}
	e.expectLast(RuleExemptPayer)
}
