package sandbox

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
)

// parCase sends a PAR built from a valid request object changed by mutate, and asserts the
// status, the OAuth error and the §11 rule the bank's verdict names.
type parCase struct {
	name     string
	mutate   func(c *tpp, ro map[string]any)
	form     func(c *tpp, f url.Values) // optional change of the form itself
	status   int
	oauthErr string
	rule     int
}

func runPARCases(t *testing.T, b *Bank, c *tpp, cases []parCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ro := c.requestObject(uuid.NewString(), consentPII(creditor(testIBAN, "Ivan England")), testVerifier)
			if tc.mutate != nil {
				tc.mutate(c, ro)
			}
			f := c.parForm(ro)
			if tc.form != nil {
				tc.form(c, f)
			}
			r := c.postForm(c.disc.PAR, f)
			if r.Status != tc.status || r.err() != tc.oauthErr {
				t.Fatalf("got %d %v, want %d %s", r.Status, r.Body, tc.status, tc.oauthErr)
			}
			if got := failedRule(b, r.InteractionID); got != tc.rule {
				t.Fatalf("verdict names rule %d, want %d (%+v)", got, tc.rule, mustVerdict(b, r.InteractionID))
			}
		})
	}
}

func mustVerdict(b *Bank, id string) Verdict { v, _ := b.VerdictFor(id); return v }

func setConsent(k string, v any) func(*tpp, map[string]any) {
	return func(_ *tpp, ro map[string]any) { consentOf(ro)[k] = v }
}

func setClaim(k string, v any) func(*tpp, map[string]any) {
	return func(_ *tpp, ro map[string]any) { ro[k] = v }
}

func delClaim(k string) func(*tpp, map[string]any) {
	return func(_ *tpp, ro map[string]any) { delete(ro, k) }
}

func withPII(pii map[string]any) func(*tpp, map[string]any) {
	return func(c *tpp, ro map[string]any) { consentOf(ro)["PersonalIdentifiableInformation"] = c.seal(pii) }
}

func assertionWith(change func(map[string]any)) func(*tpp, url.Values) {
	return func(c *tpp, f url.Values) {
		cl := c.assertionClaims()
		change(cl)
		f.Set("client_assertion", c.sign(cl))
	}
}

const badReq, badClient, badScope = "invalid_request", "invalid_client", "invalid_scope"

