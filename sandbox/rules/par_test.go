package rules

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

const formCT = "application/x-www-form-urlencoded"

func TestParseFormRule2(t *testing.T) {
	body := "request=a.b.c&client_assertion_type=" + ClientAssertionType + "&client_assertion=x.y.z"
	got, err := ParseForm(formCT+"; charset=utf-8", []byte(body), PARParams, PARRequired)
	if err != nil || got["request"] != "a.b.c" {
		t.Fatalf("valid form: %v %v", got, err)
	}
	cases := []struct {
		name, ct, body, path string
	}{
		{"json content type", "application/json", body, "Content-Type"},
		{"odd charset", formCT + "; charset=latin1", body, "Content-Type"},
		{"duplicate parameter", formCT, body + "&request=d.e.f", "request"},
		{"unknown parameter", formCT, body + "&response_type=code", "response_type"},
		{"missing parameter", formCT, "request=a.b.c&client_assertion=x.y.z", "client_assertion_type"},
		{"empty parameter", formCT, body + "&client_id=", "client_id"},
		{"bad encoding", formCT, body + "&x=%zz", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseForm(c.ct, []byte(c.body), PARParams, PARRequired)
			wantViolation(t, err, 2, OAuthInvalidRequest, c.path)
		})
	}
}

func TestClientAssertionRules3And4(t *testing.T) {
	good := clientAssertionFixture(t)
	res, err := VerifyClientAssertion(sign(t, mustJSON(t, good)), clientKeyFor, testClientID, testIssuer, testNow, Options{})
	if err != nil {
		t.Fatalf("valid assertion rejected: %v", err)
	}
	if res.JTI != good["jti"] || !res.ExpiresAt.Equal(testNow.Add(300e9)) {
		t.Fatalf("result %+v", res)
	}
	// aud may be an array containing the issuer.
	arr := clientAssertionFixture(t)
	arr["aud"] = []any{"https://other", testIssuer}
	if _, err := ClientAssertion(mustJSON(t, arr), testClientID, testIssuer, testNow, Options{}); err != nil {
		t.Fatalf("aud array rejected: %v", err)
	}

	t.Run("rule 3 type", func(t *testing.T) {
		wantViolation(t, CheckClientAssertionType("urn:ietf:params:oauth:client-assertion-type:saml2-bearer"), 3, OAuthInvalidClient, "client_assertion_type")
		if err := CheckClientAssertionType(ClientAssertionType); err != nil {
			t.Fatal(err)
		}
	})
	k := keys()
	jwsCases := []struct {
		name, compact, path string
	}{
		{"RS256", signWith(t, mustJSON(t, good), jose.RS256, k.client, clientSigKid, nil), "header.alg"},
		{"unknown kid", signWith(t, mustJSON(t, good), jose.PS256, k.client, "nope", nil), "header.kid"},
		{"enc key", signWith(t, mustJSON(t, good), jose.PS256, k.client, "client-enc", nil), "header.kid"},
		{"wrong key", signWith(t, mustJSON(t, good), jose.PS256, k.other, clientSigKid, nil), "signature"},
		{"no kid", signWith(t, mustJSON(t, good), jose.PS256, k.client, "", nil), "header.kid"},
		{"not a JWS", "abc", ""},
	}
	for _, c := range jwsCases {
		t.Run("rule 3 "+c.name, func(t *testing.T) {
			_, err := VerifyClientAssertion(c.compact, clientKeyFor, testClientID, testIssuer, testNow, Options{})
			wantViolation(t, err, 3, OAuthInvalidClient, c.path)
		})
	}
	claimCases := []struct {
		name string
		mut  func(m map[string]any)
		path string
	}{
		{"iss other client", func(m map[string]any) { m["iss"] = "someone-else" }, "iss"},
		{"sub missing", func(m map[string]any) { delete(m, "sub") }, "sub"},
		{"sub differs", func(m map[string]any) { m["sub"] = "x" }, "sub"},
		{"aud token URL", func(m map[string]any) { m["aud"] = testIssuer + "/token" }, "aud"},
		{"aud missing", func(m map[string]any) { delete(m, "aud") }, "aud"},
		{"jti missing", func(m map[string]any) { delete(m, "jti") }, "jti"},
		{"exp passed", func(m map[string]any) { m["iat"] = unix(-400e9); m["exp"] = unix(-100e9) }, "exp"},
		{"lifetime over 300s", func(m map[string]any) { m["exp"] = unix(301e9) }, "exp"},
		{"iat in future", func(m map[string]any) { m["iat"] = unix(120e9); m["exp"] = unix(200e9) }, "iat"},
		{"iat missing", func(m map[string]any) { delete(m, "iat") }, "iat"},
		{"nbf in future", func(m map[string]any) { m["nbf"] = unix(120e9) }, "nbf"},
		{"unknown claim", func(m map[string]any) { m["scope"] = "payments" }, "scope"},
		{"exp a string", func(m map[string]any) { m["exp"] = "soon" }, "exp"},
	}
	for _, c := range claimCases {
		t.Run("rule 4 "+c.name, func(t *testing.T) {
			m := clientAssertionFixture(t)
			c.mut(m)
			_, err := VerifyClientAssertion(sign(t, mustJSON(t, m)), clientKeyFor, testClientID, testIssuer, testNow, Options{})
			wantViolation(t, err, 4, OAuthInvalidClient, c.path)
		})
	}
}

