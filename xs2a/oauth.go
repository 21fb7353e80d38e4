package xs2a

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/payterm/payterm/internal/safetext"
)

// The OAuth SCA approach (BG 1.3.x; Bank of Georgia's only one): the 201 carries
// _links.scaOAuth, the URL of the bank's RFC 8414 authorization server metadata. The client
// fetches it (BuildOAuthMetadata, Send), sends the PSU's browser to the authorization
// endpoint with an authorization-code request bound to this payment by its scope, PKCE S256
// and a state (StartOAuth), reads the redirect back (ParseOAuthCallback) and swaps the code
// at the token endpoint over mTLS (BuildTokenRequest, Send: RFC 8705 tls_client_auth). The
// bank finalises the authorisation on that swap; the access token then goes on this
// payment's status and authorisation calls (PSU.Token → Authorization: Bearer).

// wellKnownOAuth and wellKnownOIDC are the metadata paths of RFC 8414 §3 and OpenID Connect
// Discovery §4, from which the issuer the document must name is derived.
const (
	wellKnownOAuth = "/.well-known/oauth-authorization-server"
	wellKnownOIDC  = "/.well-known/openid-configuration"
)

// OAuthMetadata is the part of the bank's authorization server metadata the code flow uses,
// every URL checked.
type OAuthMetadata struct {
	Issuer                string
	AuthorizationEndpoint string // opened in the PSU's browser: https, or http on a loopback host
	TokenEndpoint         string // called with the QWAC: https
	// IssParameter: the server names itself in the redirect back (RFC 9207), so
	// ParseOAuthCallback requires iss there.
	IssParameter bool
}

// BuildOAuthMetadata builds GET on a scaOAuth link: the bank's RFC 8414 metadata. It is not
// an XS2A call, so it is not signed; it has no side effect.
func (c *Client) BuildOAuthMetadata(link Link) (*Request, error) {
	if link.Name != "scaOAuth" {
		return nil, inputErr("link", "the OAuth metadata is behind the scaOAuth link, not %s", clip(link.Name))
	}
	u, err := browserURL(link.Href)
	if err != nil {
		return nil, inputErr("link", "the scaOAuth link %v: use the link from this bank's answer", err)
	}
	h := http.Header{}
	h.Set("Accept", "application/json")
	return &Request{Op: OpOAuthMetadata, Method: http.MethodGet, URL: u.String(), Header: h, Reconcile: ReconcileNotNeeded}, nil
}

// browserURL checks a URL a browser opens or the client fetches outside the bank's API host:
// absolute, https (http only on a loopback host), no user info or fragment, printable ASCII.
func browserURL(s string) (*url.URL, error) {
	if s == "" || len(s) > maxHrefLen {
		return nil, errors.New("is empty or longer than 2 KiB")
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= 0x20 || s[i] >= 0x7f {
			return nil, errors.New("holds a space, control or non-ASCII character")
		}
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return nil, errors.New("is not an absolute URL without user info or fragment")
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname())) {
		return nil, errors.New("is not https (http only on a loopback host)")
	}
	return u, nil
}

type metadataJSON struct {
	Issuer                        string   `json:"issuer"`
	AuthorizationEndpoint         string   `json:"authorization_endpoint"`
	TokenEndpoint                 string   `json:"token_endpoint"`
	ResponseTypesSupported        []string `json:"response_types_supported"`
	GrantTypesSupported           []string `json:"grant_types_supported"`
	CodeChallengeMethodsSupported []string `json:"code_challenge_methods_supported"`
	TokenEndpointAuthMethods      []string `json:"token_endpoint_auth_methods_supported"`
	IssParameterSupported         bool     `json:"authorization_response_iss_parameter_supported"`
}

