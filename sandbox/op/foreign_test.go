package op

import (
	"encoding/json"
	"strings"
	"testing"
)

// A foreign payment: a US payee at a US bank, in USD.
const foreignBody = `{"detailsOfCharges":"SHA","paymentOrder":"NORM","amount":"125.50","currency":"USD",` +
	`"payee":{"bankAccount":{"id":"GB29NWBK60161331926819","schemeName":"IBAN"},"name":"Acme Corp",` +
	`"financialInstitution":{"bic":"CHASUS33"},"foreignAddress":{"addressLine1":"1 Main Street","addressLine2":"Springfield","country":"US"}},` +
	`"message":"invoice 42"}`

func (e *env) foreignCall(token, key, body string) *call {
	return &call{method: "POST", path: "/payments-psd2/v1/foreign-payments", body: []byte(body), token: token, key: key}
}

// foreignWith is foreignBody with one field changed: path is dot-separated, value any JSON value
// (nil deletes the field).
func foreignWith(t *testing.T, path string, value any) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(foreignBody), &m); err != nil {
		t.Fatal(err)
	}
	keys := strings.Split(path, ".")
	cur := m
	for _, k := range keys[:len(keys)-1] {
		next, ok := cur[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[k] = next
		}
		cur = next
	}
	if value == nil {
		delete(cur, keys[len(keys)-1])
	} else {
		cur[keys[len(keys)-1]] = value
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func TestForeignPaymentDefaultFlow(t *testing.T) {
	e := newEnv(t)
	resp, b := e.send(e.foreignCall(e.clientToken(), "f-1", foreignBody))
	var p struct {
		PaymentID, AuthorizationID, Status, Amount, Currency, PaymentType string
		Count                                                             int
	}
	if resp.StatusCode != 201 || json.Unmarshal(b, &p) != nil || p.Status != "Unauthorized" || p.Amount != "125.50" || p.Currency != "USD" ||
		p.PaymentType != "ForeignPayment" || p.Count != 1 {
		t.Fatalf("create %d %s", resp.StatusCode, b)
	}
	q := e.approve(e.authorizeURL(e.requestObject(p.AuthorizationID, nil)), "approve", p.PaymentID)
	tk := e.exchange(q.Get("code"))
	sub := &call{method: "PUT", path: "/payments-psd2/v1/foreign-payments/" + p.PaymentID + "/submissions/s-1", token: tk.AccessToken}
	resp, b = e.send(sub)
	if resp.StatusCode != 201 || decodeSub(t, b).Status != "Accepted" {
		t.Fatalf("submit %d %s", resp.StatusCode, b)
	}
	resp, b = e.send(&call{method: "GET", path: "/payments-psd2/v1/foreign-payments/" + p.PaymentID + "/submissions/s-1", token: e.clientToken()})
	if resp.StatusCode != 200 || decodeSub(t, b).Status != "Submitted" || e.bank.PaymentDebits(p.PaymentID) != 1 {
		t.Fatalf("status %d %s", resp.StatusCode, b)
	}
	for _, v := range e.bank.Verdicts() {
		if f := v.Failed(); f != nil {
			t.Fatalf("%s failed %+v", v.Endpoint, f)
		}
	}
}

// A foreign payment is read, revoked and submitted under its own path only, and a SEPA payment
// not under /foreign-payments.
func TestRuleExistsUnderItsOwnProduct(t *testing.T) {
	e := newEnv(t)
	tok := e.clientToken()
	resp, b := e.send(e.foreignCall(tok, "f-1", foreignBody))
	var f payment
	if resp.StatusCode != 201 || json.Unmarshal(b, &f) != nil {
		t.Fatalf("create %d %s", resp.StatusCode, b)
	}
	s := e.created(tok, "s-1", payBody)
	e.rejected(&call{method: "GET", path: "/payments-psd2/v1/sepa-payments/" + f.PaymentID, token: tok}, 404, RuleExists)
	e.rejected(&call{method: "DELETE", path: "/payments-psd2/v1/sepa-payments/" + f.PaymentID, token: tok}, 404, RuleExists)
	e.rejected(&call{method: "GET", path: "/payments-psd2/v1/foreign-payments/" + s.PaymentID, token: tok}, 404, RuleExists)
	e.rejected(&call{method: "DELETE", path: "/payments-psd2/v1/foreign-payments/" + s.PaymentID, token: tok}, 404, RuleExists)
	resp, b = e.send(&call{method: "GET", path: "/payments-psd2/v1/foreign-payments/" + f.PaymentID, token: tok})
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"paymentType":"ForeignPayment"`) {
		t.Fatalf("read %d %s", resp.StatusCode, b)
	}
}

func TestRuleBundleMix(t *testing.T) {
	e := newEnv(t)
	tok := e.clientToken()
	resp, b := e.send(e.foreignCall(tok, "f-1", foreignBody))
	var f payment
	if resp.StatusCode != 201 || json.Unmarshal(b, &f) != nil {
		t.Fatalf("create %d %s", resp.StatusCode, b)
	}
	// A SEPA payment into the foreign payment's authorization.
	e.rejected(e.payCall(tok, "s-1", `{"amountEUR":"4.00","payee":{"iban":"FI4950009420028730","name":"X"},"authorizationId":"`+f.AuthorizationID+`"}`),
		409, RuleBundleMix)
	// A foreign payment into a SEPA bundle: its request has no authorizationId.
	s := e.created(tok, "s-2", payBody)
	e.rejected(e.foreignCall(tok, "f-2", foreignWith(t, "authorizationId", s.AuthorizationID)), 400, RuleBody)
}

func TestRuleForeignBody(t *testing.T) {
	e := newEnv(t)
	tok := e.clientToken()
	for i, body := range []string{
		foreignWith(t, "currency", nil),
		foreignWith(t, "message", nil),
		foreignWith(t, "payee.foreignAddress", nil),
		foreignWith(t, "payee.financialInstitution", nil),
		foreignWith(t, "payee.bankAccount.id", nil),
		foreignWith(t, "amountEUR", "4.00"),
		foreignWith(t, "amount", 125.5),
	} {
		e.rejected(e.foreignCall(tok, "k"+string(rune('a'+i)), body), 400, RuleBody)
	}
}

func TestRuleExemptCreateForeign(t *testing.T) {
	e := newEnv(t)
	_, tk := e.authorised()
	tok := e.refreshed(tk.RefreshToken)
	e.rejected(e.foreignCall(tok, "x", foreignBody), 400, RuleExemptCreate)
}

func TestRuleForeignAmount(t *testing.T) {
	e := newEnv(t)
	tok := e.clientToken()
	for i, body := range []string{
		foreignWith(t, "amount", "0.00"), foreignWith(t, "amount", "-5"), foreignWith(t, "amount", "1.234"), foreignWith(t, "amount", "012"),
		foreignWith(t, "currency", "XYZ"), foreignWith(t, "currency", "usd"), foreignWith(t, "currency", "JPY"),
	} {
		e.rejected(e.foreignCall(tok, "k"+string(rune('a'+i)), body), 400, RuleForeignAmount)
	}
}

func TestRuleForeignAccount(t *testing.T) {
	e := newEnv(t)
	tok := e.clientToken()
	for i, body := range []string{
		foreignWith(t, "payee.bankAccount.id", "GB29NWBK60161331926818"), // check digits wrong
		foreignWith(t, "payee.bankAccount.schemeName", "ACCT"),
		foreignWith(t, "payee.bankAccount.issuer", "NOTABIC"),
		foreignWith(t, "payer", map[string]any{"iban": "DE89370400440532013000"}),
		func() string {
			b := foreignWith(t, "payee.bankAccount.schemeName", "BBAN")
			var m map[string]any
			json.Unmarshal([]byte(b), &m)
			m["payee"].(map[string]any)["bankAccount"].(map[string]any)["id"] = "12-34"
			out, _ := json.Marshal(m)
			return string(out)
		}(),
	} {
		e.rejected(e.foreignCall(tok, "k"+string(rune('a'+i)), body), 400, RuleForeignAccount)
	}
}

func TestRuleForeignBank(t *testing.T) {
	e := newEnv(t)
	tok := e.clientToken()
	for i, body := range []string{
		foreignWith(t, "payee.financialInstitution", map[string]any{}), // CreditorBicOrAddress
		foreignWith(t, "payee.financialInstitution", map[string]any{"name": "Some bank"}),
		foreignWith(t, "payee.financialInstitution.bic", "CHASU33"),
		foreignWith(t, "payee.financialInstitution.bic", "CHASXX33"), // no such country
		foreignWith(t, "payee.financialInstitution.clearingSystemId", "USABA021000021"),
		foreignWith(t, "payee.financialInstitution", map[string]any{"foreignBankAddress": map[string]any{"address": "270 Park Ave", "country": "US"}}),
	} {
		e.rejected(e.foreignCall(tok, "k"+string(rune('a'+i)), body), 400, RuleForeignBank)
	}
	// A bank named by its address alone (no BIC, outside the EEA) is taken.
	ok := foreignWith(t, "payee.financialInstitution", map[string]any{"foreignBankAddress": map[string]any{"address": "270 Park Ave", "city": "New York", "country": "US"}})
	ok = strings.Replace(ok, "GB29NWBK60161331926819", "12345678901", 1)
	ok = strings.Replace(ok, `"schemeName":"IBAN"`, `"schemeName":"BBAN"`, 1)
	if resp, b := e.send(e.foreignCall(tok, "ok", ok)); resp.StatusCode != 201 {
		t.Fatalf("bank by address: %d %s", resp.StatusCode, b)
	}
}

func TestRuleForeignAddress(t *testing.T) {
	e := newEnv(t)
	tok := e.clientToken()
	for i, body := range []string{
		foreignWith(t, "payee.foreignAddress.country", "XX"),
		foreignWith(t, "payee.foreignAddress.country", nil),
		foreignWith(t, "payee.foreignAddress.addressLine1", "   "),
		foreignWith(t, "payee.foreignAddress.addressLine2", strings.Repeat("a", 36)),
		// A German payee (EU): an IBAN and a BIC are required.
		func() string {
			b := foreignWith(t, "payee.foreignAddress.country", "DE")
			return strings.Replace(b, `"financialInstitution":{"bic":"CHASUS33"}`, `"financialInstitution":{"clearingSystemId":"DEBLZ37040044"}`, 1)
		}(),
	} {
		e.rejected(e.foreignCall(tok, "k"+string(rune('a'+i)), body), 400, RuleForeignAddress)
	}
}

func TestRuleForeignTexts(t *testing.T) {
	e := newEnv(t)
	tok := e.clientToken()
	for i, body := range []string{
		foreignWith(t, "payee.name", ""),
		foreignWith(t, "payee.name", "A\u202eB"),
		foreignWith(t, "message", strings.Repeat("m", 141)),
		foreignWith(t, "detailsOfCharges", "BEN"),
		foreignWith(t, "paymentOrder", "SEPA"),
		foreignWith(t, "exchangeRateReference", "has space"),
		foreignWith(t, "count", 2),
	} {
		e.rejected(e.foreignCall(tok, "k"+string(rune('a'+i)), body), 400, RuleForeignTexts)
	}
}
