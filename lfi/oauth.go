package lfi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

const (
	clientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	// assertionLifetime is exp − iat of the client assertion (UAE: ≤ 5 min).
	assertionLifetime = 300 * time.Second
	// defaultTokenLifetime is assumed when a token response omits expires_in (FAPI
	// conformance requires accepting that); the UAE access token lives 600 s.
	defaultTokenLifetime = 600
	// tokenSafetyMargin: a cached client_credentials token is replaced this long before expiry.
	tokenSafetyMargin = 30 * time.Second
)

type assertionClaims struct {
	Iss string `json:"iss"`
	Sub string `json:"sub"`
	Aud string `json:"aud"`
	Iat int64  `json:"iat"`
	Exp int64  `json:"exp"`
	Jti string `json:"jti"`
}

// ClientAssertion returns a fresh private_key_jwt assertion: iss = sub = client_id,
// aud = issuer, iat = now, exp = iat + 300 s, a new UUID jti. Never reuse one.
func (c *Client) ClientAssertion() (string, error) {
	jti, err := c.NewUUID()
	if err != nil {
		return "", fmt.Errorf("client assertion: %w", err)
	}
	now := c.clock()
	a, err := c.cfg.Signer.SignClaims(assertionClaims{Iss: c.cfg.ClientID, Sub: c.cfg.ClientID, Aud: c.cfg.Issuer,
		Iat: now.Unix(), Exp: now.Add(assertionLifetime).Unix(), Jti: jti})
	if err != nil {
		return "", fmt.Errorf("client assertion: %w", err)
	}
	return a, nil
}

// oauthCall posts a form to PAR or token with a fresh client assertion per attempt and
// decodes a 2xx JSON body with decode, or maps the error body to *OAuthError.
func (c *Client) oauthCall(ctx context.Context, op, endpoint string, params url.Values, sent []JOSEPart, idempotent bool, ok func(status int) bool, decode func(body []byte) error) (string, error) {
	var iid string
	cl := call{op: op, method: http.MethodPost, url: endpoint, header: http.Header{"Accept": {"application/json"}},
		idempotent: idempotent, sideEffects: true,
		body: func() (attemptBody, error) {
			a, err := c.ClientAssertion()
			if err != nil {
				return attemptBody{}, err
			}
			form := url.Values{}
			for k, v := range params {
				form[k] = v
			}
			form.Set("client_id", c.cfg.ClientID)
			form.Set("client_assertion_type", clientAssertionType)
			form.Set("client_assertion", a)
			parts := append([]JOSEPart(nil), sent...)
			if p, ok := decodeJOSE("client assertion", a); ok {
				parts = append(parts, p)
			}
			return attemptBody{bytes: []byte(form.Encode()), contentType: "application/x-www-form-urlencoded", form: form, sent: parts}, nil
		}}
	err := c.do(ctx, cl, func(r *response) error {
		iid = r.interactionID
		r.ex.ResponseJSON = redactJSON(r.body)
		if ok(r.status) {
			if err := decode(r.body); err != nil {
				// The server acted (a code may be consumed) but its answer is unusable.
				return &UnverifiableError{Op: op, HTTPStatus: r.status, InteractionID: r.interactionID, Err: err}
			}
			return nil
		}
		return oauthError(op, r, c.clock())
	})
	return iid, err
}

func oauthError(op string, r *response, now time.Time) error {
	e := &OAuthError{Op: op, HTTPStatus: r.status, InteractionID: r.interactionID}
	if r.status == http.StatusTooManyRequests || r.status == http.StatusServiceUnavailable {
		e.RetryAfter = retryAfter(r.header, now)
	}
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		URI         string `json:"error_uri"`
	}
	if unmarshal(r.body, &body) == nil {
		if oauthCodeRe.MatchString(body.Error) {
			e.Code = body.Error // anything else is not an RFC 6749 error code: not kept, never shown
		}
		e.Description = boundText(scrub(body.Description, r.secrets))
		e.URI = boundText(scrub(body.URI, r.secrets))
		if e.Code != "" {
			r.ex.BankErrors = []ErrorItem{{Code: boundText(e.Code), Message: e.Description, URL: e.URI}}
		}
	}
	return e
}

// PARResult is the answer to a pushed authorization request.
type PARResult struct {
	RequestURI    string
	ExpiresIn     int
	ExpiresAt     time.Time
	InteractionID string
}

