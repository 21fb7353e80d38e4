package rules

import (
	"encoding/json"
	"testing"

	"github.com/payterm/payterm/internal/specs"
)

// TestFixturesConformToOfficialSchemas validates every positive fixture
// against its official OpenAPI component schema (kin-openapi), so the
// strict types here cannot silently drift from the spec. Skips without
// ../shared; fails under PAYTERM_REQUIRE_E2E=1.
func TestFixturesConformToOfficialSchemas(t *testing.T) {
	authz := specs.Require(t, specs.AuthorizationEndpoints)
	bank := specs.Require(t, specs.BankInitiation)
	payload := paymentClaimsFixture(t)
	roClaims := requestObjectClaimsFixture(t)
	parBody := map[string]any{
		"client_assertion_type": "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer",
		"client_assertion":      "eyJ.eyJ.sig",
		"request":               roClaims,
	}
	cases := []struct {
		name   string
		doc    *specs.Doc
		schema string
		json   []byte
	}{
		{"authorization_details element", authz, "AEBankServiceInitiationRichAuthorizationRequestsV21.AEBankServiceInitiationAuthorizationDetailsProperties", []byte(authorizationDetailJSON)},
		{"PAR body with request object claims", authz, "AEPushedAuthorizationRequestsV21.PushedAuthorizationRequestBody", mustJSON(t, parBody)},
		{"consent PII", authz, "AEBankServiceInitiationRichAuthorizationRequests.AEDomesticPaymentPII", []byte(consentPIIJSON)},
		{"consent Risk", authz, "AEBankServiceInitiationRichAuthorizationRequests.AERisk", []byte(consentRiskJSON)},
		{"consent creditor B", authz, "AEBankServiceInitiationRichAuthorizationRequests.AEDomesticCreditor", []byte(creditorBJSON)},
		{"payment PII", bank, "AEBankServiceInitiation.AEDomesticPaymentPIIProperties", []byte(paymentPIIJSON)},
		{"payment Risk", bank, "AERisk", []byte(paymentRiskJSON)},
		{"payment message", bank, "AEPaymentRequest", []byte(paymentMessageJSON)},
		{"signed payment payload", bank, "AEPaymentRequestSigned", mustJSON(t, payload)},
		{"PATCH message", bank, "AEPatchPaymentConsent", []byte(patchMessageJSON)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.doc.Validate(c.schema, c.json); err != nil {
				t.Fatalf("fixture does not conform to %s: %v", c.schema, err)
			}
		})
	}
}

// TestSchemaAgreesOnRejections checks that mistakes the strict decoder
// rejects as schema violations are rejected by the official schema too
// (where the schema is closed), so "strict" here means "the spec's".
func TestSchemaAgreesOnRejections(t *testing.T) {
	authz := specs.Require(t, specs.AuthorizationEndpoints)
	bank := specs.Require(t, specs.BankInitiation)
	mutated := func(base string, path string, v any, remove bool) []byte {
		m := obj(t, base)
		if remove {
			del(t, m, path)
		} else {
			set(t, m, path, v)
		}
		return mustJSON(t, m)
	}
	cases := []struct {
		name   string
		doc    *specs.Doc
		schema string
		json   []byte
		ours   func([]byte) error
	}{
		{"consent PII: DebtorAccount extra field", authz, "AEBankServiceInitiationRichAuthorizationRequests.AEDomesticPaymentPII",
			mutated(consentPIIJSON, "Initiation.DebtorAccount.Extra", "x", false),
			func(b []byte) error { _, err := ConsentPII(b, testClientID, Options{}); return err }},
		{"consent PII: empty creditor array", authz, "AEBankServiceInitiationRichAuthorizationRequests.AEDomesticPaymentPII",
			mutated(consentPIIJSON, "Initiation.Creditor", []any{}, false),
			func(b []byte) error { _, err := ConsentPII(b, testClientID, Options{}); return err }},
		{"payment PII: DebtorAccount", bank, "AEBankServiceInitiation.AEDomesticPaymentPIIProperties",
			mutated(paymentPIIJSON, "Initiation.DebtorAccount", map[string]any{"SchemeName": "IBAN", "Identification": ibanC}, false),
			func(b []byte) error { _, err := PaymentPII(b, testClientID, Options{}); return err }},
		{"payment message: extra Data field", bank, "AEPaymentRequest",
			mutated(paymentMessageJSON, "Data.Foo", "x", false),
			func(b []byte) error { _, err := PaymentRequest(b, Options{}); return err }},
		{"payment message: bad amount", bank, "AEPaymentRequest",
			mutated(paymentMessageJSON, "Data.Instruction.Amount.Amount", "10", false),
			func(b []byte) error { _, err := PaymentRequest(b, Options{}); return err }},
		{"payment message: missing billing", bank, "AEPaymentRequest",
			mutated(paymentMessageJSON, "Data.OpenFinanceBilling", nil, true),
			func(b []byte) error { _, err := PaymentRequest(b, Options{}); return err }},
		{"PATCH: status Authorized", bank, "AEPatchPaymentConsent",
			mutated(patchMessageJSON, "Data.Status", "Authorized", false),
			func(b []byte) error { _, err := PatchConsent(b); return err }},
		{"consent: unknown member", authz, "AEBankServiceInitiationRichAuthorizationRequestsV21.AEBankServiceInitiationAuthorizationDetailsProperties",
			mutated(authorizationDetailJSON, "consent.OpenFinanceBilling", map[string]any{"Type": "PushP2P"}, false),
			func(b []byte) error {
				_, err := AuthorizationDetails(json.RawMessage("["+string(b)+"]"), testNow, Options{})
				return err
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.doc.Validate(c.schema, c.json); err == nil {
				t.Fatalf("official schema %s accepts the mutation; the test case is wrong", c.schema)
			}
			if err := c.ours(c.json); AsViolation(err) == nil {
				t.Fatalf("rules accept what the official schema rejects (err=%v)", err)
			}
		})
	}
}
