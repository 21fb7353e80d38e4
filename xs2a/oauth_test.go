package xs2a

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// authServer is a fake OAuth authorization server (RFC 8414 metadata and a token endpoint
// that requires the client certificate), written for these tests; it shares nothing with
// sandbox/xs2a.
type authServer struct {
	t        *testing.T
	srv      *httptest.Server
	mu       sync.Mutex
	metadata string // "" → the default document
	token    answer
	gotForm  url.Values
	gotCert  *x509.Certificate
	gotCType string
}

func newAuthServer(t *testing.T) *authServer {
	a := &authServer{t: t}
	a.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		defer a.mu.Unlock()
		switch {
		case r.Method == "GET" && r.URL.Path == wellKnownOAuth:
			w.Header().Set("Content-Type", "application/json")
			md := a.metadata
			if md == "" {
				md = a.defaultMetadata()
			}
			io.WriteString(w, md)
		case r.Method == "POST" && r.URL.Path == "/oauth/token":
			if len(r.TLS.PeerCertificates) > 0 {
				a.gotCert = r.TLS.PeerCertificates[0]
			}
			a.gotCType = r.Header.Get("Content-Type")
			raw, _ := io.ReadAll(r.Body)
			a.gotForm, _ = url.ParseQuery(string(raw))
			if a.token.header["Content-Type"] == "" {
				w.Header().Set("Content-Type", "application/json")
			}
			for k, v := range a.token.header {
				w.Header().Set(k, v)
			}
			w.WriteHeader(a.token.status)
			io.WriteString(w, a.token.body)
		default:
			t.Errorf("auth server: unexpected %s %s", r.Method, r.URL.Path)
			w.WriteHeader(404)
		}
	}))
	a.srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	a.srv.StartTLS()
	t.Cleanup(a.srv.Close)
	return a
}

func (a *authServer) defaultMetadata() string {
	return `{"issuer":"` + a.srv.URL + `","authorization_endpoint":"http://127.0.0.1:4444/oauth/authorize?lang=en","token_endpoint":"` + a.srv.URL + `/oauth/token",` +
		`"response_types_supported":["code"],"grant_types_supported":["authorization_code"],"code_challenge_methods_supported":["S256"],` +
		`"token_endpoint_auth_methods_supported":["tls_client_auth"],"scopes_supported":["PIS:<paymentId>"],"unknown_member":{"x":1}}`
}

// oauthClient is a BOG client whose HTTP client presents tppCert to the auth server.
func oauthClient(t *testing.T, a *authServer, mod func(*Config)) (*Client, *[]Exchange) {
	k, c := qsealc(t)
	roots := x509.NewCertPool()
	roots.AddCert(a.srv.Certificate())
	hc, err := NewMTLSClient(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}), k, roots)
	if err != nil {
		t.Fatal(err)
	}
	var exs []Exchange
	cfg := Config{Profile: BankOfGeorgia(), BaseURL: "https://api.bank.example/psd2", HTTPClient: hc, Certificate: c, Key: k,
		RedirectURI: "https://tpp.example/cb", OAuthClientID: "tpp-7", Clock: testClock, Rand: mrand.NewChaCha8([32]byte{1}),
		Observer: func(e Exchange) { exs = append(exs, e) }}
	if mod != nil {
		mod(&cfg)
	}
	cl, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cl, &exs
}

func (a *authServer) link() Link { return Link{Name: "scaOAuth", Href: a.srv.URL + wellKnownOAuth} }

