package sandbox

import (
	"net/http"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
)

// TestNegConsentPIIAtPAR: rules 17–20 as the TPP sees them at PAR (the hub calls the LFI's
// validate; the payment-API code leads error_description).
func TestNegConsentPIIAtPAR(t *testing.T) {
	e := newNegEnv(t, nil)
	c := e.c
	good := consentPII(creditor(testIBAN, "Ivan England"))
	other := testKey(t)
	cases := []struct {
		name    string
		rule    int
		apiCode string
		pii     func() string // the sealed PII to put in the consent
	}{
		{"17 RSA-OAEP (SHA-1)", 17, "JWE.InvalidHeader", func() string { return c.sealWith(c.sign(good), jose.RSA_OAEP, c.encKey, c.encKID) }},
		{"17 stale enc kid", 17, "JWE.InvalidHeader", func() string { return c.sealWith(c.sign(good), jose.RSA_OAEP_256, c.encKey, "stale-kid") }},
		{"17 not a JWE", 17, "JWE.InvalidHeader", func() string { return c.sign(good) }},
		{"17 encrypted without signing", 17, "JWS.Malformed", func() string {
			return c.sealWith(`{"Risk":{}}`, jose.RSA_OAEP_256, c.encKey, c.encKID)
		}},
		{"17 signed by an unregistered key", 17, "JWS.InvalidSignature", func() string {
			return c.sealWith(signWith(t, other, c.sigKID, jose.PS256, good), jose.RSA_OAEP_256, c.encKey, c.encKID)
		}},
		{"17 encrypted to another key", 17, "JWE.DecryptionError", func() string {
			return c.sealWith(c.sign(good), jose.RSA_OAEP_256, &other.PublicKey, c.encKID)
		}},
		{"18 empty creditor array", 18, "Resource.InvalidFormat", func() string {
			return c.seal(map[string]any{"Initiation": map[string]any{"Creditor": []any{}}, "Risk": map[string]any{}})
		}},
		{"18 Risk missing", 18, "Resource.InvalidFormat", func() string {
			return c.seal(map[string]any{"Initiation": map[string]any{"Creditor": []any{creditor(testIBAN, "Ivan England")}}})
		}},
		{"18 payment-shaped Initiation", 18, "Resource.InvalidFormat", func() string {
			return c.seal(map[string]any{"Initiation": creditor(testIBAN, "Ivan England"), "Risk": map[string]any{}})
		}},
		{"19 IBAN checksum", 19, "Resource.InvalidFormat", func() string {
			return c.seal(consentPII(creditor("AE140260123456789012345", "Ivan England")))
		}},
		{"19 BIC of another bank", 19, "Resource.InvalidFormat", func() string {
			cr := creditor(testIBAN, "Ivan England")
			cr["CreditorAgent"] = map[string]any{"SchemeName": "BICFI", "Identification": "ADCBAEAA"}
			return c.seal(consentPII(cr))
		}},
		{"19 empty name", 19, "Resource.InvalidFormat", func() string { return c.seal(consentPII(creditor(testIBAN, ""))) }},
		{"20 SupplementaryData not empty", 20, "Resource.InvalidFormat", func() string {
			p := consentPII(creditor(testIBAN, "Ivan England"))
			p["Risk"] = map[string]any{"TransactionIndicators": map[string]any{"SupplementaryData": map[string]any{"x": 1}}}
			return c.seal(p)
		}},
		{"20 Channel outside the enum", 20, "Resource.InvalidFormat", func() string {
			p := consentPII(creditor(testIBAN, "Ivan England"))
			p["Risk"] = map[string]any{"TransactionIndicators": map[string]any{"Channel": "Terminal"}}
			return c.seal(p)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ro := c.requestObject(uuid.NewString(), good, testVerifier)
			consentOf(ro)["PersonalIdentifiableInformation"] = tc.pii()
			e.t = t
			e.wantOAuth(c.par(ro), http.StatusBadRequest, "invalid_request", tc.apiCode, tc.rule)
		})
	}
	e.t = t
	// The same request with a good PII passes: the failures above are the PII alone.
	if r := c.par(c.requestObject(uuid.NewString(), good, testVerifier)); r.Status != http.StatusOK {
		t.Fatalf("control PAR: %d %v", r.Status, r.Body)
	}
}

