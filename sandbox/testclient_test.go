package sandbox

// A small, independent TPP written directly with go-jose for the sandbox's own tests. It
// shares nothing with the wallet's client packages on purpose.

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
)

const (
	testIBAN  = "AE070331234567890123456"
	testIBAN2 = "AE630330000010123456789"
	loopback  = "http://127.0.0.1/callback"
)

func testKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	return k
}

type discovery struct {
	Issuer        string `json:"issuer"`
	Authorization string `json:"authorization_endpoint"`
	PAR           string `json:"pushed_authorization_request_endpoint"`
	Token         string `json:"token_endpoint"`
	JWKSURI       string `json:"jwks_uri"`
}

type tpp struct {
	t        testing.TB
	bank     *Bank
	id       string
	name     string
	sig      *rsa.PrivateKey
	sigKID   string
	certPEM  []byte
	transKey *rsa.PrivateKey
	http     *http.Client
	disc     discovery
	encKey   *rsa.PublicKey
	encKID   string
	bankSig  map[string]*rsa.PublicKey
	redirect string
}

func kidOf(t testing.TB, pub *rsa.PublicKey) string {
	t.Helper()
	tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(tp)
}

// newTPP registers a client (Go API, with a CSR) and builds its mTLS HTTP client.
func newTPP(t testing.TB, b *Bank) *tpp {
	t.Helper()
	return newTPPWithRoles(t, b)
}

// newTPPWithRoles registers a client with Trust Framework roles (none = the default BSIP).
func newTPPWithRoles(t testing.TB, b *Bank, roles ...string) *tpp {
	t.Helper()
	c := &tpp{t: t, bank: b, name: "Test Wallet", sig: testKey(t), transKey: testKey(t), redirect: "http://127.0.0.1:53682/callback"}
	c.sigKID = kidOf(t, &c.sig.PublicKey)
	csrDER, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "ignored"}}, c.transKey)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := b.Register(ClientRegistration{
		Name:         c.name,
		SigningJWKS:  c.jwks(),
		RedirectURIs: []string{loopback, "https://tpp.example/cb"},
		CSRPEM:       string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csrDER})),
		Roles:        roles,
	})
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	c.id, c.certPEM = reg.ClientID, []byte(reg.TransportCertPEM)
	c.http = c.mtlsClient(c.certPEM, c.transKey)
	c.discover()
	return c
}

func (c *tpp) jwks() json.RawMessage {
	raw, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &c.sig.PublicKey, KeyID: c.sigKID, Use: "sig", Algorithm: "PS256"}}})
	if err != nil {
		c.t.Fatal(err)
	}
	return raw
}