// TestPARRejects covers rules 2–20 at POST /par: one mistake per case.
func TestPARRejects(t *testing.T) {
	b := newBank(t, nil)
	c := newTPP(t, b)
	other := testKey(t)
	now := func() time.Time { return b.Now() }
	manyCreditors := []map[string]any{}
	for range 11 {
		manyCreditors = append(manyCreditors, creditor(testIBAN, "Ivan England"))
	}
	cases := []parCase{
		// Rule 2: form encoding and parameters.
		{"unknown form parameter", nil, func(_ *tpp, f url.Values) { f.Set("prompt", "login") }, 400, badReq, 2},
		{"duplicate form parameter", nil, func(_ *tpp, f url.Values) { f.Add("request", f.Get("request")) }, 400, badReq, 2},
		{"missing request", nil, func(_ *tpp, f url.Values) { f.Del("request") }, 400, badReq, 2},
		// Rule 3: assertion type, alg, key.
		{"wrong client_assertion_type", nil, func(_ *tpp, f url.Values) { f.Set("client_assertion_type", "urn:x") }, 400, badClient, 3},
		{"assertion RS256", nil, func(c *tpp, f url.Values) {
			f.Set("client_assertion", signWith(t, c.sig, c.sigKID, jose.RS256, c.assertionClaims()))
		}, 400, badClient, 3},
		{"assertion signed by an unregistered key", nil, func(c *tpp, f url.Values) {
			f.Set("client_assertion", signWith(t, other, c.sigKID, jose.PS256, c.assertionClaims()))
		}, 400, badClient, 3},
		{"assertion unknown kid", nil, func(c *tpp, f url.Values) {
			f.Set("client_assertion", signWith(t, c.sig, "nope", jose.PS256, c.assertionClaims()))
		}, 400, badClient, 3},
		// Rule 4: assertion claims.
		{"assertion sub differs", nil, assertionWith(func(m map[string]any) { m["sub"] = "someone" }), 400, badClient, 4},
		{"assertion aud is the PAR URL", nil, assertionWith(func(m map[string]any) { m["aud"] = c.disc.PAR }), 400, badClient, 4},
		{"assertion lives over 300s", nil, assertionWith(func(m map[string]any) { m["exp"] = now().Unix() + 301 }), 400, badClient, 4},
		{"assertion expired", nil, assertionWith(func(m map[string]any) { m["exp"] = now().Unix() - 60; m["iat"] = now().Unix() - 120 }), 400, badClient, 4},
		{"assertion without jti", nil, assertionWith(func(m map[string]any) { delete(m, "jti") }), 400, badClient, 4},
		{"form client_id differs", nil, func(_ *tpp, f url.Values) { f.Set("client_id", "other") }, 400, badClient, 4},
		// Rule 5: the request object's JOSE.
		{"request object RS256", nil, func(c *tpp, f url.Values) {
			ro := c.requestObject(uuid.NewString(), consentPII(), testVerifier)
			f.Set("request", signWith(t, c.sig, c.sigKID, jose.RS256, ro))
		}, 400, badReq, 5},
		{"request object encrypted", nil, func(c *tpp, f url.Values) {
			f.Set("request", c.sealWith(f.Get("request"), jose.RSA_OAEP_256, c.encKey, c.encKID))
		}, 400, badReq, 5},
		{"request object signed by another key", nil, func(c *tpp, f url.Values) {
			ro := c.requestObject(uuid.NewString(), consentPII(), testVerifier)
			f.Set("request", signWith(t, other, c.sigKID, jose.PS256, ro))
		}, 400, badReq, 5},
		// Rule 6: claims.
		{"nonce missing", delClaim("nonce"), nil, 400, badReq, 6},
		{"state missing", delClaim("state"), nil, 400, badReq, 6},
		{"aud is an array", setClaim("aud", []string{"x"}), nil, 400, badReq, 6},
		{"aud is the token URL", func(c *tpp, ro map[string]any) { ro["aud"] = c.disc.Token }, nil, 400, badReq, 6},
		{"iss is not the client", setClaim("iss", "someone"), nil, 400, badReq, 6},
		{"unknown claim", setClaim("prompt", "consent"), nil, 400, badReq, 6},
		// Rule 7: lifetime.
		{"nbf in the future", func(_ *tpp, ro map[string]any) { ro["nbf"] = now().Unix() + 120; ro["exp"] = now().Unix() + 400 }, nil, 400, badReq, 7},
		{"exp − nbf over 600s", func(_ *tpp, ro map[string]any) { ro["exp"] = now().Unix() + 700 }, nil, 400, badReq, 7},
		{"nbf over 10 min old", func(_ *tpp, ro map[string]any) { ro["nbf"] = now().Unix() - 700; ro["exp"] = now().Unix() + 10 }, nil, 400, badReq, 7},
		{"expired", func(_ *tpp, ro map[string]any) { ro["nbf"] = now().Unix() - 400; ro["exp"] = now().Unix() - 100 }, nil, 400, badReq, 7},
		// Rule 8.
		{"response_type token", setClaim("response_type", "token"), nil, 400, badReq, 8},
		{"PKCE plain", setClaim("code_challenge_method", "plain"), nil, 400, badReq, 8},
		{"code_challenge too short", setClaim("code_challenge", "abc"), nil, 400, badReq, 8},
		{"max_age over 3600", setClaim("max_age", 7200), nil, 400, badReq, 8},
		{"redirect_uri not registered", setClaim("redirect_uri", "https://evil.example/cb"), nil, 400, badReq, 8},
		{"redirect_uri with a trailing slash", setClaim("redirect_uri", "https://tpp.example/cb/"), nil, 400, badReq, 8},
		{"loopback on another path", setClaim("redirect_uri", "http://127.0.0.1:4000/other"), nil, 400, badReq, 8},
		{"loopback by hostname", setClaim("redirect_uri", "http://localhost:4000/callback"), nil, 400, badReq, 8},
		// Rule 9.
		{"scope without openid", setClaim("scope", "payments"), nil, 400, badScope, 9},
		{"scope with an unknown value", setClaim("scope", "payments openid email"), nil, 400, badScope, 9},
		{"accounts scope without BDSP", setClaim("scope", "accounts payments openid"), nil, 400, badScope, 9},
		// Rule 10.
		{"two authorization_details", func(_ *tpp, ro map[string]any) {
			ad := ro["authorization_details"].([]any)
			ro["authorization_details"] = append(ad, ad[0])
		}, nil, 400, badReq, 10},
		{"wrong RAR type", func(_ *tpp, ro map[string]any) {
			ro["authorization_details"].([]any)[0].(map[string]any)["type"] = "urn:openfinanceuae:payment-consent:v2.1"
		}, nil, 400, badReq, 10},
		{"unknown consent field", setConsent("OpenFinanceBilling", map[string]any{"Type": "PushP2P"}), nil, 400, badReq, 10},
		// Rule 11.
		{"ConsentId not a UUID", setConsent("ConsentId", "consent-1"), nil, 400, badReq, 11},
		// Rule 12.
		{"IsDelegatedAuthentication false", setConsent("ControlParameters", map[string]any{"IsDelegatedAuthentication": false, "ConsentSchedule": map[string]any{}}), nil, 400, badReq, 12},
		{"IsDelegatedAuthentication missing", setConsent("ControlParameters", map[string]any{"ConsentSchedule": map[string]any{}}), nil, 400, badReq, 12},
		{"ConsentSchedule not empty", setConsent("ControlParameters", map[string]any{"IsDelegatedAuthentication": true,
			"ConsentSchedule": map[string]any{"SinglePayment": map[string]any{}}}), nil, 400, badReq, 12},
		// Rule 13.
		{"expiry a year ahead", func(_ *tpp, ro map[string]any) {
			consentOf(ro)["ExpirationDateTime"] = now().AddDate(1, 0, 1).UTC().Format(time.RFC3339)
		}, nil, 400, badReq, 13},
		{"expiry in the past", func(_ *tpp, ro map[string]any) {
			consentOf(ro)["ExpirationDateTime"] = now().Add(-time.Hour).UTC().Format(time.RFC3339)
		}, nil, 400, badReq, 13},
		{"expiry without offset", func(_ *tpp, ro map[string]any) {
			consentOf(ro)["ExpirationDateTime"] = now().AddDate(0, 1, 0).UTC().Format("2006-01-02T15:04:05")
		}, nil, 400, badReq, 13},
		// Rule 14.
		{"authorization expiry after expiry", func(_ *tpp, ro map[string]any) {
			consentOf(ro)["AuthorizationExpirationDateTime"] = now().AddDate(0, 7, 0).UTC().Format(time.RFC3339)
		}, nil, 400, badReq, 14},
		// Rule 15.
		{"purpose code not AANI", setConsent("PaymentPurposeCode", "XYZ"), nil, 400, badReq, 15},
		{"purpose code lowercase", setConsent("PaymentPurposeCode", "tof"), nil, 400, badReq, 15},
		// Rule 16.
		{"ReadBalances alone", func(_ *tpp, ro map[string]any) {
			consentOf(ro)["Permissions"] = []string{"ReadBalances"}
		}, nil, 400, badReq, 16},
		{"CurrencyRequest present", setConsent("CurrencyRequest", map[string]any{"CurrencyOfTransfer": "USD"}), nil, 400, badReq, 16},
		{"DebtorReference over 35", setConsent("DebtorReference", strings.Repeat("x", 36)), nil, 400, badReq, 16},
		// Rule 17: PII JOSE.
		{"PII with RSA-OAEP", func(c *tpp, ro map[string]any) {
			consentOf(ro)["PersonalIdentifiableInformation"] = c.sealWith(c.sign(consentPII()), jose.RSA_OAEP, c.encKey, c.encKID)
		}, nil, 400, badReq, 17},
		{"PII to a stale kid", func(c *tpp, ro map[string]any) {
			consentOf(ro)["PersonalIdentifiableInformation"] = c.sealWith(c.sign(consentPII()), jose.RSA_OAEP_256, c.encKey, "stale-kid")
		}, nil, 400, badReq, 17},
		{"PII encrypted to another key", func(c *tpp, ro map[string]any) {
			consentOf(ro)["PersonalIdentifiableInformation"] = c.sealWith(c.sign(consentPII()), jose.RSA_OAEP_256, &other.PublicKey, c.encKID)
		}, nil, 400, badReq, 17},
		{"PII not signed", func(c *tpp, ro map[string]any) {
			consentOf(ro)["PersonalIdentifiableInformation"] = c.sealWith(`{"Risk":{}}`, jose.RSA_OAEP_256, c.encKey, c.encKID)
		}, nil, 400, badReq, 17},
		{"PII signed by another key", func(c *tpp, ro map[string]any) {
			consentOf(ro)["PersonalIdentifiableInformation"] = c.sealWith(signWith(t, other, c.sigKID, jose.PS256, consentPII()), jose.RSA_OAEP_256, c.encKey, c.encKID)
		}, nil, 400, badReq, 17},
		// Rule 18: consent PII schema.
		{"empty Creditor array", withPII(map[string]any{"Initiation": map[string]any{"Creditor": []any{}}, "Risk": map[string]any{}}), nil, 400, badReq, 18},
		{"eleven creditors", withPII(consentPII(manyCreditors...)), nil, 400, badReq, 18},
		{"no Risk", withPII(map[string]any{"Initiation": map[string]any{"Creditor": []any{creditor(testIBAN, "A")}}}), nil, 400, badReq, 18},
		{"DebtorAccount with a bad IBAN", withPII(map[string]any{"Initiation": map[string]any{"DebtorAccount": map[string]any{
			"SchemeName": "IBAN", "Identification": "AE070331234567890123457", "Name": map[string]any{"en": "Me"}}}, "Risk": map[string]any{}}), nil, 400, badReq, 18},
		{"unknown PII field", withPII(map[string]any{"Initiation": map[string]any{"Creditor": []any{creditor(testIBAN, "A")}}, "Risk": map[string]any{}, "Extra": 1}), nil, 400, badReq, 18},
		// Rule 19: creditors.
		{"creditor IBAN checksum", withPII(consentPII(creditor("AE140260123456789012345", "A"))), nil, 400, badReq, 19},
		{"creditor IBAN lowercase", withPII(consentPII(creditor("ae070331234567890123456", "A"))), nil, 400, badReq, 19},
		{"creditor IBAN with spaces", withPII(consentPII(creditor("AE07 0331 2345 6789 0123 456", "A"))), nil, 400, badReq, 19},
		{"creditor without a name", withPII(consentPII(map[string]any{"CreditorAccount": map[string]any{"SchemeName": "IBAN", "Identification": testIBAN, "Name": map[string]any{}}})), nil, 400, badReq, 19},
		{"creditor BIC of another bank", withPII(consentPII(map[string]any{"CreditorAccount": map[string]any{"SchemeName": "IBAN", "Identification": testIBAN, "Name": map[string]any{"en": "A"}},
			"CreditorAgent": map[string]any{"SchemeName": "BICFI", "Identification": "ADCBAEAA"}})), nil, 400, badReq, 19},
		// Rule 20: consent Risk.
		{"Risk unknown field", withPII(map[string]any{"Risk": map[string]any{"Foo": 1}}), nil, 400, badReq, 20},
		{"Risk SupplementaryData not empty", withPII(map[string]any{"Risk": map[string]any{"TransactionIndicators": map[string]any{"SupplementaryData": map[string]any{"x": 1}}}}), nil, 400, badReq, 20},
		{"Risk enum value", withPII(map[string]any{"Risk": map[string]any{"TransactionIndicators": map[string]any{"Channel": "CLI"}}}), nil, 400, badReq, 20},
	}
	runPARCases(t, b, c, cases)
}