func verifyRO(t *testing.T, m map[string]any, client ClientInfo, opts Options) (*AuthorizationRequest, error) {
	t.Helper()
	return VerifyRequestObject(sign(t, mustJSON(t, m)), clientKeyFor, client, testIssuer, testNow, opts)
}

func TestRequestObjectPositive(t *testing.T) {
	ro, err := verifyRO(t, requestObjectClaimsFixture(t), testClient(), Options{})
	if err != nil {
		t.Fatalf("valid request object rejected: %v", err)
	}
	if ro.ClientID != testClientID || ro.RedirectURI != testRedirect || ro.CodeChallengeMethod != "S256" ||
		ro.Consent == nil || ro.Consent.ConsentID != testConsentID || ro.Consent.PaymentPurposeCode != "MWP" ||
		len(ro.Scopes) != 2 || len(ro.Warnings) != 0 || !ro.ExpiresAt.Equal(testNow.Add(290e9)) {
		t.Fatalf("request object %+v", ro)
	}
	var raw map[string]any
	if err := json.Unmarshal(ro.Consent.Raw, &raw); err != nil || raw["type"] != ConsentType {
		t.Fatalf("raw element not kept: %v", err)
	}
	// iat/jti are tolerated with a warning by default.
	m := requestObjectClaimsFixture(t)
	m["iat"], m["jti"] = unix(0), "x"
	ro, err = verifyRO(t, m, testClient(), Options{})
	if err != nil || len(ro.Warnings) != 2 {
		t.Fatalf("iat/jti not tolerated with warnings: %v %+v", err, ro)
	}
	// Loopback redirect on any port when allowed (RFC 8252).
	m = requestObjectClaimsFixture(t)
	m["redirect_uri"] = "http://127.0.0.1:49152/callback"
	if _, err := verifyRO(t, m, testClient(), Options{AllowLoopbackRedirects: true}); err != nil {
		t.Fatalf("loopback redirect rejected: %v", err)
	}
	// Permissions with the accounts scope for a BDSP client.
	m = requestObjectClaimsFixture(t)
	set(t, m, "authorization_details[0].consent.Permissions", []any{"ReadAccountsBasic", "ReadBalances"})
	m["scope"] = "accounts payments openid"
	bdsp := testClient()
	bdsp.BDSP = true
	if _, err := verifyRO(t, m, bdsp, Options{}); err != nil {
		t.Fatalf("accounts scope for BDSP rejected: %v", err)
	}
}