func (c *tpp) mtlsClient(certPEM []byte, key *rsa.PrivateKey) *http.Client {
	cfg := &tls.Config{RootCAs: c.bank.RootCAs(), MinVersion: tls.VersionTLS12}
	if certPEM != nil {
		keyDER, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			c.t.Fatal(err)
		}
		pair, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
		if err != nil {
			c.t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return &http.Client{
		Transport:     &http.Transport{TLSClientConfig: cfg, MaxIdleConnsPerHost: 4},
		Timeout:       20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func (c *tpp) discover() {
	resp, err := c.http.Get(c.bank.DiscoveryURL())
	if err != nil {
		c.t.Fatalf("discovery: %v", err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&c.disc); err != nil {
		c.t.Fatalf("discovery: %v", err)
	}
	c.loadJWKS()
}

func (c *tpp) loadJWKS() {
	resp, err := c.http.Get(c.disc.JWKSURI)
	if err != nil {
		c.t.Fatalf("jwks: %v", err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		c.t.Fatalf("jwks: %v", err)
	}
	c.bankSig = map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		pub := k.Key.(*rsa.PublicKey)
		switch k.Use {
		case "enc":
			c.encKey, c.encKID = pub, k.KeyID
		case "sig":
			c.bankSig[k.KeyID] = pub
		}
	}
}

// sign makes a compact PS256 JWS of claims with the client's key.
func (c *tpp) sign(claims any) string {
	return signWith(c.t, c.sig, c.sigKID, jose.PS256, claims)
}

func signWith(t testing.TB, key any, kid string, alg jose.SignatureAlgorithm, claims any) string {
	t.Helper()
	payload, ok := claims.([]byte)
	if !ok {
		var err error
		if payload, err = json.Marshal(claims); err != nil {
			t.Fatal(err)
		}
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// seal signs v and encrypts the JWS to the bank's enc key (RSA-OAEP-256 + A256GCM).
func (c *tpp) seal(v any) string {
	return c.sealWith(c.sign(v), jose.RSA_OAEP_256, c.encKey, c.encKID)
}

func (c *tpp) sealWith(plaintext string, alg jose.KeyAlgorithm, key *rsa.PublicKey, kid string) string {
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: alg, Key: key, KeyID: kid}, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	obj, err := enc.Encrypt([]byte(plaintext))
	if err != nil {
		c.t.Fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		c.t.Fatal(err)
	}
	return out
}

func (c *tpp) assertionClaims() map[string]any {
	now := c.bank.Now().Unix()
	return map[string]any{"iss": c.id, "sub": c.id, "aud": c.disc.Issuer, "iat": now, "exp": now + 300, "jti": uuid.NewString()}
}

func (c *tpp) assertion() string { return c.sign(c.assertionClaims()) }

func creditor(iban, name string) map[string]any {
	return map[string]any{"CreditorAccount": map[string]any{"SchemeName": "IBAN", "Identification": iban, "Name": map[string]any{"en": name}}}
}

func consentPII(creditors ...map[string]any) map[string]any {
	pii := map[string]any{"Risk": map[string]any{}}
	if len(creditors) > 0 {
		list := []any{}
		for _, c := range creditors {
			list = append(list, c)
		}
		pii["Initiation"] = map[string]any{"Creditor": list}
	}
	return pii
}

// requestObject returns valid request-object claims for a new DSCA consent; tests mutate them.
func (c *tpp) requestObject(consentID string, pii map[string]any, verifier string) map[string]any {
	now := c.bank.Now()
	sum := sha256.Sum256([]byte(verifier))
	return map[string]any{
		"iss": c.id, "aud": c.disc.Issuer, "nbf": now.Unix() - 10, "exp": now.Unix() + 300,
		"client_id": c.id, "response_type": "code", "redirect_uri": c.redirect, "scope": "payments openid",
		"code_challenge": base64.RawURLEncoding.EncodeToString(sum[:]), "code_challenge_method": "S256",
		"state": uuid.NewString(), "nonce": uuid.NewString(),
		"authorization_details": []any{map[string]any{
			"type": "urn:openfinanceuae:service-initiation-consent:v2.1",
			"consent": map[string]any{
				"ConsentId":                       consentID,
				"IsSingleAuthorization":           true,
				"ExpirationDateTime":              now.AddDate(0, 6, 0).UTC().Format(time.RFC3339),
				"ControlParameters":               map[string]any{"IsDelegatedAuthentication": true, "ConsentSchedule": map[string]any{}},
				"PersonalIdentifiableInformation": c.seal(pii),
				"PaymentPurposeCode":              "TOF",
			},
		}},
	}
}

// consentOf digs the consent object out of request-object claims (for mutation).
func consentOf(ro map[string]any) map[string]any {
	return ro["authorization_details"].([]any)[0].(map[string]any)["consent"].(map[string]any)
}

type oauthResp struct {
	Status        int
	Body          map[string]any
	Header        http.Header
	InteractionID string
}

func (r oauthResp) err() string { s, _ := r.Body["error"].(string); return s }

func (c *tpp) postForm(endpoint string, form url.Values) oauthResp {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("x-fapi-interaction-id", uuid.NewString())
	return c.doOAuth(req)
}

func (c *tpp) doOAuth(req *http.Request) oauthResp {
	c.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s: %v", req.URL.Path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := oauthResp{Status: resp.StatusCode, Header: resp.Header, Body: map[string]any{}, InteractionID: req.Header.Get("x-fapi-interaction-id")}
	_ = json.Unmarshal(raw, &out.Body)
	return out
}

func (c *tpp) parForm(ro any) url.Values {
	return url.Values{
		"request":               {c.sign(ro)},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {c.assertion()},
		"client_id":             {c.id},
	}
}

func (c *tpp) par(ro any) oauthResp { return c.postForm(c.disc.PAR, c.parForm(ro)) }

// authorizeURL is the front-channel URL with exactly the four parameters.
func (c *tpp) authorizeURL(requestURI string) string {
	q := url.Values{"client_id": {c.id}, "response_type": {"code"}, "scope": {"openid"}, "request_uri": {requestURI}}
	return c.disc.Authorization + "?" + q.Encode()
}

var hiddenField = regexp.MustCompile(`name="(session|csrf)" value="([^"]+)"`)

// approve drives the consent page like a browser without JavaScript: GET, then the form post.
// It returns the callback query.
func (c *tpp) approve(requestURI, decision string, extra url.Values) url.Values {
	c.t.Helper()
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(c.authorizeURL(requestURI))
	if err != nil {
		c.t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("authorize page: %d %s", resp.StatusCode, page)
	}
	form := url.Values{"decision": {decision}}
	for _, m := range hiddenField.FindAllStringSubmatch(string(page), -1) {
		form.Set(m[1], m[2])
	}
	for k, v := range extra {
		form[k] = v
	}
	resp, err = browser.PostForm(strings.TrimSuffix(c.disc.Authorization, "/authorize")+"/authorize/decision", form)
	if err != nil {
		c.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("decision: status %d", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		c.t.Fatal(err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != c.redirect {
		c.t.Fatalf("redirected to %s, want %s", got, c.redirect)
	}
	return loc.Query()
}

func (c *tpp) tokenForm(grant string, kv ...string) url.Values {
	f := url.Values{"grant_type": {grant}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion": {c.assertion()}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

// consent is a consent taken to Authorized, with its tokens.
type consent struct {
	id, access, refresh string
}

const testVerifier = "verifier-0123456789-0123456789-0123456789-abcdef"

// authorizedConsent runs PAR → page approve → token for pii.
func (c *tpp) authorizedConsent(pii map[string]any) consent {
	c.t.Helper()
	id := uuid.NewString()
	ro := c.requestObject(id, pii, testVerifier)
	r := c.par(ro)
	if r.Status != http.StatusOK {
		c.t.Fatalf("PAR: %d %v", r.Status, r.Body)
	}
	cb := c.approve(r.Body["request_uri"].(string), "approve", nil)
	if cb.Get("state") != ro["state"] || cb.Get("iss") != c.disc.Issuer || cb.Get("code") == "" {
		c.t.Fatalf("callback: %v", cb)
	}
	tr := c.postForm(c.disc.Token, c.tokenForm("authorization_code", "code", cb.Get("code"), "redirect_uri", c.redirect, "code_verifier", testVerifier))
	if tr.Status != http.StatusOK {
		c.t.Fatalf("token: %d %v", tr.Status, tr.Body)
	}
	return consent{id: id, access: tr.Body["access_token"].(string), refresh: tr.Body["refresh_token"].(string)}
}

func (c *tpp) clientCredentials() string {
	c.t.Helper()
	tr := c.postForm(c.disc.Token, c.tokenForm("client_credentials", "scope", "payments"))
	if tr.Status != http.StatusOK {
		c.t.Fatalf("client_credentials: %d %v", tr.Status, tr.Body)
	}
	return tr.Body["access_token"].(string)
}

func paymentRisk(at time.Time) map[string]any {
	return map[string]any{"DebtorIndicators": map[string]any{"Authentication": map[string]any{
		"AuthenticationChannel": "App",
		"PossessionFactor":      map[string]any{"IsUsed": true, "Type": "TrustedDevice"},
		"KnowledgeFactor":       map[string]any{"IsUsed": true, "Type": "PIN"},
		"ChallengeOutcome":      "Pass",
		"AuthenticationFlow":    "MFA",
		"AuthenticationValue":   "eyJhbGciOiJQUzI1NiJ9.e30.c2ln",
		"ChallengeDateTime":     at.UTC().Format(time.RFC3339),
	}}}
}

func paymentPII(c *tpp, cred map[string]any) map[string]any {
	return map[string]any{"Initiation": cred, "Risk": paymentRisk(c.bank.Now())}
}

// paymentClaims are valid POST /payments body claims; tests mutate them.
func (c *tpp) paymentClaims(consentID, amount string, pii map[string]any) map[string]any {
	now := c.bank.Now().Unix()
	return map[string]any{
		"iss": c.id, "aud": []string{c.disc.Issuer}, "iat": now, "nbf": now - 10, "exp": now + 300,
		"message": map[string]any{"Data": map[string]any{
			"ConsentId":                       consentID,
			"Instruction":                     map[string]any{"Amount": map[string]any{"Amount": amount, "Currency": "AED"}},
			"PersonalIdentifiableInformation": c.seal(pii),
			"PaymentPurposeCode":              "TOF",
			"OpenFinanceBilling":              map[string]any{"Type": "PushP2P"},
		}},
	}
}

func paymentHeaders(key string) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/jwt")
	h.Set("x-idempotency-key", key)
	h.Set("x-fapi-interaction-id", uuid.NewString())
	h.Set("x-fapi-auth-date", time.Now().UTC().Add(-time.Minute).Format(http.TimeFormat))
	h.Set("x-fapi-customer-ip-address", "127.0.0.1")
	h.Set("x-customer-user-agent", "sandbox-test/1")
	return h
}

type rsResp struct {
	InteractionID string
	Status        int
	Header        http.Header
	Raw           []byte
	Claims        map[string]any // verified JWT payload (nil when no body)
}

func (r rsResp) message() map[string]any { m, _ := r.Claims["message"].(map[string]any); return m }

func (r rsResp) data() map[string]any { d, _ := r.message()["Data"].(map[string]any); return d }

// errorCode is message.Errors[0].Code of a signed error.
func (r rsResp) errorCode() string {
	errs, _ := r.message()["Errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	code, _ := errs[0].(map[string]any)["Code"].(string)
	return code
}

func (c *tpp) rs(method, path, token string, h http.Header, body string) rsResp {
	c.t.Helper()
	u := c.bank.ResourceBaseURL() + path
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if req.Header.Get("x-fapi-interaction-id") == "" {
		req.Header.Set("x-fapi-interaction-id", uuid.NewString())
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := rsResp{Status: resp.StatusCode, Header: resp.Header, Raw: raw, InteractionID: req.Header.Get("x-fapi-interaction-id")}
	if resp.Header.Get("x-fapi-interaction-id") == "" {
		c.t.Errorf("%s %s: no x-fapi-interaction-id echoed", method, path)
	}
	if len(raw) > 0 {
		out.Claims = c.verifyBank(string(raw))
	}
	return out
}

// verifyBank checks a bank response JWS (PS256, kid from the JWKS) and returns its claims.
func (c *tpp) verifyBank(compact string) map[string]any {
	c.t.Helper()
	jws, err := jose.ParseSignedCompact(compact, []jose.SignatureAlgorithm{jose.PS256})
	if err != nil {
		c.t.Fatalf("response is not a PS256 JWS: %v (%.80q)", err, compact)
	}
	kid := jws.Signatures[0].Header.KeyID
	pub, ok := c.bankSig[kid]
	if !ok {
		c.t.Fatalf("response kid %q not in the bank JWKS", kid)
	}
	payload, err := jws.Verify(pub)
	if err != nil {
		c.t.Fatalf("response signature: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		c.t.Fatal(err)
	}
	return claims
}

func (c *tpp) pay(token, key string, claims any) rsResp {
	c.t.Helper()
	return c.rs(http.MethodPost, "/payments", token, paymentHeaders(key), c.sign(claims))
}

func (c *tpp) revoke(token, consentID string) rsResp {
	now := c.bank.Now().Unix()
	body := c.sign(map[string]any{"iss": c.id, "aud": []string{c.disc.Issuer}, "jti": uuid.NewString(), "iat": now, "nbf": now - 10, "exp": now + 300,
		"message": map[string]any{"Data": map[string]any{"Status": "Revoked", "RevokedBy": "TPP.InitiatedByUser"}}})
	h := http.Header{}
	h.Set("Content-Type", "application/jwt")
	return c.rs(http.MethodPatch, "/payment-consents/"+consentID, token, h, body)
}

// newBank starts a bank in a temp dir and closes it with the test.
func newBank(t testing.TB, mod func(*Config)) *Bank {
	t.Helper()
	// The tests written before Confirmation of Payee pay open consents' payees without it;
	// rule 41's own tests (cop_test.go) turn it back on.
	cfg := Config{DataDir: t.TempDir(), SettleAfter: 2 * time.Second, CreditAfter: 4 * time.Second, AllowUnconfirmedCreditors: true}
	if mod != nil {
		mod(&cfg)
	}
	b, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := b.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// failedRule returns the rule number of the first failed check in the bank's verdict for an
// interaction (-1 when there is no verdict or nothing failed).
func failedRule(b *Bank, interactionID string) int {
	v, ok := b.VerdictFor(interactionID)
	if !ok {
		return -1
	}
	for _, c := range v.Checks {
		if !c.Passed {
			return c.Rule
		}
	}
	return -1
}