// TestNegPaymentPII: rule 31 (with 17, 19 and 20's SCA evidence) at POST /payments.
func TestNegPaymentPII(t *testing.T) {
	e := newNegEnv(t, nil)
	c := e.c
	cons := e.singleConsent()
	okCred := creditor(testIBAN, "Ivan England")
	withPII := func(pii string) map[string]any {
		cl := e.payClaims(cons, "10.00")
		claimData(cl)["PersonalIdentifiableInformation"] = pii
		return cl
	}
	risk := func(mut func(a map[string]any)) map[string]any {
		p := paymentPII(c, okCred)
		mut(p["Risk"].(map[string]any)["DebtorIndicators"].(map[string]any)["Authentication"].(map[string]any))
		return p
	}
	cases := []struct {
		name       string
		claims     func() map[string]any
		code, path string
		rule       int
	}{
		{"consent-shaped creditor array", func() map[string]any {
			return withPII(c.seal(map[string]any{"Initiation": map[string]any{"Creditor": []any{okCred}}, "Risk": paymentRisk(c.bank.Now())}))
		}, "Resource.InvalidFormat", "Initiation.Creditor", 31},
		{"leftover DebtorAccount", func() map[string]any {
			cr := creditor(testIBAN, "Ivan England")
			cr["DebtorAccount"] = map[string]any{"SchemeName": "IBAN", "Identification": testIBAN2}
			return withPII(c.seal(paymentPII(c, cr)))
		}, "Resource.InvalidFormat", "Initiation.DebtorAccount", 31},
		{"RSA-OAEP", func() map[string]any {
			return withPII(c.sealWith(c.sign(paymentPII(c, okCred)), jose.RSA_OAEP, c.encKey, c.encKID))
		}, "JWE.InvalidHeader", "header.alg", 31},
		{"undecryptable", func() map[string]any {
			return withPII(c.sealWith(c.sign(paymentPII(c, okCred)), jose.RSA_OAEP_256, &testKey(t).PublicKey, c.encKID))
		}, "JWE.DecryptionError", "", 31},
		{"IBAN with spaces", func() map[string]any {
			return withPII(c.seal(paymentPII(c, creditor("AE07 0331 2345 6789 0123 456", "Ivan England"))))
		}, "Resource.InvalidFormat", "Initiation.CreditorAccount.Identification", 19},
		{"SCA flow not MFA", func() map[string]any {
			return withPII(c.seal(risk(func(a map[string]any) { a["AuthenticationFlow"] = "Other" })))
		}, "Consent.BusinessRuleViolation", "Risk.DebtorIndicators.Authentication.AuthenticationFlow", 20},
		{"SCA one factor", func() map[string]any {
			return withPII(c.seal(risk(func(a map[string]any) { delete(a, "KnowledgeFactor") })))
		}, "Consent.BusinessRuleViolation", "Risk.DebtorIndicators.Authentication", 20},
		{"SCA challenge failed", func() map[string]any {
			return withPII(c.seal(risk(func(a map[string]any) { a["ChallengeOutcome"] = "Fail" })))
		}, "Consent.BusinessRuleViolation", "Risk.DebtorIndicators.Authentication.ChallengeOutcome", 20},
		{"SCA stale", func() map[string]any {
			return withPII(c.seal(risk(func(a map[string]any) { a["ChallengeDateTime"] = "2020-01-01T00:00:00Z" })))
		}, "Consent.BusinessRuleViolation", "Risk.DebtorIndicators.Authentication.ChallengeDateTime", 20},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			e.wantRS(e.pay(cons, tc.claims()), http.StatusBadRequest, tc.code, tc.path, tc.rule)
		})
	}
	e.t = t
	if r := e.pay(cons, e.payClaims(cons, "10.00")); r.Status != http.StatusCreated {
		t.Fatalf("control payment: %d %s", r.Status, r.errorCode())
	}
}