func TestRequestObjectRules5To9(t *testing.T) {
	k := keys()
	good := mustJSON(t, requestObjectClaimsFixture(t))
	t.Run("rule 5 JWE request", func(t *testing.T) {
		_, err := VerifyRequestObject(seal(t, sign(t, good), sealOpts{}), clientKeyFor, testClient(), testIssuer, testNow, Options{})
		wantViolation(t, err, 5, OAuthInvalidRequest, "request")
	})
	t.Run("rule 5 HS256", func(t *testing.T) {
		_, err := VerifyRequestObject(craftJWS(`{"alg":"HS256","kid":"client-sig"}`, string(good)), clientKeyFor, testClient(), testIssuer, testNow, Options{})
		wantViolation(t, err, 5, OAuthInvalidRequest, "header.alg")
	})
	t.Run("rule 5 alg none", func(t *testing.T) {
		_, err := VerifyRequestObject(craftJWS(`{"alg":"none"}`, string(good)), clientKeyFor, testClient(), testIssuer, testNow, Options{})
		wantViolation(t, err, 5, OAuthInvalidRequest, "header.alg")
	})
	t.Run("rule 5 signed by another key", func(t *testing.T) {
		_, err := VerifyRequestObject(signWith(t, good, jose.PS256, k.other, clientSigKid, nil), clientKeyFor, testClient(), testIssuer, testNow, Options{})
		wantViolation(t, err, 5, OAuthInvalidRequest, "signature")
	})

	cases := []struct {
		name string
		rule int
		code string
		mut  func(m map[string]any)
		path string
		opts Options
	}{
		{"nonce missing", 6, OAuthInvalidRequest, func(m map[string]any) { delete(m, "nonce") }, "nonce", Options{}},
		{"state missing", 6, OAuthInvalidRequest, func(m map[string]any) { delete(m, "state") }, "state", Options{}},
		{"nbf missing", 6, OAuthInvalidRequest, func(m map[string]any) { delete(m, "nbf") }, "nbf", Options{}},
		{"client_id of another client", 6, OAuthInvalidRequest, func(m map[string]any) { m["client_id"] = "other"; m["iss"] = "other" }, "client_id", Options{}},
		{"iss differs from client_id", 6, OAuthInvalidRequest, func(m map[string]any) { m["iss"] = "other" }, "iss", Options{}},
		{"aud array", 6, OAuthInvalidRequest, func(m map[string]any) { m["aud"] = []any{testIssuer} }, "aud", Options{}},
		{"aud PAR URL", 6, OAuthInvalidRequest, func(m map[string]any) { m["aud"] = "https://as.sandbox.payterm.test/par" }, "aud", Options{}},
		{"unknown claim", 6, OAuthInvalidRequest, func(m map[string]any) { m["prompt"] = "login" }, "prompt", Options{}},
		{"iat when rejected", 6, OAuthInvalidRequest, func(m map[string]any) { m["iat"] = unix(0) }, "iat", Options{RejectRequestObjectIATJTI: true}},
		{"nbf in future", 7, OAuthInvalidRequest, func(m map[string]any) { m["nbf"] = unix(60e9); m["exp"] = unix(300e9) }, "nbf", Options{}},
		{"nbf too old", 7, OAuthInvalidRequest, func(m map[string]any) { m["nbf"] = unix(-700e9); m["exp"] = unix(-110e9) }, "nbf", Options{}},
		{"expired", 7, OAuthInvalidRequest, func(m map[string]any) { m["nbf"] = unix(-400e9); m["exp"] = unix(-60e9) }, "exp", Options{}},
		{"lifetime over 600s", 7, OAuthInvalidRequest, func(m map[string]any) { m["exp"] = unix(600e9) }, "exp", Options{}},
		{"response_type token", 8, OAuthInvalidRequest, func(m map[string]any) { m["response_type"] = "token" }, "response_type", Options{}},
		{"method plain", 8, OAuthInvalidRequest, func(m map[string]any) { m["code_challenge_method"] = "plain" }, "code_challenge_method", Options{}},
		{"short challenge", 8, OAuthInvalidRequest, func(m map[string]any) { m["code_challenge"] = "abc" }, "code_challenge", Options{}},
		{"max_age too big", 8, OAuthInvalidRequest, func(m map[string]any) { m["max_age"] = 7200 }, "max_age", Options{}},
		{"unregistered redirect", 8, OAuthInvalidRequest, func(m map[string]any) { m["redirect_uri"] = "https://evil.example/cb" }, "redirect_uri", Options{}},
		{"redirect with extra path", 8, OAuthInvalidRequest, func(m map[string]any) { m["redirect_uri"] = testRedirect + "/x" }, "redirect_uri", Options{}},
		{"loopback when not allowed", 8, OAuthInvalidRequest, func(m map[string]any) { m["redirect_uri"] = "http://127.0.0.1:49152/callback" }, "redirect_uri", Options{}},
		{"loopback other path", 8, OAuthInvalidRequest, func(m map[string]any) { m["redirect_uri"] = "http://127.0.0.1:49152/other" }, "redirect_uri", Options{AllowLoopbackRedirects: true}},
		{"localhost name", 8, OAuthInvalidRequest, func(m map[string]any) { m["redirect_uri"] = "http://localhost:49152/callback" }, "redirect_uri", Options{AllowLoopbackRedirects: true}},
		{"scope without payments", 9, OAuthInvalidScope, func(m map[string]any) { m["scope"] = "openid" }, "scope", Options{}},
		{"scope unknown value", 9, OAuthInvalidScope, func(m map[string]any) { m["scope"] = "payments openid offline_access" }, "scope", Options{}},
		{"accounts without BDSP", 9, OAuthInvalidScope, func(m map[string]any) { m["scope"] = "accounts payments openid" }, "scope", Options{}},
		{"permissions without accounts scope", 16, OAuthInvalidScope, func(m map[string]any) {
			set(t, m, "authorization_details[0].consent.Permissions", []any{"ReadAccountsBasic"})
		}, "scope", Options{}},
	}
	for _, c := range cases {
		t.Run(fmtRule(c.rule)+c.name, func(t *testing.T) {
			m := requestObjectClaimsFixture(t)
			c.mut(m)
			_, err := verifyRO(t, m, testClient(), c.opts)
			wantViolation(t, err, c.rule, c.code, c.path)
		})
	}
}