// decodeOAuthMetadata reads the metadata fetched from from. The issuer must be the one the
// metadata URL was derived from (RFC 8414 §3.3; OpenID Discovery §4.3), or, for a URL of no
// well-known form, of the same origin: a document that names another server is refused.
func decodeOAuthMetadata(b []byte, from string) (*OAuthMetadata, error) {
	var m metadataJSON
	if err := decodeOne(b, &m); err != nil {
		return nil, err
	}
	src, err := url.Parse(from)
	if err != nil {
		return nil, errors.New("the metadata URL is malformed")
	}
	iss, err := browserURL(m.Issuer)
	if err != nil || iss.RawQuery != "" || iss.ForceQuery {
		return nil, errors.New("issuer is not an https URL without query or fragment")
	}
	origin := src.Scheme + "://" + src.Host
	switch {
	case strings.HasPrefix(src.Path, wellKnownOAuth):
		if want := origin + strings.TrimPrefix(src.Path, wellKnownOAuth); m.Issuer != want {
			return nil, errors.New("issuer is not the server the metadata URL names (RFC 8414 §3.3)")
		}
	case strings.HasSuffix(src.Path, wellKnownOIDC):
		if want := origin + strings.TrimSuffix(src.Path, wellKnownOIDC); m.Issuer != want {
			return nil, errors.New("issuer is not the server the metadata URL names (OpenID Discovery §4.3)")
		}
	case !strings.EqualFold(iss.Scheme+"://"+iss.Host, origin):
		return nil, errors.New("issuer is on another host than the metadata")
	}
	authz, err := browserURL(m.AuthorizationEndpoint)
	if err != nil {
		return nil, fmt.Errorf("authorization_endpoint %v", err)
	}
	tok, err := browserURL(m.TokenEndpoint)
	if err != nil || tok.Scheme != "https" {
		return nil, errors.New("token_endpoint is not an https URL (it is called with the QWAC)")
	}
	if !slices.Contains(m.ResponseTypesSupported, "code") {
		return nil, errors.New("response_types_supported does not list code: the server has no authorization-code flow")
	}
	// Absent lists take RFC 8414's defaults for grant types (authorization_code is one); a
	// listed one must name what the client does.
	if m.GrantTypesSupported != nil && !slices.Contains(m.GrantTypesSupported, "authorization_code") {
		return nil, errors.New("grant_types_supported does not list authorization_code")
	}
	if m.CodeChallengeMethodsSupported != nil && !slices.Contains(m.CodeChallengeMethodsSupported, "S256") {
		return nil, errors.New("code_challenge_methods_supported does not list S256 (PKCE)")
	}
	if m.TokenEndpointAuthMethods != nil && !slices.Contains(m.TokenEndpointAuthMethods, "tls_client_auth") {
		return nil, errors.New("token_endpoint_auth_methods_supported does not list tls_client_auth (the QWAC)")
	}
	return &OAuthMetadata{Issuer: m.Issuer, AuthorizationEndpoint: authz.String(), TokenEndpoint: tok.String(), IssParameter: m.IssParameterSupported}, nil
}

// OAuthAuthorization is one authorization-code flow in progress: the URL for the PSU's
// browser and what the callback and the token exchange need. Keep it until the redirect back
// arrives; State and Verifier are secrets (store them with Reveal, in the keystore).
type OAuthAuthorization struct {
	// AuthorizeURL is opened in the PSU's browser. It carries the state and the S256
	// challenge, never the verifier.
	AuthorizeURL  string
	PaymentID     string
	Scope         string
	RedirectURI   string
	ClientID      string
	Issuer        string
	TokenEndpoint string
	RequireIss    bool
	State         Secret
	Verifier      Secret // PKCE code_verifier (RFC 7636)
}

// oauthParams are the authorization request's parameters; an endpoint URL that already
// carries one of them is refused rather than merged.
var oauthParams = []string{"response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method"}

