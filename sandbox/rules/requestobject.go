package rules

import (
	"encoding/json"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// ClientInfo is what the bank registered about a client (the Trust
// Framework stand-in) that the request-object rules need.
type ClientInfo struct {
	ClientID     string
	RedirectURIs []string // registered, exact
	BDSP         bool     // may use the accounts scope
}

type requestObjectClaims struct {
	Iss                  *string         `json:"iss"`
	Aud                  any             `json:"aud"`
	Exp                  *float64        `json:"exp"`
	Nbf                  *float64        `json:"nbf"`
	ClientID             *string         `json:"client_id"`
	ResponseType         *string         `json:"response_type"`
	RedirectURI          *string         `json:"redirect_uri"`
	Scope                *string         `json:"scope"`
	State                *string         `json:"state"`
	Nonce                *string         `json:"nonce"`
	MaxAge               *int64          `json:"max_age,omitempty"`
	LoginHint            any             `json:"login_hint,omitempty"`
	CodeChallenge        *string         `json:"code_challenge"`
	CodeChallengeMethod  *string         `json:"code_challenge_method"`
	AuthorizationDetails json.RawMessage `json:"authorization_details"`
	// Tolerated with a warning unless Options.RejectRequestObjectIATJTI.
	Iat *float64 `json:"iat,omitempty"`
	Jti *string  `json:"jti,omitempty"`
}

// AuthorizationRequest is a validated request object.
type AuthorizationRequest struct {
	ClientID            string
	RedirectURI         string
	Scopes              []string
	State               string
	Nonce               string
	CodeChallenge       string
	CodeChallengeMethod string
	MaxAge              *int64
	ExpiresAt           time.Time
	Consent             *ConsentRequest // from authorization_details (rules 10–16)
	Warnings            []string        // tolerated deviations (iat/jti)
}

var codeChallengePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// VerifyRequestObject applies rule 5 (request is a compact PS256 JWS signed
// with the client's key; encrypted request objects are not supported) and
// then RequestObject. Codes are OAuth.
func VerifyRequestObject(request string, keyFor KeyLookup, client ClientInfo, issuer string, now time.Time, opts Options) (*AuthorizationRequest, error) {
	if strings.Count(request, ".") == 4 {
		return nil, violation(5, OAuthInvalidRequest, "request", "encrypted (JWE) request objects are not accepted")
	}
	payload, _, err := verifyJWS(request, keyFor, 5)
	if err != nil {
		v := AsOAuth(err, OAuthInvalidRequest)
		if v.Path == "" {
			v.Path = "request"
		}
		return nil, v
	}
	return RequestObject(payload, client, issuer, now, opts)
}

// RequestObject applies rules 6–9 to the verified request-object claims,
// then rules 10–16 to authorization_details (AuthorizationDetails), and
// checks that account permissions come with the accounts scope. Codes:
// invalid_request, or invalid_scope for rule 9. Path = claim name.
func RequestObject(payload []byte, client ClientInfo, issuer string, now time.Time, opts Options) (*AuthorizationRequest, error) {
	var c requestObjectClaims
	if err := DecodeStrict(payload, &c, ""); err != nil {
		return nil, decodeViolation(err, 6, OAuthInvalidRequest)
	}
	ck := newChecker(6, OAuthInvalidRequest)
	out := &AuthorizationRequest{}

	// Rule 6: claims present, iss == client_id == client, aud single string.
	for _, req := range []struct {
		name    string
		present bool
	}{
		{"iss", c.Iss != nil}, {"aud", c.Aud != nil}, {"exp", c.Exp != nil}, {"nbf", c.Nbf != nil},
		{"client_id", c.ClientID != nil}, {"response_type", c.ResponseType != nil},
		{"redirect_uri", c.RedirectURI != nil}, {"scope", c.Scope != nil},
		{"code_challenge", c.CodeChallenge != nil}, {"code_challenge_method", c.CodeChallengeMethod != nil},
		{"authorization_details", c.AuthorizationDetails != nil}, {"state", c.State != nil}, {"nonce", c.Nonce != nil},
	} {
		if !req.present {
			ck.fail(req.name, "is required")
		}
	}
	if !ck.ok() {
		return nil, ck.result()
	}
	switch {
	case *c.ClientID != client.ClientID:
		ck.fail("client_id", "must equal the authenticated client")
	case *c.Iss != *c.ClientID:
		ck.fail("iss", "must equal client_id")
	}
	if s, isString := c.Aud.(string); !isString {
		ck.fail("aud", "must be a single string (the issuer), not an array")
	} else if s != issuer {
		ck.fail("aud", "must be the issuer identifier (not the /par or /token URL)")
	}
	if *c.State == "" {
		ck.fail("state", "must not be empty")
	}
	if *c.Nonce == "" {
		ck.fail("nonce", "must not be empty")
	}
	if c.LoginHint != nil {
		if _, isString := c.LoginHint.(string); !isString {
			if _, isObject := c.LoginHint.(map[string]any); !isObject {
				ck.fail("login_hint", "must be a string or an object")
			}
		}
	}
	for _, tolerated := range []struct {
		name    string
		present bool
	}{{"iat", c.Iat != nil}, {"jti", c.Jti != nil}} {
		if !tolerated.present {
			continue
		}
		if opts.RejectRequestObjectIATJTI {
			ck.fail(tolerated.name, "unknown claim")
		} else {
			out.Warnings = append(out.Warnings, "request object carries "+tolerated.name+", which v2.1 does not define")
		}
	}

	// Rule 7: nbf ≤ now+leeway, now − nbf ≤ 600, exp > now, exp − nbf ≤ 600.
	if ck.ok() {
		ck.rule = 7
		leeway := opts.leeway()
		life := opts.requestObjectLifetime()
		exp, okExp := numericDate(*c.Exp)
		nbf, okNbf := numericDate(*c.Nbf)
		switch {
		case !okExp:
			ck.fail("exp", "is not a valid NumericDate")
		case !okNbf:
			ck.fail("nbf", "is not a valid NumericDate")
		case nbf.After(now.Add(leeway)):
			ck.fail("nbf", "is in the future")
		case now.Sub(nbf) > life+leeway:
			ck.fail("nbf", "is more than %s in the past", life)
		case !exp.After(now.Add(-leeway)):
			ck.fail("exp", "request object has expired")
		case exp.Sub(nbf) > life:
			ck.fail("exp", "exp − nbf must be at most %s", life)
		}
		out.ExpiresAt = exp
	}

	// Rule 8: response type, PKCE, max_age, redirect_uri.
	if ck.ok() {
		ck.rule = 8
		if *c.ResponseType != "code" {
			ck.fail("response_type", "must be code")
		}
		if *c.CodeChallengeMethod != "S256" {
			ck.fail("code_challenge_method", "must be S256")
		}
		ck.pattern("code_challenge", *c.CodeChallenge, codeChallengePattern, "43 base64url characters (SHA-256, no padding)")
		if c.MaxAge != nil && (*c.MaxAge < 0 || *c.MaxAge > 3600) {
			ck.fail("max_age", "must be between 0 and 3600")
		}
		if !redirectAllowed(*c.RedirectURI, client.RedirectURIs, opts.AllowLoopbackRedirects) {
			ck.fail("redirect_uri", "must exactly equal a registered HTTPS redirect URI")
		}
	}

	// Rule 9: scope.
	var scopes []string
	if ck.ok() {
		ck.rule, ck.code = 9, OAuthInvalidScope
		scopes = strings.Fields(*c.Scope)
		for _, s := range scopes {
			switch s {
			case "openid", "payments":
			case "accounts":
				if !client.BDSP {
					ck.fail("scope", "accounts needs the BDSP role")
				}
			default:
				ck.fail("scope", "contains an unknown scope value")
			}
		}
		if !slices.Contains(scopes, "openid") || !slices.Contains(scopes, "payments") {
			ck.fail("scope", "must contain openid and payments")
		}
	}
	if !ck.ok() {
		return nil, ck.result()
	}

	consent, err := AuthorizationDetails(c.AuthorizationDetails, now, opts)
	if err != nil {
		return nil, err
	}
	if NeedsAccountsScope(consent.Permissions) && !slices.Contains(scopes, "accounts") {
		return nil, violation(16, OAuthInvalidScope, "scope", "account Permissions need the accounts scope")
	}
	out.ClientID = *c.ClientID
	out.RedirectURI = *c.RedirectURI
	out.Scopes = scopes
	out.State = *c.State
	out.Nonce = *c.Nonce
	out.CodeChallenge = *c.CodeChallenge
	out.CodeChallengeMethod = *c.CodeChallengeMethod
	out.MaxAge = c.MaxAge
	out.Consent = consent
	return out, nil
}

// redirectAllowed: exact match of a registered HTTPS URI; with loopback
// allowed, http://127.0.0.1 or [::1] on any port when a registered
// loopback URI has the same host, path and query (RFC 8252 §7.3).
func redirectAllowed(uri string, registered []string, loopback bool) bool {
	u, err := url.Parse(uri)
	if err != nil || u.Fragment != "" || u.User != nil {
		return false
	}
	for _, r := range registered {
		if r == uri && u.Scheme == "https" {
			return true
		}
	}
	if !loopback || u.Scheme != "http" || !isLoopbackIP(u.Hostname()) {
		return false
	}
	for _, r := range registered {
		ru, err := url.Parse(r)
		if err != nil || ru.Scheme != "http" || !isLoopbackIP(ru.Hostname()) {
			continue
		}
		if ru.Hostname() == u.Hostname() && ru.EscapedPath() == u.EscapedPath() && ru.RawQuery == u.RawQuery {
			return true
		}
	}
	return false
}

func isLoopbackIP(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && (ip.Equal(net.IPv4(127, 0, 0, 1)) || ip.Equal(net.IPv6loopback))
}
