package sandbox

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
)

// rsCase is one mistake on POST /payments: mutate the body claims, the PII or the headers.
type rsCase struct {
	name    string
	claims  func(c *tpp, m map[string]any)        // change the signed body claims
	pii     func(c *tpp, p map[string]any)        // change the payment PII before sealing
	headers func(h http.Header)                   // change the headers
	body    func(c *tpp, m map[string]any) string // replace the whole body
	status  int
	code    string
	rule    int
}

func msgData(m map[string]any) map[string]any {
	return m["message"].(map[string]any)["Data"].(map[string]any)
}

func authOf(p map[string]any) map[string]any {
	return p["Risk"].(map[string]any)["DebtorIndicators"].(map[string]any)["Authentication"].(map[string]any)
}

// TestRSPaymentRejects covers rules 27–32 and the Risk SCA proof: one mistake per case, each
// asserting status, message.Errors code and the verdict's rule.
func TestRSPaymentRejects(t *testing.T) {
	b := newBank(t, nil)
	c := newTPP(t, b)
	other := testKey(t)
	single := c.authorizedConsent(consentPII(creditor(testIBAN, "Ivan England")))
	second := c.authorizedConsent(consentPII())
	now := func() int64 { return b.Now().Unix() }
	cases := []rsCase{
		// Rule 27: JOSE and claims.
		{name: "body is not a JWS", body: func(*tpp, map[string]any) string { return `{"message":{}}` }, status: 400, code: "JWS.Malformed", rule: 27},
		{name: "body RS256", body: func(c *tpp, m map[string]any) string { return signWith(t, c.sig, c.sigKID, jose.RS256, m) }, status: 400, code: "JWS.InvalidHeader", rule: 27},
		{name: "body signed by another key", body: func(c *tpp, m map[string]any) string { return signWith(t, other, c.sigKID, jose.PS256, m) }, status: 400, code: "JWS.InvalidSignature", rule: 27},
		{name: "iss not the client", claims: func(_ *tpp, m map[string]any) { m["iss"] = "someone" }, status: 400, code: "JWS.InvalidClaim", rule: 27},
		{name: "no nbf", claims: func(_ *tpp, m map[string]any) { delete(m, "nbf") }, status: 400, code: "JWS.InvalidClaim", rule: 27},
		{name: "exp − nbf over 600s", claims: func(_ *tpp, m map[string]any) { m["exp"] = now() + 900 }, status: 400, code: "JWS.InvalidClaim", rule: 27},
		{name: "expired body", claims: func(_ *tpp, m map[string]any) { m["exp"] = now() - 60; m["nbf"] = now() - 300; m["iat"] = now() - 300 }, status: 400, code: "JWS.InvalidClaim", rule: 27},
		{name: "aud without the issuer", claims: func(_ *tpp, m map[string]any) { m["aud"] = []string{"https://rs.example"} }, status: 400, code: "JWS.InvalidClaim", rule: 27},
		{name: "no message envelope", claims: func(_ *tpp, m map[string]any) { m["Data"] = msgData(m); delete(m, "message") }, status: 400, code: "JWS.InvalidClaim", rule: 27},
		{name: "unknown message field", claims: func(_ *tpp, m map[string]any) { msgData(m)["Extra"] = true }, status: 400, code: "Body.InvalidFormat", rule: 27},
		// Rule 28: headers.
		{name: "idempotency key over 40", headers: func(h http.Header) { h.Set("x-idempotency-key", strings.Repeat("k", 41)) }, status: 400, code: "Body.InvalidFormat", rule: 28},
		{name: "idempotency key with a space", headers: func(h http.Header) { h.Set("x-idempotency-key", "a b") }, status: 400, code: "Body.InvalidFormat", rule: 28},
		{name: "no idempotency key", headers: func(h http.Header) { h.Del("x-idempotency-key") }, status: 400, code: "Body.InvalidFormat", rule: 28},
		{name: "interaction id not a UUID", headers: func(h http.Header) { h.Set("x-fapi-interaction-id", "123") }, status: 400, code: "Body.InvalidFormat", rule: 28},
		{name: "auth date not RFC 7231", headers: func(h http.Header) { h.Set("x-fapi-auth-date", time.Now().UTC().Format(time.RFC3339)) }, status: 400, code: "Body.InvalidFormat", rule: 28},
		{name: "auth date in the future", headers: func(h http.Header) {
			h.Set("x-fapi-auth-date", time.Now().UTC().Add(time.Hour).Format(http.TimeFormat))
		}, status: 400, code: "Body.InvalidFormat", rule: 28},
		{name: "customer IP not an IP", headers: func(h http.Header) { h.Set("x-fapi-customer-ip-address", "localhost") }, status: 400, code: "Body.InvalidFormat", rule: 28},
		{name: "no customer IP", headers: func(h http.Header) { h.Del("x-fapi-customer-ip-address") }, status: 400, code: "Body.InvalidFormat", rule: 28},
		// Rule 29.
		{name: "ConsentId of another consent", claims: func(_ *tpp, m map[string]any) { msgData(m)["ConsentId"] = second.id }, status: 400, code: "Consent.Invalid", rule: 29},
		// Rule 30.
		{name: "amount with one decimal", claims: func(_ *tpp, m map[string]any) {
			msgData(m)["Instruction"] = map[string]any{"Amount": map[string]any{"Amount": "1.5", "Currency": "AED"}}
		}, status: 400, code: "Body.InvalidFormat", rule: 30},
		{name: "amount zero", claims: func(_ *tpp, m map[string]any) {
			msgData(m)["Instruction"] = map[string]any{"Amount": map[string]any{"Amount": "0.00", "Currency": "AED"}}
		}, status: 400, code: "Body.InvalidFormat", rule: 30},
		{name: "currency USD", claims: func(_ *tpp, m map[string]any) {
			msgData(m)["Instruction"] = map[string]any{"Amount": map[string]any{"Amount": "1.00", "Currency": "USD"}}
		}, status: 400, code: "Body.InvalidFormat", rule: 30},
		{name: "CurrencyRequest present", claims: func(_ *tpp, m map[string]any) { msgData(m)["CurrencyRequest"] = map[string]any{} }, status: 400, code: "Body.InvalidFormat", rule: 30},
		{name: "billing type unknown", claims: func(_ *tpp, m map[string]any) { msgData(m)["OpenFinanceBilling"] = map[string]any{"Type": "Gift"} }, status: 400, code: "Body.InvalidFormat", rule: 30},
		{name: "MerchantId too short", claims: func(_ *tpp, m map[string]any) {
			msgData(m)["OpenFinanceBilling"] = map[string]any{"Type": "Collection", "MerchantId": "M1"}
		}, status: 400, code: "Body.InvalidFormat", rule: 30},
		// Rule 15 at payment time.
		{name: "purpose code not AANI", claims: func(_ *tpp, m map[string]any) { msgData(m)["PaymentPurposeCode"] = "ZZZ" }, status: 400, code: "Body.InvalidFormat", rule: 15},
		// Rule 31: payment PII.
		{name: "no PII", claims: func(_ *tpp, m map[string]any) { delete(msgData(m), "PersonalIdentifiableInformation") }, status: 400, code: "Body.InvalidFormat", rule: 31},
		{name: "PII with RSA-OAEP", claims: func(c *tpp, m map[string]any) {
			msgData(m)["PersonalIdentifiableInformation"] = c.sealWith(c.sign(paymentPII(c, creditor(testIBAN, "Ivan England"))), jose.RSA_OAEP, c.encKey, c.encKID)
		}, status: 400, code: "JWE.InvalidHeader", rule: 31},
		{name: "PII for another key", claims: func(c *tpp, m map[string]any) {
			msgData(m)["PersonalIdentifiableInformation"] = c.sealWith(c.sign(paymentPII(c, creditor(testIBAN, "Ivan England"))), jose.RSA_OAEP_256, &other.PublicKey, c.encKID)
		}, status: 400, code: "JWE.DecryptionError", rule: 31},
		{name: "PII in the consent shape", pii: func(_ *tpp, p map[string]any) {
			p["Initiation"] = map[string]any{"Creditor": []any{creditor(testIBAN, "Ivan England")}}
		}, status: 400, code: "Resource.InvalidFormat", rule: 31},
		{name: "PII with a DebtorAccount", pii: func(_ *tpp, p map[string]any) {
			p["Initiation"].(map[string]any)["DebtorAccount"] = map[string]any{"SchemeName": "IBAN", "Identification": testIBAN2}
		}, status: 400, code: "Resource.InvalidFormat", rule: 31},
		// Rule 19 at payment time.
		{name: "creditor IBAN checksum", pii: func(_ *tpp, p map[string]any) { p["Initiation"] = creditor("AE070331234567890123450", "Ivan England") }, status: 400, code: "Resource.InvalidFormat", rule: 19},
		// Risk must prove the TPP's SCA.
		{name: "AuthenticationFlow Other", pii: func(_ *tpp, p map[string]any) { authOf(p)["AuthenticationFlow"] = "Other" }, status: 400, code: "Consent.BusinessRuleViolation", rule: 20},
		{name: "ChallengeOutcome Fail", pii: func(_ *tpp, p map[string]any) { authOf(p)["ChallengeOutcome"] = "Fail" }, status: 400, code: "Consent.BusinessRuleViolation", rule: 20},
		{name: "one factor category", pii: func(_ *tpp, p map[string]any) { delete(authOf(p), "KnowledgeFactor") }, status: 400, code: "Consent.BusinessRuleViolation", rule: 20},
		{name: "stale ChallengeDateTime", pii: func(c *tpp, p map[string]any) {
			authOf(p)["ChallengeDateTime"] = c.bank.Now().Add(-10 * time.Minute).UTC().Format(time.RFC3339)
		}, status: 400, code: "Consent.BusinessRuleViolation", rule: 20},
		// Rule 32: creditor match (single beneficiary).
		{name: "creditor name differs by a space", pii: func(_ *tpp, p map[string]any) { p["Initiation"] = creditor(testIBAN, "Ivan  England") }, status: 400, code: "Consent.BusinessRuleViolation", rule: 32},
		{name: "creditor name in ar instead of en", pii: func(_ *tpp, p map[string]any) {
			p["Initiation"] = map[string]any{"CreditorAccount": map[string]any{"SchemeName": "IBAN", "Identification": testIBAN, "Name": map[string]any{"ar": "Ivan England"}}}
		}, status: 400, code: "Consent.BusinessRuleViolation", rule: 32},
		{name: "another creditor", pii: func(_ *tpp, p map[string]any) { p["Initiation"] = creditor(testIBAN2, "Ivan England") }, status: 400, code: "Consent.BusinessRuleViolation", rule: 32},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pii := paymentPII(c, creditor(testIBAN, "Ivan England"))
			if tc.pii != nil {
				tc.pii(c, pii)
			}
			claims := c.paymentClaims(single.id, "1.00", pii)
			if tc.claims != nil {
				tc.claims(c, claims)
			}
			body := ""
			if tc.body != nil {
				body = tc.body(c, claims)
			} else {
				body = c.sign(claims)
			}
			h := paymentHeaders(uuid.NewString())
			if tc.headers != nil {
				tc.headers(h)
			}
			r := c.rs(http.MethodPost, "/payments", single.access, h, body)
			if r.Status != tc.status || r.errorCode() != tc.code {
				t.Fatalf("got %d %s %v, want %d %s", r.Status, r.errorCode(), r.message(), tc.status, tc.code)
			}
			id := r.Header.Get("x-fapi-interaction-id")
			if got := failedRule(b, id); got != tc.rule {
				t.Fatalf("verdict rule %d, want %d (%+v)", got, tc.rule, mustVerdict(b, id))
			}
		})
	}
	if n := countPayments(b, single.id); n != 0 {
		t.Fatalf("%d payments created by rejected requests", n)
	}
	// Rule 27: the content type.
	h := paymentHeaders(uuid.NewString())
	h.Set("Content-Type", "application/json")
	if r := c.rs(http.MethodPost, "/payments", single.access, h, c.sign(c.paymentClaims(single.id, "1.00", paymentPII(c, creditor(testIBAN, "Ivan England"))))); r.Status != 415 || len(r.Raw) != 0 {
		t.Fatalf("JSON content type: %d", r.Status)
	}
}