func TestOAuthCodeFlow(t *testing.T) {
	a := newAuthServer(t)
	cl, exs := oauthClient(t, a, nil)

	// 1. The metadata behind scaOAuth.
	req, err := cl.BuildOAuthMetadata(a.link())
	if err != nil {
		t.Fatal(err)
	}
	if req.Header.Get("Signature") != "" || req.SideEffects || req.Reconcile != ReconcileNotNeeded {
		t.Errorf("metadata request %+v", req)
	}
	rep, err := cl.Send(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	md := rep.OAuthMetadata
	if md.Issuer != a.srv.URL || md.TokenEndpoint != a.srv.URL+"/oauth/token" || md.AuthorizationEndpoint != "http://127.0.0.1:4444/oauth/authorize?lang=en" {
		t.Fatalf("metadata %+v", md)
	}

	// 2. The authorize URL for the browser.
	az, err := cl.StartOAuth(md, "pay-1", "")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(az.AuthorizeURL)
	q := u.Query()
	sum := sha256.Sum256([]byte(az.Verifier.Reveal()))
	want := map[string]string{"response_type": "code", "client_id": "tpp-7", "redirect_uri": "https://tpp.example/cb", "scope": "PIS:pay-1",
		"state": az.State.Reveal(), "code_challenge": base64.RawURLEncoding.EncodeToString(sum[:]), "code_challenge_method": "S256", "lang": "en"}
	for k, v := range want {
		if q.Get(k) != v || len(q[k]) != 1 {
			t.Errorf("authorize %s = %q, want %q", k, q.Get(k), v)
		}
	}
	if len(q) != len(want) || u.Host != "127.0.0.1:4444" || u.Path != "/oauth/authorize" {
		t.Errorf("authorize URL %s", az.AuthorizeURL)
	}
	if len(az.State.Reveal()) != 43 || len(az.Verifier.Reveal()) != 43 || az.State == az.Verifier || strings.Contains(az.AuthorizeURL, az.Verifier.Reveal()) {
		t.Errorf("state %d chars, verifier %d chars, or the verifier is in the URL", len(az.State.Reveal()), len(az.Verifier.Reveal()))
	}
	if s := fmtAny(az); strings.Contains(s, az.Verifier.Reveal()) {
		t.Error("printing the authorization shows the verifier")
	}
	// Another authorization draws another state and verifier.
	az2, _ := cl.StartOAuth(md, "pay-1", "")
	if az2.State == az.State || az2.Verifier == az.Verifier {
		t.Error("state or verifier repeated")
	}

	// 3. The redirect back.
	code, err := ParseOAuthCallback(url.Values{"code": {"code-abc-123"}, "state": {az.State.Reveal()}}, az)
	if err != nil || code.Reveal() != "code-abc-123" {
		t.Fatalf("callback: %v", err)
	}

	// 4. The token exchange over mTLS.
	a.token = answer{status: 200, header: map[string]string{"Cache-Control": "no-store"}, body: `{"access_token":"at-secret-xyz","token_type":"bearer","expires_in":300,"scope":"PIS:pay-1"}`}
	req, err = cl.BuildTokenRequest(az, code)
	if err != nil {
		t.Fatal(err)
	}
	if !req.Sensitive || !req.SideEffects || req.Reconcile != ReconcileReadState || req.Method != "POST" || !uuidRE.MatchString(req.RequestID) || req.Header.Get("X-Request-ID") != req.RequestID {
		t.Errorf("token request %+v", req.Redacted())
	}
	rep, err = cl.Send(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	tok := rep.Token
	if tok.AccessToken.Reveal() != "at-secret-xyz" || tok.TokenType != "Bearer" || tok.ExpiresIn != 300*time.Second || tok.Scope != "PIS:pay-1" {
		t.Errorf("token %+v", tok)
	}
	_, qc := qsealc(t)
	if a.gotCert == nil || !a.gotCert.Equal(qc) || a.gotCType != "application/x-www-form-urlencoded" {
		t.Errorf("the token endpoint saw certificate %v, content type %q", a.gotCert != nil, a.gotCType)
	}
	wantForm := url.Values{"grant_type": {"authorization_code"}, "code": {"code-abc-123"}, "redirect_uri": {"https://tpp.example/cb"}, "client_id": {"tpp-7"}, "code_verifier": {az.Verifier.Reveal()}}
	if a.gotForm.Encode() != wantForm.Encode() {
		t.Errorf("form %v", a.gotForm)
	}
	// No secret reaches the inspector, the redacted copy or a printed token.
	for _, sec := range []string{"code-abc-123", az.Verifier.Reveal(), "at-secret-xyz"} {
		for i, ex := range *exs {
			if strings.Contains(stringify(ex), sec) {
				t.Errorf("exchange %d shows a secret", i)
			}
		}
		if strings.Contains(stringify(req.Redacted()), sec) || strings.Contains(fmtAny(tok), sec) {
			t.Error("the redacted request or the printed token shows a secret")
		}
	}
	if (*exs)[1].Protection.Scheme == "" || (*exs)[1].Status != 200 {
		t.Errorf("token exchange %+v", (*exs)[1])
	}
	if _, err := cl.Send(ctx, req.Redacted()); err == nil {
		t.Error("a redacted token request was sent")
	}

	// 5. The token on this payment's calls.
	st, err := cl.BuildGetTransactionStatus(Link{Name: "status", Href: "https://api.bank.example/psd2/v1/payments/domestic/pay-1/status"}, Call{PSU: PSU{Token: tok.AccessToken}})
	if err != nil || st.Header.Get("Authorization") != "Bearer at-secret-xyz" {
		t.Errorf("status call: %v, Authorization %q", err, st.Header.Get("Authorization"))
	}
}

func TestOAuthTokenErrors(t *testing.T) {
	a := newAuthServer(t)
	cl, exs := oauthClient(t, a, nil)
	rep, err := cl.Send(ctx, mustBuild(t)(cl.BuildOAuthMetadata(a.link())))
	if err != nil {
		t.Fatal(err)
	}
	az, err := cl.StartOAuth(rep.OAuthMetadata, "pay-1", "")
	if err != nil {
		t.Fatal(err)
	}
	send := func() error {
		_, err := cl.Send(ctx, mustBuild(t)(cl.BuildTokenRequest(az, "code-abc-123")))
		return err
	}
	var oe *OAuthError
	a.token = answer{status: 400, body: `{"error":"invalid_grant","error_description":"code code-abc-123 expired \u001b[31m"}`}
	if err := send(); !errors.As(err, &oe) || oe.Code != "invalid_grant" || errors.Is(err, ErrOutcomeUnknown) || strings.Contains(oe.Description, "\x1b") {
		t.Errorf("400: %v", err)
	}
	if strings.Contains(stringify((*exs)[len(*exs)-1]), "code-abc-123") || strings.Contains(oe.Description, "code-abc-123") {
		t.Error("the code the bank echoed reached the inspector or the error's description")
	}
	a.token = answer{status: 401, body: `{"error":"invalid_client"}`}
	if err := send(); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("401: %v", err)
	}
	// The bank may have swapped the code: read the authorisation, never re-send.
	a.token = answer{status: 502, body: ``}
	if err := send(); !errors.Is(err, ErrOutcomeUnknown) {
		t.Errorf("502: %v", err)
	}
	for name, body := range map[string]string{
		"other scope": `{"access_token":"at","token_type":"Bearer","scope":"PIS:pay-2"}`,
		"not bearer":  `{"access_token":"at","token_type":"mac"}`,
		"no token":    `{"token_type":"Bearer"}`,
		"space":       `{"access_token":"a t","token_type":"Bearer"}`,
		"control":     `{"access_token":"a\r\nX-Evil: 1","token_type":"Bearer"}`,
		"trailing":    `{"access_token":"at","token_type":"Bearer"} {}`,
		"expires -1":  `{"access_token":"at","token_type":"Bearer","expires_in":-1}`,
		"expires 1.5": `{"access_token":"at","token_type":"Bearer","expires_in":1.5}`,
	} {
		a.token = answer{status: 200, body: body}
		var de *DecodeError
		if err := send(); !errors.As(err, &de) || !errors.Is(err, ErrOutcomeUnknown) {
			t.Errorf("%s: %v (a 200 the client cannot use is an unknown outcome: the code is spent)", name, err)
		}
	}
}

func TestOAuthMetadataRefused(t *testing.T) {
	a := newAuthServer(t)
	cl, _ := oauthClient(t, a, nil)
	good := a.defaultMetadata()
	for name, md := range map[string]string{
		"issuer of another server": strings.Replace(good, `"issuer":"`+a.srv.URL+`"`, `"issuer":"https://evil.example"`, 1),
		"issuer with a path":       strings.Replace(good, `"issuer":"`+a.srv.URL+`"`, `"issuer":"`+a.srv.URL+`/x"`, 1),
		"http token endpoint":      strings.Replace(good, `"token_endpoint":"https://`, `"token_endpoint":"http://`, 1),
		"http authorize off-host":  strings.Replace(good, "http://127.0.0.1:4444", "http://bank.example", 1),
		"no code":                  strings.Replace(good, `"response_types_supported":["code"]`, `"response_types_supported":["token"]`, 1),
		"no S256":                  strings.Replace(good, `["S256"]`, `["plain"]`, 1),
		"no tls_client_auth":       strings.Replace(good, `["tls_client_auth"]`, `["client_secret_basic"]`, 1),
		"no authorization_code":    strings.Replace(good, `["authorization_code"]`, `["client_credentials"]`, 1),
		"not JSON":                 `<html>`,
	} {
		a.mu.Lock()
		a.metadata = md
		a.mu.Unlock()
		_, err := cl.Send(ctx, mustBuild(t)(cl.BuildOAuthMetadata(a.link())))
		var de *DecodeError
		if !errors.As(err, &de) || errors.Is(err, ErrOutcomeUnknown) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// OpenID Connect discovery form: the issuer is the path before the suffix.
	if m, err := decodeOAuthMetadata([]byte(strings.Replace(good, `"issuer":"`+a.srv.URL+`"`, `"issuer":"`+a.srv.URL+`/realms/psd2"`, 1)), a.srv.URL+"/realms/psd2"+wellKnownOIDC); err != nil || m.Issuer != a.srv.URL+"/realms/psd2" {
		t.Errorf("OIDC discovery: %v", err)
	}
	// RFC 8414 with a path: inserted between host and path.
	if _, err := decodeOAuthMetadata([]byte(strings.Replace(good, `"issuer":"`+a.srv.URL+`"`, `"issuer":"`+a.srv.URL+`/t1"`, 1)), a.srv.URL+wellKnownOAuth+"/t1"); err != nil {
		t.Errorf("RFC 8414 path: %v", err)
	}
	for _, l := range []Link{{Name: "scaRedirect", Href: a.srv.URL}, {Name: "scaOAuth", Href: "http://idp.example/.well-known/oauth-authorization-server"}, {Name: "scaOAuth", Href: "https://u@idp.example/"}} {
		if _, err := cl.BuildOAuthMetadata(l); err == nil {
			t.Errorf("metadata link %+v accepted", l)
		}
	}
}

func TestOAuthStartRefuses(t *testing.T) {
	a := newAuthServer(t)
	md := &OAuthMetadata{Issuer: a.srv.URL, AuthorizationEndpoint: "https://login.bank.example/authorize", TokenEndpoint: a.srv.URL + "/oauth/token"}
	noID, _ := oauthClient(t, a, func(c *Config) { c.OAuthClientID = "" })
	sb1, _ := oauthClient(t, a, func(c *Config) { c.Profile = SpareBank1() })
	bog, _ := oauthClient(t, a, nil)
	for name, try := range map[string]func() error{
		"no client id":      func() error { _, err := noID.StartOAuth(md, "p1", ""); return err },
		"profile has none":  func() error { _, err := sb1.StartOAuth(md, "p1", ""); return err },
		"payment id space":  func() error { _, err := bog.StartOAuth(md, "p 1", ""); return err },
		"http redirect uri": func() error { _, err := bog.StartOAuth(md, "p1", "http://tpp.example/cb"); return err },
		"no metadata":       func() error { _, err := bog.StartOAuth(nil, "p1", ""); return err },
		"endpoint has state": func() error {
			m := *md
			m.AuthorizationEndpoint += "?state=x"
			_, err := bog.StartOAuth(&m, "p1", "")
			return err
		},
		"http token endpoint": func() error {
			m := *md
			m.TokenEndpoint = "http://127.0.0.1/token"
			_, err := bog.StartOAuth(&m, "p1", "")
			return err
		},
	} {
		var ie *InputError
		if err := try(); !errors.As(err, &ie) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := New(Config{Profile: BankOfGeorgia(), BaseURL: "https://api.bank.example", HTTPClient: http.DefaultClient, Certificate: tppCert, Key: tppKey, OAuthClientID: "a\nb"}); err == nil {
		t.Error("a client id with a newline accepted")
	}
}

func TestParseOAuthCallback(t *testing.T) {
	az := &OAuthAuthorization{State: "state-0123456789", Issuer: "https://idp.bank.example", Verifier: "v"}
	st := az.State.Reveal()
	if c, err := ParseOAuthCallback(url.Values{"code": {"c1"}, "state": {st}, "iss": {"https://idp.bank.example"}}, az); err != nil || c.Reveal() != "c1" {
		t.Errorf("good callback: %v", err)
	}
	var denied *OAuthDeniedError
	_, err := ParseOAuthCallback(url.Values{"error": {"access_denied"}, "error_description": {"PSU said no \u202e"}, "state": {st}}, az)
	if !errors.As(err, &denied) || denied.Code != "access_denied" || strings.ContainsRune(denied.Description, '\u202e') {
		t.Errorf("denied: %v", err)
	}
	for name, q := range map[string]url.Values{
		"wrong state":            {"code": {"c1"}, "state": {"state-0123456788"}},
		"no state":               {"code": {"c1"}},
		"denial with bad state":  {"error": {"access_denied"}, "state": {"x"}},
		"other issuer":           {"code": {"c1"}, "state": {st}, "iss": {"https://evil.example"}},
		"repeated code":          {"code": {"c1", "c2"}, "state": {st}},
		"code with space":        {"code": {"c 1"}, "state": {st}},
		"code with control char": {"code": {"c\n1"}, "state": {st}},
		"no code":                {"state": {st}},
	} {
		if _, err := ParseOAuthCallback(q, az); err == nil || errors.As(err, &denied) && name != "denial with bad state" {
			t.Errorf("%s: %v", name, err)
		} else if name == "denial with bad state" && !errors.Is(err, ErrOAuthState) {
			t.Errorf("a denial with another state was read: %v", err)
		}
	}
	az.RequireIss = true
	if _, err := ParseOAuthCallback(url.Values{"code": {"c1"}, "state": {st}}, az); err == nil {
		t.Error("no iss accepted where the metadata promises it")
	}
}