// StartOAuth prepares the authorization-code request for one payment: scope from the
// profile's OAuthScope ("PIS:{paymentId}"), a fresh state and PKCE verifier (32 random bytes
// each), redirect_uri the given one or Config.RedirectURI, client_id Config.OAuthClientID.
// Nothing is sent: the core opens AuthorizeURL in the PSU's browser.
func (c *Client) StartOAuth(md *OAuthMetadata, paymentID, redirectURI string) (*OAuthAuthorization, error) {
	if !c.cfg.Profile.Supports(OAuth) || c.cfg.Profile.OAuthScope == "" {
		return nil, inputErr("OAuth", "%s does not offer the OAuth SCA approach", c.cfg.Profile.Name)
	}
	if md == nil {
		return nil, inputErr("OAuth", "fetch the bank's OAuth metadata first (BuildOAuthMetadata)")
	}
	if c.cfg.OAuthClientID == "" {
		return nil, inputErr("OAuth client id", "set Config.OAuthClientID to the client_id the bank registered for this TPP")
	}
	if _, err := resourceID("paymentId", paymentID); err != nil {
		return nil, inputErr("paymentId", "%v: use the paymentId of the bank's answer", err)
	}
	if redirectURI == "" {
		redirectURI = c.cfg.RedirectURI
	}
	if redirectURI == "" {
		return nil, inputErr("redirect URI", "the OAuth approach needs a redirect URI registered at the bank: set Config.RedirectURI")
	}
	if err := checkRedirectURI(redirectURI); err != nil {
		return nil, inputErr("redirect URI", "it %v", err)
	}
	authz, err := browserURL(md.AuthorizationEndpoint)
	if err != nil {
		return nil, inputErr("OAuth metadata", "the authorization endpoint %v: fetch the metadata again", err)
	}
	if _, err := browserURL(md.TokenEndpoint); err != nil || !strings.HasPrefix(md.TokenEndpoint, "https://") {
		return nil, inputErr("OAuth metadata", "the token endpoint is not https: fetch the metadata again")
	}
	q := authz.Query()
	for _, k := range oauthParams {
		if q.Has(k) {
			return nil, inputErr("OAuth metadata", "the authorization endpoint already carries %s: the bank's metadata is unusable", k)
		}
	}
	state, err := c.randomToken()
	if err != nil {
		return nil, err
	}
	verifier, err := c.randomToken()
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(verifier))
	scope := strings.ReplaceAll(c.cfg.Profile.OAuthScope, "{paymentId}", paymentID)
	q.Set("response_type", "code")
	q.Set("client_id", c.cfg.OAuthClientID)
	q.Set("redirect_uri", redirectURI)
	q.Set("scope", scope)
	q.Set("state", state)
	q.Set("code_challenge", base64.RawURLEncoding.EncodeToString(sum[:]))
	q.Set("code_challenge_method", "S256")
	authz.RawQuery = q.Encode()
	return &OAuthAuthorization{
		AuthorizeURL: authz.String(), PaymentID: paymentID, Scope: scope, RedirectURI: redirectURI, ClientID: c.cfg.OAuthClientID,
		Issuer: md.Issuer, TokenEndpoint: md.TokenEndpoint, RequireIss: md.IssParameter, State: Secret(state), Verifier: Secret(verifier),
	}, nil
}