func fmtRule(r int) string { return fmt.Sprintf("rule %d ", r) }

func authDetails(t *testing.T, mut func(m map[string]any)) (*ConsentRequest, error) {
	t.Helper()
	m := obj(t, authorizationDetailJSON)
	if mut != nil {
		mut(m)
	}
	return AuthorizationDetails(mustJSON(t, []any{m}), testNow, Options{})
}

func TestAuthorizationDetailsRules10To16(t *testing.T) {
	c, err := authDetails(t, nil)
	if err != nil {
		t.Fatalf("valid consent rejected: %v", err)
	}
	if c.ConsentID != testConsentID || c.ExpirationDateTime.Year() != 2027 || c.PIIJWE == "" || c.DebtorReference != "Wallet" || *c.IsSingleAuthorization != true {
		t.Fatalf("consent %+v", c)
	}
	c, err = authDetails(t, func(m map[string]any) {
		set(t, m, "consent.AuthorizationExpirationDateTime", "2026-11-22T10:30:00Z")
		set(t, m, "consent.Permissions", []any{"ReadAccountsDetail", "ReadBalances"})
		set(t, m, "consent.BaseConsentId", "0b7e0e1e-1f0a-4d6b-9a36-6d9c1f1b2a3c")
		set(t, m, "consent.SponsoredTPPInformation", map[string]any{"Name": "Sponsor", "Identification": "SP-1"})
		set(t, m, "subscription", map[string]any{"Webhook": map[string]any{"Url": "https://tpp.example/hook", "IsActive": true}})
	})
	if err != nil || c.AuthorizationExpirationDateTime.IsZero() || c.BaseConsentID == "" || c.Subscription == nil {
		t.Fatalf("valid optional members rejected: %v %+v", err, c)
	}

	const p = "authorization_details[0].consent."
	cases := []struct {
		name string
		rule int
		mut  func(m map[string]any)
		path string
	}{
		{"wrong type", 10, func(m map[string]any) { m["type"] = "urn:openfinanceuae:payment-consent:v2.1" }, "authorization_details[0].type"},
		{"unknown consent member", 10, func(m map[string]any) { set(t, m, "consent.OpenFinanceBilling", map[string]any{"Type": "PushP2P"}) }, p + "OpenFinanceBilling"},
		{"miscased member", 10, func(m map[string]any) { set(t, m, "consent.consentId", "x") }, p + "consentId"},
		{"unknown top member", 10, func(m map[string]any) { m["locations"] = []any{"x"} }, "authorization_details[0].locations"},
		{"PII as object", 10, func(m map[string]any) { set(t, m, "consent.PersonalIdentifiableInformation", map[string]any{}) }, p + "PersonalIdentifiableInformation"},
		{"PII missing", 10, func(m map[string]any) { del(t, m, "consent.PersonalIdentifiableInformation") }, p + "PersonalIdentifiableInformation"},
		{"webhook without IsActive", 10, func(m map[string]any) {
			m["subscription"] = map[string]any{"Webhook": map[string]any{"Url": "https://x"}}
		}, "authorization_details[0].subscription.Webhook.IsActive"},
		{"ConsentId not a UUID", 11, func(m map[string]any) { set(t, m, "consent.ConsentId", "consent-1") }, p + "ConsentId"},
		{"ConsentId missing", 11, func(m map[string]any) { del(t, m, "consent.ConsentId") }, p + "ConsentId"},
		{"IsDelegatedAuthentication false", 12, func(m map[string]any) { set(t, m, "consent.ControlParameters.IsDelegatedAuthentication", false) }, p + "ControlParameters.IsDelegatedAuthentication"},
		{"IsDelegatedAuthentication missing", 12, func(m map[string]any) { del(t, m, "consent.ControlParameters.IsDelegatedAuthentication") }, p + "ControlParameters.IsDelegatedAuthentication"},
		{"ConsentSchedule not empty", 12, func(m map[string]any) {
			set(t, m, "consent.ControlParameters.ConsentSchedule", map[string]any{"MultiPayment": map[string]any{}})
		}, p + "ControlParameters.ConsentSchedule"},
		{"ConsentSchedule missing", 12, func(m map[string]any) { del(t, m, "consent.ControlParameters.ConsentSchedule") }, p + "ControlParameters.ConsentSchedule"},
		{"ControlParameters missing", 12, func(m map[string]any) { del(t, m, "consent.ControlParameters") }, p + "ControlParameters"},
		{"expiry without offset", 13, func(m map[string]any) { set(t, m, "consent.ExpirationDateTime", "2027-03-01T00:00:00") }, p + "ExpirationDateTime"},
		{"expiry in the past", 13, func(m map[string]any) { set(t, m, "consent.ExpirationDateTime", "2026-11-22T09:00:00Z") }, p + "ExpirationDateTime"},
		{"expiry one year ahead", 13, func(m map[string]any) { set(t, m, "consent.ExpirationDateTime", "2027-11-22T10:00:00Z") }, p + "ExpirationDateTime"},
		{"auth expiry in the past", 14, func(m map[string]any) { set(t, m, "consent.AuthorizationExpirationDateTime", "2026-11-22T09:59:00Z") }, p + "AuthorizationExpirationDateTime"},
		{"auth expiry after expiry", 14, func(m map[string]any) { set(t, m, "consent.AuthorizationExpirationDateTime", "2027-03-02T00:00:00Z") }, p + "AuthorizationExpirationDateTime"},
		{"purpose lowercase", 15, func(m map[string]any) { set(t, m, "consent.PaymentPurposeCode", "mwp") }, p + "PaymentPurposeCode"},
		{"purpose not AANI", 15, func(m map[string]any) { set(t, m, "consent.PaymentPurposeCode", "ZZZ") }, p + "PaymentPurposeCode"},
		{"purpose missing", 15, func(m map[string]any) { del(t, m, "consent.PaymentPurposeCode") }, p + "PaymentPurposeCode"},
		{"ReadBalances alone", 16, func(m map[string]any) { set(t, m, "consent.Permissions", []any{"ReadBalances"}) }, p + "Permissions"},
		{"unknown permission", 16, func(m map[string]any) { set(t, m, "consent.Permissions", []any{"ReadTransactions"}) }, p + "Permissions"},
		{"duplicate permission", 16, func(m map[string]any) {
			set(t, m, "consent.Permissions", []any{"ReadAccountsBasic", "ReadAccountsBasic"})
		}, p + "Permissions"},
		{"CurrencyRequest present", 16, func(m map[string]any) {
			set(t, m, "consent.CurrencyRequest", map[string]any{"ExtendedPurpose": "x", "CurrencyOfTransfer": "USD"})
		}, p + "CurrencyRequest"},
		{"DebtorReference 36 chars", 16, func(m map[string]any) { set(t, m, "consent.DebtorReference", strings.Repeat("x", 36)) }, p + "DebtorReference"},
		{"CreditorReference empty", 16, func(m map[string]any) { set(t, m, "consent.CreditorReference", "") }, p + "CreditorReference"},
	}
	for _, c := range cases {
		t.Run(fmtRule(c.rule)+c.name, func(t *testing.T) {
			_, err := authDetails(t, c.mut)
			wantViolation(t, err, c.rule, OAuthInvalidRequest, c.path)
		})
	}
	t.Run("rule 10 two elements", func(t *testing.T) {
		one := obj(t, authorizationDetailJSON)
		_, err := AuthorizationDetails(mustJSON(t, []any{one, one}), testNow, Options{})
		wantViolation(t, err, 10, OAuthInvalidRequest, "authorization_details")
	})
	t.Run("rule 10 duplicate key", func(t *testing.T) {
		raw := strings.Replace(authorizationDetailJSON, `"PaymentPurposeCode": "MWP"`, `"PaymentPurposeCode": "MWP", "PaymentPurposeCode": "ACM"`, 1)
		_, err := AuthorizationDetails(json.RawMessage("["+raw+"]"), testNow, Options{})
		wantViolation(t, err, 10, OAuthInvalidRequest, p+"PaymentPurposeCode")
	})
	t.Run("rule 10 empty array", func(t *testing.T) {
		_, err := AuthorizationDetails(json.RawMessage(`[]`), testNow, Options{})
		wantViolation(t, err, 10, OAuthInvalidRequest, "authorization_details")
	})
}

