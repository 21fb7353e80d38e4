package rules

import (
	"strings"
	"testing"
)

// Positive fixtures. schema_test.go validates each against the official
// OpenAPI component schema, so these types cannot drift from the spec.

const consentRiskJSON = `{
  "DebtorIndicators": {
    "Authentication": {
      "AuthenticationChannel": "App",
      "PossessionFactor": {"IsUsed": true, "Type": "TrustedDevice"},
      "KnowledgeFactor": {"IsUsed": true, "Type": "PIN"},
      "ChallengeOutcome": "Pass",
      "AuthenticationFlow": "MFA",
      "AuthenticationValue": "eyJhbGciOiJQUzI1NiJ9.e30.c2ln",
      "ChallengeDateTime": "2026-11-22T09:59:30Z"
    },
    "UserName": {"en": "Test User"},
    "GeoLocation": {"Latitude": "25.2048", "Longitude": "55.2708"},
    "DeviceInformation": {"DeviceId": "dev-1", "DeviceOperatingSystem": "linux", "DeviceType": "Desktop",
      "BindingDuration": "P30D", "ConnectionType": "WiFi", "LastBindingDateTime": "2026-11-01T08:00:00+04:00"},
    "AppInformation": {"AppVersion": "0.1.0", "PackageName": "payterm"},
    "AccountRiskIndicators": {"UserOnboardingDateTime": "2026-01-01T00:00:00Z", "LastPasswordChangeDate": "2026-10-01",
      "SuspiciousActivity": "NoSuspiciousActivity", "TransactionHistory": {"LastDay": 0, "LastYear": 3}}
  },
  "TransactionIndicators": {"IsCustomerPresent": true, "IsContractPresent": false, "Channel": "Mobile",
    "ChannelType": "InApp", "SubChannelType": "MobileApp", "PaymentProcess": {"TotalDuration": 20, "CurrentSessionAttempts": 1}},
  "CreditorIndicators": {"IsCreditorPrePopulated": true, "IsVerifiedByTPP": true, "IsCreditorConfirmed": true}
}`

// paymentRiskJSON adds the payment-time AccountType (Retail|Corporate).
var paymentRiskJSON = strings.Replace(consentRiskJSON, `"IsCreditorPrePopulated": true`, `"AccountType": "Retail", "IsCreditorPrePopulated": true`, 1)

const creditorAJSON = `{
  "CreditorAgent": {"SchemeName": "BICFI", "Identification": "BOMLAEAD"},
  "Creditor": {"Name": "Ivan England"},
  "CreditorAccount": {"SchemeName": "IBAN", "Identification": "` + ibanA + `", "Name": {"en": "Ivan David England"}}
}`

const creditorBJSON = `{
  "CreditorAccount": {"SchemeName": "IBAN", "Identification": "` + ibanB + `", "Name": {"ar": "\u0625\u064a\u0641\u0627\u0646"}, "Type": "Individual"}
}`

var consentPIIJSON = `{
  "Initiation": {
    "DebtorAccount": {"SchemeName": "IBAN", "Identification": "` + ibanC + `", "Name": {"en": "Debtor Name"}},
    "Creditor": [` + creditorAJSON + `]
  },
  "Risk": ` + consentRiskJSON + `
}`

var paymentPIIJSON = `{
  "Initiation": {
    "CreditorAgent": {"SchemeName": "BICFI", "Identification": "BOMLAEADXXX"},
    "Creditor": {"Name": "Ivan England"},
    "CreditorAccount": {"SchemeName": "IBAN", "Identification": "` + ibanA + `", "Name": {"en": "Ivan David England"}}
  },
  "Risk": ` + paymentRiskJSON + `
}`

// authorizationDetailJSON is one element; the PII is a placeholder JWE.
const authorizationDetailJSON = `{
  "type": "urn:openfinanceuae:service-initiation-consent:v2.1",
  "consent": {
    "ConsentId": "` + testConsentID + `",
    "IsSingleAuthorization": true,
    "ExpirationDateTime": "2027-03-01T00:00:00+00:00",
    "ControlParameters": {"IsDelegatedAuthentication": true, "ConsentSchedule": {}},
    "PersonalIdentifiableInformation": "aGVhZGVy.a2V5.aXY.Y2lwaGVy.dGFn",
    "PaymentPurposeCode": "MWP",
    "DebtorReference": "Wallet",
    "CreditorReference": "Wallet"
  }
}`

const paymentMessageJSON = `{
  "Data": {
    "ConsentId": "` + testConsentID + `",
    "Instruction": {"Amount": {"Amount": "149.99", "Currency": "AED"}},
    "PersonalIdentifiableInformation": "aGVhZGVy.a2V5.aXY.Y2lwaGVy.dGFn",
    "PaymentPurposeCode": "MWP",
    "DebtorReference": "Wallet topup",
    "OpenFinanceBilling": {"Type": "PushP2P"}
  }
}`

const patchMessageJSON = `{"Data": {"Status": "Revoked", "RevokedBy": "TPP.InitiatedByUser"}}`

func requestObjectClaimsFixture(t testing.TB) map[string]any {
	t.Helper()
	m := obj(t, `{"response_type":"code","code_challenge_method":"S256","scope":"payments openid",
	  "state":"4f7d8a1e-9c3b-4e2a-8f6d-1a2b3c4d5e6f","nonce":"0d9c8b7a-6f5e-4d3c-2b1a-0f9e8d7c6b5a",
	  "code_challenge":"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}`)
	m["iss"] = testClientID
	m["client_id"] = testClientID
	m["aud"] = testIssuer
	m["redirect_uri"] = testRedirect
	m["nbf"] = unix(-10e9)
	m["exp"] = unix(290e9)
	m["authorization_details"] = []any{obj(t, authorizationDetailJSON)}
	return m
}

func clientAssertionFixture(t testing.TB) map[string]any {
	t.Helper()
	return map[string]any{
		"iss": testClientID, "sub": testClientID, "aud": testIssuer,
		"iat": unix(0), "exp": unix(300e9), "jti": "6a0c1f6e-8f51-4d8e-9f2a-7c3b2d1e0f9a",
	}
}

func paymentClaimsFixture(t testing.TB) map[string]any {
	t.Helper()
	return map[string]any{
		"iss": testClientID, "aud": []any{testIssuer},
		"iat": unix(0), "nbf": unix(-10e9), "exp": unix(290e9),
		"message": obj(t, paymentMessageJSON),
	}
}

func testClient() ClientInfo {
	return ClientInfo{ClientID: testClientID, RedirectURIs: []string{testRedirect, "http://127.0.0.1/callback"}}
}