// randomToken is 32 bytes of the injected randomness, base64url without padding (43
// characters: RFC 7636's shortest verifier carries 256 bits).
func (c *Client) randomToken() (string, error) {
	var b [32]byte
	c.randMu.Lock()
	_, err := io.ReadFull(c.rand, b[:])
	c.randMu.Unlock()
	if err != nil {
		return "", fmt.Errorf("OAuth state and verifier: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// OAuthDeniedError: the bank sent the PSU back with an error instead of a code (RFC 6749
// §4.1.2.1). Code is the error code when it is a plain one (access_denied when the PSU
// refused); Description is the bank's text, cleaned, never part of Error().
type OAuthDeniedError struct {
	Code        string
	Description string
}

func (e *OAuthDeniedError) Error() string {
	if e.Code == "access_denied" {
		return "the customer did not authorise the payment at the bank: start the payment again if they still want it"
	}
	if e.Code != "" {
		return "the bank's authorization server refused the request (" + e.Code + "): start the payment again"
	}
	return "the bank's authorization server refused the request: start the payment again"
}

// ErrOAuthState: the redirect back does not carry the state of this authorization (another
// flow's answer, a forged link or a replay). Nothing of it is used.
var ErrOAuthState = errors.New("the bank's redirect does not belong to this authorisation (state differs): start the authorisation again")

// oauthCode keeps an error code within RFC 6749's character set (Appendix A.7) and 64
// characters; anything else becomes "".
func oauthCode(s string) string {
	if s == "" || len(s) > 64 {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return ""
		}
	}
	return s
}

// ParseOAuthCallback reads the redirect back to the TPP after the PSU decided at the bank:
// the state must be this authorization's (compared in constant time) before anything else is
// read; iss, when sent (or required by the metadata), must be the issuer (RFC 9207); then
// either an error (an *OAuthDeniedError) or the code.
func ParseOAuthCallback(q url.Values, a *OAuthAuthorization) (Secret, error) {
	if a == nil || a.State.IsZero() {
		return "", errors.New("no OAuth authorisation is waiting for this redirect: start the authorisation again")
	}
	for _, k := range []string{"state", "code", "error", "error_description", "iss"} {
		if len(q[k]) > 1 {
			return "", fmt.Errorf("the bank's redirect repeats %s: start the authorisation again", k)
		}
	}
	if st := q.Get("state"); st == "" || subtle.ConstantTimeCompare([]byte(st), []byte(a.State.Reveal())) != 1 {
		return "", ErrOAuthState
	}
	if iss := q.Get("iss"); (iss != "" && iss != a.Issuer) || (iss == "" && a.RequireIss) {
		return "", errors.New("the bank's redirect names another authorization server (iss): start the authorisation again")
	}
	if e := q.Get("error"); e != "" {
		return "", &OAuthDeniedError{Code: oauthCode(e), Description: safetext.Short(q.Get("error_description"), 200)}
	}
	code := q.Get("code")
	if code == "" || len(code) > 2048 || headerValue(code) != nil || strings.ContainsAny(code, " ") {
		return "", errors.New("the bank's redirect has no usable code: start the authorisation again")
	}
	return Secret(code), nil
}

// BuildTokenRequest builds the token request of the code flow: POST to the token endpoint,
// form grant_type=authorization_code with the code, the redirect_uri and client_id of the
// authorization request and the PKCE verifier; the client authenticates with its QWAC (mTLS,
// RFC 8705). It is Sensitive (code and verifier): store Redacted() only. The bank finalises
// the authorisation when it swaps the code, and a code is single-use, so a lost answer is
// ErrOutcomeUnknown with Reconcile read-state: read the scaStatus link, never re-send.
func (c *Client) BuildTokenRequest(a *OAuthAuthorization, code Secret) (*Request, error) {
	if a == nil || a.Verifier.IsZero() {
		return nil, inputErr("OAuth", "no OAuth authorisation to finish: start the authorisation again")
	}
	if code.IsZero() {
		return nil, inputErr("OAuth code", "the redirect back carried no code")
	}
	u, err := browserURL(a.TokenEndpoint)
	if err != nil || u.Scheme != "https" {
		return nil, inputErr("OAuth metadata", "the token endpoint is not https: fetch the metadata again")
	}
	form := url.Values{}
	form.Set("grant_type", "authorization_code")
	form.Set("code", code.Reveal())
	form.Set("redirect_uri", a.RedirectURI)
	form.Set("client_id", a.ClientID)
	form.Set("code_verifier", a.Verifier.Reveal())
	// X-Request-ID is not OAuth's, but lets the bank's log and the inspector name the swap.
	rid, err := c.newRequestID()
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set("X-Request-ID", rid)
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	h.Set("Accept", "application/json")
	return &Request{
		Op: OpOAuthToken, Method: http.MethodPost, URL: u.String(), Header: h, Body: []byte(form.Encode()), RequestID: rid,
		SideEffects: true, Reconcile: ReconcileReadState, Sensitive: true, expectScope: a.Scope,
	}, nil
}

// Token is the token endpoint's answer (RFC 6749 §5.1). Use AccessToken as PSU.Token on this
// payment's status and authorisation calls.
type Token struct {
	AccessToken  Secret
	TokenType    string // Bearer
	ExpiresIn    time.Duration
	Scope        string
	RefreshToken Secret
}

type tokenJSON struct {
	AccessToken  *string      `json:"access_token"`
	TokenType    string       `json:"token_type"`
	ExpiresIn    *json.Number `json:"expires_in"`
	Scope        *string      `json:"scope"`
	RefreshToken *string      `json:"refresh_token"`
}

// decodeToken reads a token answer: a Bearer access token of visible ASCII (it becomes a
// header), expires_in a whole number of seconds, and a scope that, when the server writes
// one, still covers what was asked (RFC 6749 §3.3: it may narrow it).
func decodeToken(b []byte, wantScope string) (*Token, error) {
	var t tokenJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&t); err != nil {
		return nil, errors.New("the body is not the JSON object expected")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data after the JSON body")
	}
	if t.AccessToken == nil || !bearerOK(*t.AccessToken) {
		return nil, errors.New("access_token is missing or not a bearer token (visible ASCII, at most 4 KiB)")
	}
	if !strings.EqualFold(t.TokenType, "Bearer") {
		return nil, fmt.Errorf("token_type %q is not Bearer", clip(t.TokenType))
	}
	out := &Token{AccessToken: Secret(*t.AccessToken), TokenType: "Bearer"}
	if t.ExpiresIn != nil {
		n, err := t.ExpiresIn.Int64()
		if err != nil || n < 0 || n > 366*24*3600 {
			return nil, errors.New("expires_in is not a number of seconds")
		}
		out.ExpiresIn = time.Duration(n) * time.Second
	}
	if t.Scope != nil {
		if !slices.Contains(strings.Fields(*t.Scope), wantScope) && wantScope != "" {
			return nil, errors.New("the token's scope does not cover this payment")
		}
		out.Scope = safetext.Short(*t.Scope, 200)
	}
	if t.RefreshToken != nil {
		if !bearerOK(*t.RefreshToken) {
			return nil, errors.New("refresh_token is not visible ASCII")
		}
		out.RefreshToken = Secret(*t.RefreshToken)
	}
	return out, nil
}

func bearerOK(s string) bool {
	if s == "" || len(s) > 4096 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// OAuthError is a non-2xx answer of the authorization server (metadata or token endpoint):
// RFC 6749 §5.2's {error, error_description} when the body has it.
type OAuthError struct {
	Op          Op
	HTTPStatus  int
	Code        string // invalid_grant, invalid_client, … ("" when absent or not plain)
	Description string // the server's text, cleaned; never part of Error()
	RetryAfter  time.Duration
	// outcomeUnknown: a 5xx (or 408) on the token request.
	outcomeUnknown bool
}

func (e *OAuthError) Error() string {
	s := fmt.Sprintf("xs2a %s: the bank's authorization server answered HTTP %d", e.Op, e.HTTPStatus)
	if e.Code != "" {
		s += ": " + e.Code
	}
	if e.outcomeUnknown {
		s += "; outcome unknown"
	}
	return s
}

// Is maps the answer onto the sentinels.
func (e *OAuthError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.HTTPStatus == 401 || e.Code == "invalid_client"
	case ErrNotFound:
		return e.HTTPStatus == 404
	case ErrRateLimited:
		return e.HTTPStatus == 429
	case ErrOutcomeUnknown:
		return e.outcomeUnknown
	}
	return false
}

func decodeOAuthError(e *OAuthError, b []byte) {
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if len(b) == 0 || decodeOne(b, &body) != nil {
		return
	}
	e.Code = oauthCode(body.Error)
	e.Description = safetext.Short(body.Description, maxText)
}