// TestRSBeneficiaryModels: multiple (2–10) matches one entry; open accepts any valid creditor.
func TestRSBeneficiaryModels(t *testing.T) {
	b := newBank(t, nil)
	c := newTPP(t, b)
	multi := c.authorizedConsent(consentPII(creditor(testIBAN, "Ivan England"), creditor(testIBAN2, "Fatima")))
	open := c.authorizedConsent(consentPII())
	pay := func(cons consent, cred map[string]any) rsResp {
		return c.pay(cons.access, uuid.NewString(), c.paymentClaims(cons.id, "1.00", paymentPII(c, cred)))
	}
	if r := pay(multi, creditor(testIBAN2, "Fatima")); r.Status != 201 {
		t.Fatalf("second listed creditor: %d %s", r.Status, r.errorCode())
	}
	if r := pay(multi, creditor(testIBAN2, "Ivan England")); r.Status != 400 || r.errorCode() != "Consent.BusinessRuleViolation" {
		t.Fatalf("mixed-up creditor: %d %s", r.Status, r.errorCode())
	}
	if r := pay(open, creditor(testIBAN2, "Anyone At All")); r.Status != 201 {
		t.Fatalf("open beneficiary: %d %s", r.Status, r.errorCode())
	}
	if r := pay(open, creditor("AE070331234567890123450", "Anyone")); r.Status != 400 || r.errorCode() != "Resource.InvalidFormat" {
		t.Fatalf("open beneficiary still validates the IBAN: %d %s", r.Status, r.errorCode())
	}
}