// TestPARAcceptsTolerated: iat and jti in the request object pass with a warning ([SIM-CHOICE]).
func TestPARAcceptsTolerated(t *testing.T) {
	b := newBank(t, nil)
	c := newTPP(t, b)
	ro := c.requestObject(uuid.NewString(), consentPII(), testVerifier)
	ro["iat"], ro["jti"] = b.Now().Unix(), uuid.NewString()
	r := c.par(ro)
	if r.Status != http.StatusOK {
		t.Fatalf("PAR with iat/jti: %d %v", r.Status, r.Body)
	}
	v := mustVerdict(b, r.InteractionID)
	warned := false
	for _, ch := range v.Checks {
		warned = warned || strings.HasPrefix(ch.Name, "warning:")
	}
	if !warned {
		t.Fatalf("no warning in verdict %+v", v)
	}
}

// TestPARAssertionReplay: rule 4's jti replay cache.
func TestPARAssertionReplay(t *testing.T) {
	b := newBank(t, nil)
	c := newTPP(t, b)
	f := c.parForm(c.requestObject(uuid.NewString(), consentPII(), testVerifier))
	if r := c.postForm(c.disc.PAR, f); r.Status != http.StatusOK {
		t.Fatalf("first PAR: %d %v", r.Status, r.Body)
	}
	f.Set("request", c.sign(c.requestObject(uuid.NewString(), consentPII(), testVerifier)))
	r := c.postForm(c.disc.PAR, f)
	if r.Status != http.StatusBadRequest || r.err() != badClient || failedRule(b, r.InteractionID) != 4 {
		t.Fatalf("replayed assertion: %d %v", r.Status, r.Body)
	}
}