func TestOptionsLeewayAndLifetimes(t *testing.T) {
	if d := DefaultOptions(); d.Leeway != 30e9 || d.MaxClientAssertionLifetime != 300e9 || d.MaxRequestObjectLifetime != 600e9 || len(d.BICs) == 0 {
		t.Fatalf("DefaultOptions = %+v", d)
	}
	m := requestObjectClaimsFixture(t)
	m["nbf"], m["exp"] = unix(20e9), unix(300e9) // 20 s ahead: inside the default 30 s leeway
	if _, err := RequestObject(mustJSON(t, m), testClient(), testIssuer, testNow, Options{}); err != nil {
		t.Fatalf("default leeway not applied: %v", err)
	}
	_, err := RequestObject(mustJSON(t, m), testClient(), testIssuer, testNow, Options{Leeway: -1})
	wantViolation(t, err, 7, OAuthInvalidRequest, "nbf")

	a := clientAssertionFixture(t)
	a["exp"] = unix(120e9)
	_, err = ClientAssertion(mustJSON(t, a), testClientID, testIssuer, testNow, Options{MaxClientAssertionLifetime: 60e9})
	wantViolation(t, err, 4, OAuthInvalidClient, "exp")
	if _, err := ClientAssertion(mustJSON(t, a), testClientID, testIssuer, testNow, Options{}); err != nil {
		t.Fatalf("default lifetime: %v", err)
	}
	// A configured BIC table replaces the default one.
	p := obj(t, paymentPIIJSON)
	set(t, p, "Initiation.CreditorAgent.Identification", "TESTAEAA")
	if _, err := PaymentPII(mustJSON(t, p), testClientID, Options{BICs: map[string]string{"033": "TESTAEAA"}}); err != nil {
		t.Fatalf("configured BIC table ignored: %v", err)
	}
	_, err = PaymentPII(mustJSON(t, p), testClientID, Options{})
	wantViolation(t, err, 19, CodeResourceInvalidFormat, "Initiation.CreditorAgent.Identification")
}