// TestRSCreditorMismatchAsReject: the configurable alternative of rule 32.
func TestRSCreditorMismatchAsReject(t *testing.T) {
	b := newBank(t, func(cfg *Config) { cfg.CreditorMismatchAsReject = true })
	c := newTPP(t, b)
	cons := c.authorizedConsent(consentPII(creditor(testIBAN, "Ivan England")))
	r := c.pay(cons.access, uuid.NewString(), c.paymentClaims(cons.id, "1.00", paymentPII(c, creditor(testIBAN2, "Other"))))
	if r.Status != 201 {
		t.Fatalf("mismatch as reject: %d %s", r.Status, r.errorCode())
	}
	b.AdvanceClock(3 * time.Second)
	g := c.rs(http.MethodGet, "/payments/"+r.data()["PaymentId"].(string), cons.access, nil, "")
	rr, _ := g.data()["RejectReasonCode"].([]any)
	if g.data()["Status"] != "Rejected" || len(rr) != 1 || rr[0].(map[string]any)["Code"] != "LFI.CreditorMismatch" {
		t.Fatalf("rejected payment: %v", g.data())
	}
}

// TestRSIdempotency covers rule 33.
func TestRSIdempotency(t *testing.T) {
	b := newBank(t, nil)
	c := newTPP(t, b)
	cons := c.authorizedConsent(consentPII(creditor(testIBAN, "Ivan England")))
	other := c.authorizedConsent(consentPII(creditor(testIBAN, "Ivan England")))
	key := uuid.NewString()
	body := c.sign(c.paymentClaims(cons.id, "3.00", paymentPII(c, creditor(testIBAN, "Ivan England"))))
	first := c.rs(http.MethodPost, "/payments", cons.access, paymentHeaders(key), body)
	again := c.rs(http.MethodPost, "/payments", cons.access, paymentHeaders(key), body)
	if first.Status != 201 || again.Status != 201 || string(first.Raw) != string(again.Raw) || again.Header.Get("Location") != first.Header.Get("Location") {
		t.Fatalf("replay: %d/%d", first.Status, again.Status)
	}
	changed := c.rs(http.MethodPost, "/payments", cons.access, paymentHeaders(key), c.sign(c.paymentClaims(cons.id, "4.00", paymentPII(c, creditor(testIBAN, "Ivan England")))))
	if changed.Status != 201 || string(changed.Raw) != string(first.Raw) {
		t.Fatalf("changed body must replay the first response: %d", changed.Status)
	}
	if n := countPayments(b, cons.id); n != 1 {
		t.Fatalf("%d payments for one key", n)
	}
	cross := c.rs(http.MethodPost, "/payments", other.access, paymentHeaders(key), c.sign(c.paymentClaims(other.id, "3.00", paymentPII(c, creditor(testIBAN, "Ivan England")))))
	if cross.Status != 400 || cross.errorCode() != "Consent.BusinessRuleViolation" || failedRule(b, cross.Header.Get("x-fapi-interaction-id")) != 33 {
		t.Fatalf("key reused across consents: %d %s", cross.Status, cross.errorCode())
	}
	b.AdvanceClock(25 * time.Hour)
	defer b.AdvanceClock(-25 * time.Hour)
	access := c.postForm(c.disc.Token, c.tokenForm("refresh_token", "refresh_token", cons.refresh)).Body["access_token"].(string)
	late := c.rs(http.MethodPost, "/payments", access, paymentHeaders(key), c.sign(c.paymentClaims(cons.id, "3.00", paymentPII(c, creditor(testIBAN, "Ivan England")))))
	if late.Status != 201 || late.data()["PaymentId"] == first.data()["PaymentId"] {
		t.Fatalf("after 24 h the key is new: %d", late.Status)
	}
}