// PAR posts the signed request object (compact JWS) to the discovered PAR endpoint. Not
// retried on 5xx or network errors: the consent id inside may already be used.
func (c *Client) PAR(ctx context.Context, requestObject string) (*PARResult, error) {
	if strings.Count(requestObject, ".") != 2 {
		return nil, errors.New("PAR: request object is not a compact JWS")
	}
	d, err := c.Discovery(ctx)
	if err != nil {
		return nil, fmt.Errorf("PAR: %w", err)
	}
	var res *PARResult
	iid, err := c.oauthCall(ctx, "PAR", d.PushedAuthorizationRequestEndpoint, url.Values{"request": {requestObject}},
		decodeJOSEWithNested("request object", requestObject), false,
		func(s int) bool { return s == http.StatusOK || s == http.StatusCreated }, // OpenAPI 200, RFC 9126 201
		func(body []byte) error {
			var err error
			res, err = decodePAR(body)
			return err
		})
	if err != nil {
		return nil, err
	}
	res.InteractionID = iid
	res.ExpiresAt = c.clock().Add(time.Duration(res.ExpiresIn) * time.Second)
	return res, nil
}

func decodePAR(body []byte) (*PARResult, error) {
	var w struct {
		RequestURI *string          `json:"request_uri"`
		ExpiresIn  *json.RawMessage `json:"expires_in"`
	}
	if err := unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("PAR response: %w", err)
	}
	if w.RequestURI == nil || *w.RequestURI == "" || len(*w.RequestURI) > 2048 {
		return nil, errors.New("PAR response: request_uri missing or too long")
	}
	if w.ExpiresIn == nil {
		return nil, errors.New("PAR response: expires_in missing")
	}
	var n int
	if err := unmarshal(*w.ExpiresIn, &n); err != nil || n <= 0 || n > 3600 {
		return nil, errors.New("PAR response: expires_in is not a positive integer ≤ 3600")
	}
	return &PARResult{RequestURI: *w.RequestURI, ExpiresIn: n}, nil
}

// TokenResponse is a token endpoint answer. Tokens are Secrets.
type TokenResponse struct {
	AccessToken          Secret
	TokenType            string
	ExpiresIn            int
	ExpiresAt            time.Time
	RefreshToken         Secret // empty when the server did not rotate or issue one
	IDToken              Secret
	Scope                string
	State                string
	AuthorizationDetails []AuthorizationDetail
	InteractionID        string
}

// AuthorizationDetail is one element of authorization_details in a token response.
type AuthorizationDetail struct {
	Type    string
	Consent *Consent // nil when the server sent no consent object
}

// TokenAuthorizationCode exchanges an authorization code (with the PKCE verifier and the
// redirect_uri of the request object). Not retried on 5xx or network errors: codes are
// single-use and a replay revokes the grant.
func (c *Client) TokenAuthorizationCode(ctx context.Context, code, redirectURI, codeVerifier string) (*TokenResponse, error) {
	if code == "" || redirectURI == "" || codeVerifier == "" {
		return nil, errors.New("token (authorization_code): code, redirect_uri and code_verifier are required")
	}
	return c.token(ctx, "token authorization_code", url.Values{"grant_type": {"authorization_code"},
		"code": {code}, "redirect_uri": {redirectURI}, "code_verifier": {codeVerifier}}, false)
}

// TokenRefresh uses a refresh token. Not retried on 5xx or network errors: the server may
// have rotated the refresh token already. Store a returned RefreshToken before using the
// new access token.
func (c *Client) TokenRefresh(ctx context.Context, refreshToken Secret) (*TokenResponse, error) {
	if refreshToken.IsZero() {
		return nil, errors.New("token (refresh_token): empty refresh token")
	}
	return c.token(ctx, "token refresh_token", url.Values{"grant_type": {"refresh_token"},
		"refresh_token": {refreshToken.Reveal()}}, false)
}

// TokenClientCredentials gets a TPP token with scope payments (consent and payment reads,
// revocation). Safe to retry: it has no effect beyond issuing a token.
func (c *Client) TokenClientCredentials(ctx context.Context) (*TokenResponse, error) {
	return c.token(ctx, "token client_credentials", url.Values{"grant_type": {"client_credentials"}, "scope": {"payments"}}, true)
}