// TestPARConsentIdReuse: rule 11, a ConsentId is used once.
func TestPARConsentIdReuse(t *testing.T) {
	b := newBank(t, nil)
	c := newTPP(t, b)
	id := uuid.NewString()
	if r := c.par(c.requestObject(id, consentPII(), testVerifier)); r.Status != http.StatusOK {
		t.Fatalf("first PAR: %d %v", r.Status, r.Body)
	}
	r := c.par(c.requestObject(id, consentPII(), testVerifier))
	if r.Status != http.StatusBadRequest || r.err() != badReq || failedRule(b, r.InteractionID) != 11 {
		t.Fatalf("reused ConsentId: %d %v", r.Status, r.Body)
	}
}

// TestPARWrongContentTypeAndInteractionID: rule 2 content type; DSCA #12 interaction id.
func TestPARWrongContentTypeAndInteractionID(t *testing.T) {
	b := newBank(t, nil)
	c := newTPP(t, b)
	f := c.parForm(c.requestObject(uuid.NewString(), consentPII(), testVerifier))
	req, _ := http.NewRequest(http.MethodPost, c.disc.PAR, strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-fapi-interaction-id", uuid.NewString())
	if r := c.doOAuth(req); r.Status != 400 || r.err() != badReq || failedRule(b, r.InteractionID) != 2 {
		t.Fatalf("JSON content type: %d %v", r.Status, r.Body)
	}
	req, _ = http.NewRequest(http.MethodPost, c.disc.PAR, strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("x-fapi-interaction-id", "not-a-uuid")
	if r := c.doOAuth(req); r.Status != 400 || r.err() != badReq {
		t.Fatalf("bad interaction id: %d %v", r.Status, r.Body)
	}
}

// TestMTLSRequired: rule 1 on the AS and the resource server.
func TestMTLSRequired(t *testing.T) {
	b := newBank(t, nil)
	c := newTPP(t, b)
	ro := c.requestObject(uuid.NewString(), consentPII(), testVerifier)

	noCert := c.mtlsClient(nil, nil)
	req, _ := http.NewRequest(http.MethodPost, c.disc.PAR, strings.NewReader(c.parForm(ro).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := noCert.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("PAR without a client certificate: %d", resp.StatusCode)
	}
	resp, err = noCert.Get(b.ResourceBaseURL() + "/payments/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("resource without a client certificate: %d", resp.StatusCode)
	}

	// A sandbox-CA certificate whose CN is not a registered client.
	k := testKey(t)
	certPEM, _, err := b.ca.issueClientCert("not-registered", "Nobody", &k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	stranger := c.mtlsClient(certPEM, k)
	req, _ = http.NewRequest(http.MethodPost, c.disc.PAR, strings.NewReader(c.parForm(ro).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = stranger.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unregistered CN: %d", resp.StatusCode)
	}

	// A certificate from another CA fails the TLS handshake.
	foreign := selfSigned(t, k, c.id)
	req, _ = http.NewRequest(http.MethodPost, c.disc.PAR, strings.NewReader(c.parForm(ro).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	forced := c.mtlsClient(foreign, k)
	tr := forced.Transport.(*http.Transport)
	pair := tr.TLSClientConfig.Certificates[0]
	tr.TLSClientConfig.Certificates = nil // Go would not offer a certificate the server's CA list excludes; force it
	tr.TLSClientConfig.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &pair, nil }
	if resp, err := forced.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("foreign-CA certificate accepted with status %d", resp.StatusCode)
	}
}

func selfSigned(t *testing.T, k *rsa.PrivateKey, cn string) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: cn}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