// TestRSIdempotencyStrictMismatch: with the strict setting a changed body under a used key is 409.
func TestRSIdempotencyStrictMismatch(t *testing.T) {
	b := newBank(t, func(cfg *Config) { cfg.StrictIdempotencyMismatch = true })
	c := newTPP(t, b)
	cons := c.authorizedConsent(consentPII())
	key := uuid.NewString()
	if r := c.pay(cons.access, key, c.paymentClaims(cons.id, "3.00", paymentPII(c, creditor(testIBAN, "A")))); r.Status != 201 {
		t.Fatalf("first: %d", r.Status)
	}
	if r := c.pay(cons.access, key, c.paymentClaims(cons.id, "3.00", paymentPII(c, creditor(testIBAN, "A")))); r.Status != 409 {
		t.Fatalf("re-encrypted body under the same key: %d", r.Status)
	}
}

// TestRSConsentEndpoints covers rules 36 and 37.
func TestRSConsentEndpoints(t *testing.T) {
	b := newBank(t, nil)
	c := newTPP(t, b)
	c2 := newTPP(t, b)
	cons := c.authorizedConsent(consentPII(creditor(testIBAN, "Ivan England")))
	p := c.pay(cons.access, uuid.NewString(), c.paymentClaims(cons.id, "1.00", paymentPII(c, creditor(testIBAN, "Ivan England"))))
	cc, cc2 := c.clientCredentials(), c2.clientCredentials()
	if g := c2.rs(http.MethodGet, "/payments/"+p.data()["PaymentId"].(string), cc2, nil, ""); g.Status != 404 || len(g.Raw) != 0 {
		t.Fatalf("another client's payment: %d", g.Status)
	}
	if r := c2.revoke(cc2, cons.id); r.Status != 404 {
		t.Fatalf("another client revoking: %d", r.Status)
	}
	now := b.Now().Unix()
	patch := func(data map[string]any) rsResp {
		h := http.Header{}
		h.Set("Content-Type", "application/jwt")
		return c.rs(http.MethodPatch, "/payment-consents/"+cons.id, cc, h, c.sign(map[string]any{"iss": c.id, "iat": now, "nbf": now - 10, "exp": now + 300,
			"message": map[string]any{"Data": data}}))
	}
	if r := patch(map[string]any{"Status": "Authorized"}); r.Status != 400 || r.errorCode() != "Body.InvalidFormat" {
		t.Fatalf("PATCH to Authorized: %d %s", r.Status, r.errorCode())
	}
	if r := patch(map[string]any{"Status": "Revoked", "RevokedBy": "LFI"}); r.Status != 400 || r.errorCode() != "Body.InvalidFormat" {
		t.Fatalf("PATCH RevokedBy LFI: %d %s", r.Status, r.errorCode())
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	if r := c.rs(http.MethodPatch, "/payment-consents/"+cons.id, cc, h, `{"Data":{"Status":"Revoked"}}`); r.Status != 415 {
		t.Fatalf("JSON PATCH: %d", r.Status)
	}
	if r := patch(map[string]any{"Status": "Revoked", "RevokedBy": "TPP"}); r.Status != 204 {
		t.Fatalf("revoke: %d %s", r.Status, r.Raw)
	}
	g := c.rs(http.MethodGet, "/payment-consents/"+cons.id, cc, nil, "")
	if g.data()["Status"] != "Revoked" || g.data()["RevokedBy"] != "TPP" {
		t.Fatalf("after PATCH: %v", g.data())
	}
	if r := patch(map[string]any{"Status": "Revoked"}); r.Status != 400 || r.errorCode() != "Consent.BusinessRuleViolation" {
		t.Fatalf("revoking twice: %d %s", r.Status, r.errorCode())
	}
}

// TestRSWarningsAndLookup: a missing x-customer-user-agent is only a warning (rule 28); the
// idempotency lookup needs its key and finds nothing for an unknown one.
func TestRSWarningsAndLookup(t *testing.T) {
	b := newBank(t, nil)
	c := newTPP(t, b)
	cons := c.authorizedConsent(consentPII())
	h := paymentHeaders(uuid.NewString())
	h.Del("x-customer-user-agent")
	r := c.rs(http.MethodPost, "/payments", cons.access, h, c.sign(c.paymentClaims(cons.id, "1.00", paymentPII(c, creditor(testIBAN, "A")))))
	if r.Status != 201 {
		t.Fatalf("without user agent: %d %s", r.Status, r.errorCode())
	}
	warned := false
	for _, ch := range mustVerdict(b, r.InteractionID).Checks {
		warned = warned || (ch.Rule == 28 && strings.HasPrefix(ch.Name, "warning:"))
	}
	if !warned {
		t.Fatal("no rule-28 warning recorded")
	}
	cc := c.clientCredentials()
	if g := c.rs(http.MethodGet, "/payments", cc, nil, ""); g.Status != 400 || g.errorCode() != "Body.InvalidFormat" {
		t.Fatalf("lookup without key: %d %s", g.Status, g.errorCode())
	}
	// The lookup applies rule 28's key check, as POST does: one header, no Unicode space.
	for name, bad := range map[string]http.Header{
		"no-break space": {"X-Idempotency-Key": {"a\u00a0b"}},
		"two keys":       {"X-Idempotency-Key": {"k1", "k2"}},
	} {
		if g := c.rs(http.MethodGet, "/payments", cc, bad, ""); g.Status != 400 || g.errorCode() != "Body.InvalidFormat" {
			t.Fatalf("lookup with %s: %d %s", name, g.Status, g.errorCode())
		}
	}
	k := http.Header{}
	k.Set("x-idempotency-key", "never-used")
	if g := c.rs(http.MethodGet, "/payments", cc, k, ""); g.Status != 404 || len(g.Raw) != 0 {
		t.Fatalf("lookup of an unknown key: %d", g.Status)
	}
}

// TestRSConcurrentSameKey: concurrent duplicates of one payment create exactly one payment; each
// caller gets the 201 or a retryable 409 while the first is in flight.
func TestRSConcurrentSameKey(t *testing.T) {
	b := newBank(t, nil)
	c := newTPP(t, b)
	cons := c.authorizedConsent(consentPII())
	key := uuid.NewString()
	body := c.sign(c.paymentClaims(cons.id, "1.00", paymentPII(c, creditor(testIBAN, "A"))))
	type res struct {
		status int
		id     string
	}
	out := make(chan res, 8)
	for range 8 {
		go func() {
			req, _ := http.NewRequest(http.MethodPost, b.ResourceBaseURL()+"/payments", strings.NewReader(body))
			req.Header = paymentHeaders(key)
			req.Header.Set("Authorization", "Bearer "+cons.access)
			resp, err := c.http.Do(req)
			if err != nil {
				out <- res{status: -1}
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			id := ""
			if resp.StatusCode == 201 {
				id = resp.Header.Get("Location")
			}
			out <- res{status: resp.StatusCode, id: id}
		}()
	}
	ids := map[string]bool{}
	for range 8 {
		r := <-out
		switch r.status {
		case 201:
			ids[r.id] = true
		case 409:
		default:
			t.Fatalf("concurrent duplicate got %d", r.status)
		}
	}
	if len(ids) != 1 || countPayments(b, cons.id) != 1 {
		t.Fatalf("%d distinct payments (%d stored), want 1", len(ids), countPayments(b, cons.id))
	}
}