func (c *Client) token(ctx context.Context, op string, params url.Values, idempotent bool) (*TokenResponse, error) {
	d, err := c.Discovery(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	var tr *TokenResponse
	iid, err := c.oauthCall(ctx, op, d.TokenEndpoint, params, nil, idempotent,
		func(s int) bool { return s == http.StatusOK },
		func(body []byte) error {
			var err error
			tr, err = decodeToken(body)
			return err
		})
	if err != nil {
		return nil, err
	}
	tr.InteractionID = iid
	tr.ExpiresAt = c.clock().Add(time.Duration(tr.ExpiresIn) * time.Second)
	return tr, nil
}

func decodeToken(body []byte) (*TokenResponse, error) {
	var w struct {
		AccessToken          string            `json:"access_token"`
		TokenType            string            `json:"token_type"`
		ExpiresIn            *json.RawMessage  `json:"expires_in"`
		RefreshToken         string            `json:"refresh_token"`
		IDToken              string            `json:"id_token"`
		Scope                string            `json:"scope"`
		State                string            `json:"state"`
		AuthorizationDetails []json.RawMessage `json:"authorization_details"`
	}
	if err := unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("token response: %w", err)
	}
	if !validToken(w.AccessToken) {
		return nil, errors.New("token response: access_token missing or not a printable token")
	}
	if w.RefreshToken != "" && !validToken(w.RefreshToken) {
		return nil, errors.New("token response: refresh_token is not a printable token")
	}
	if !strings.EqualFold(w.TokenType, "Bearer") { // case-insensitive per FAPI conformance
		return nil, errors.New("token response: token_type is not Bearer")
	}
	tr := &TokenResponse{AccessToken: Secret(w.AccessToken), TokenType: "Bearer", ExpiresIn: defaultTokenLifetime,
		RefreshToken: Secret(w.RefreshToken), IDToken: Secret(w.IDToken), Scope: w.Scope, State: w.State}
	if w.ExpiresIn != nil {
		var n int
		if err := unmarshal(*w.ExpiresIn, &n); err != nil || n <= 0 || n > 86400*400 {
			return nil, errors.New("token response: expires_in is not a positive integer")
		}
		tr.ExpiresIn = n
	}
	for i, raw := range w.AuthorizationDetails {
		var ad struct {
			Type    string          `json:"type"`
			Consent json.RawMessage `json:"consent"`
		}
		if err := unmarshal(raw, &ad); err != nil {
			return nil, fmt.Errorf("token response: authorization_details[%d]: %w", i, err)
		}
		if ad.Type == "" {
			return nil, fmt.Errorf("token response: authorization_details[%d].type missing", i)
		}
		det := AuthorizationDetail{Type: ad.Type}
		if len(ad.Consent) > 0 && string(ad.Consent) != "null" {
			cons, err := decodeConsent(ad.Consent)
			if err != nil {
				return nil, fmt.Errorf("token response: authorization_details[%d].consent: %w", i, err)
			}
			det.Consent = cons
		}
		tr.AuthorizationDetails = append(tr.AuthorizationDetails, det)
	}
	return tr, nil
}

// ccTokenCache keeps the client_credentials token until shortly before it expires.
type ccTokenCache struct {
	mu      sync.Mutex
	tok     Secret
	expires time.Time
}

// clientToken returns a cached or new client_credentials access token (scope payments).
func (c *Client) clientToken(ctx context.Context) (Secret, error) {
	return c.scopedClientToken(ctx, &c.ccTok, "payments")
}

// scopedClientToken returns the token cached in cache, or a new client_credentials token with
// scope (each scope has its own cache: a payments token is not a confirmation-of-payee one).
func (c *Client) scopedClientToken(ctx context.Context, cache *ccTokenCache, scope string) (Secret, error) {
	cache.mu.Lock()
	defer cache.mu.Unlock()
	now := c.clock()
	if !cache.tok.IsZero() && now.Before(cache.expires) {
		return cache.tok, nil
	}
	tr, err := c.token(ctx, "token client_credentials", url.Values{"grant_type": {"client_credentials"}, "scope": {scope}}, true)
	if err != nil {
		return "", err
	}
	cache.tok = tr.AccessToken
	cache.expires = now.Add(time.Duration(tr.ExpiresIn)*time.Second - tokenSafetyMargin)
	return tr.AccessToken, nil
}

// dropClientToken forgets the cached token after the bank refused it (401).
func (c *Client) dropClientToken(tok Secret) {
	for _, cache := range []*ccTokenCache{&c.ccTok, &c.copTok} {
		cache.mu.Lock()
		if cache.tok == tok {
			cache.tok = ""
		}
		cache.mu.Unlock()
	}
}

// validToken accepts 1–8192 visible ASCII characters (RFC 6749 VSCHAR without space), so a
// token can never break the Authorization header it is later sent in.
func validToken(s string) bool {
	if s == "" || len(s) > 8192 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
