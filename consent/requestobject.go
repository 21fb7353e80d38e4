package consent

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Request-object lifetime: nbf = now − 10 s absorbs clock drift; exp − nbf = 300 s is the
// recommended value under the 600 s ceiling the AS enforces.
const (
	requestObjectSkew     = 10 * time.Second
	requestObjectLifetime = 300 * time.Second
)

// RequestObjectClaims are exactly the claims of the signed request object sent to /par. The
// schema is closed, so there is no iat, no jti and nothing else.
type RequestObjectClaims struct {
	Iss                  string                `json:"iss"`
	Aud                  string                `json:"aud"` // the AS issuer, a single string
	Exp                  int64                 `json:"exp"`
	Nbf                  int64                 `json:"nbf"`
	ClientID             string                `json:"client_id"`
	ResponseType         string                `json:"response_type"`
	RedirectURI          string                `json:"redirect_uri"`
	Scope                string                `json:"scope"`
	CodeChallenge        string                `json:"code_challenge"`
	CodeChallengeMethod  string                `json:"code_challenge_method"`
	AuthorizationDetails []AuthorizationDetail `json:"authorization_details"`
	State                string                `json:"state"`
	Nonce                string                `json:"nonce"`
}

// RequestObjectInput is what the request object is made of.
type RequestObjectInput struct {
	ClientID             string
	Issuer               string // from discovery
	RedirectURI          string
	Scope                string // see Scope()
	CodeChallenge        string
	State                string
	Nonce                string
	AuthorizationDetails []AuthorizationDetail
	Now                  time.Time
}

// ClaimsSigner signs a JSON-encodable claims set as a compact PS256 JWS (lfi.Signer).
type ClaimsSigner interface {
	SignClaims(claims any) (string, error)
}

// NewRequestObjectClaims validates in and returns the claims.
func NewRequestObjectClaims(in RequestObjectInput) (RequestObjectClaims, error) {
	if in.ClientID == "" {
		return RequestObjectClaims{}, fieldErr("client_id", "is required")
	}
	if in.Issuer == "" {
		return RequestObjectClaims{}, fieldErr("aud", "needs the discovered issuer")
	}
	if err := validateRedirectURI(in.RedirectURI); err != nil {
		return RequestObjectClaims{}, err
	}
	if err := validateScope(in.Scope); err != nil {
		return RequestObjectClaims{}, err
	}
	if len(in.CodeChallenge) != 43 || strings.Trim(in.CodeChallenge, base64URLAlphabet) != "" {
		return RequestObjectClaims{}, fieldErr("code_challenge", "must be a 43-character base64url S256 challenge")
	}
	if err := validateUUID("state", in.State); err != nil {
		return RequestObjectClaims{}, err
	}
	if err := validateUUID("nonce", in.Nonce); err != nil {
		return RequestObjectClaims{}, err
	}
	if len(in.AuthorizationDetails) != 1 {
		return RequestObjectClaims{}, fieldErr("authorization_details", "must have exactly one element, got %d", len(in.AuthorizationDetails))
	}
	if in.Now.IsZero() {
		return RequestObjectClaims{}, fieldErr("nbf", "needs the current time")
	}
	nbf := in.Now.Add(-requestObjectSkew).Unix()
	return RequestObjectClaims{
		Iss:                  in.ClientID,
		Aud:                  in.Issuer,
		Exp:                  nbf + int64(requestObjectLifetime/time.Second),
		Nbf:                  nbf,
		ClientID:             in.ClientID,
		ResponseType:         "code",
		RedirectURI:          in.RedirectURI,
		Scope:                in.Scope,
		CodeChallenge:        in.CodeChallenge,
		CodeChallengeMethod:  "S256",
		AuthorizationDetails: in.AuthorizationDetails,
		State:                in.State,
		Nonce:                in.Nonce,
	}, nil
}

// SignRequestObject signs the claims with the TPP's PS256 key.
func SignRequestObject(s ClaimsSigner, c RequestObjectClaims) (string, error) {
	jws, err := s.SignClaims(c)
	if err != nil {
		return "", fmt.Errorf("sign request object: %w", err)
	}
	return jws, nil
}

const base64URLAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

func validateScope(scope string) error {
	switch scope {
	case "payments openid", "accounts payments openid":
		return nil
	}
	return fieldErr("scope", `must be "payments openid" or "accounts payments openid"`)
}

// validateRedirectURI requires an absolute https URI (or http on a loopback address, which the
// embedded sandbox and RFC 8252 native clients use) with no fragment.
func validateRedirectURI(raw string) error {
	const field = "redirect_uri"
	if raw == "" {
		return fieldErr(field, "is required")
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return fieldErr(field, "must be an absolute URL")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return fieldErr(field, "must not have a fragment")
	}
	if u.User != nil {
		return fieldErr(field, "must not carry user info")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopbackHost(u.Hostname()) {
			return fieldErr(field, "must use https (http is allowed only on a loopback address)")
		}
	default:
		return fieldErr(field, "must use https")
	}
	return nil
}
