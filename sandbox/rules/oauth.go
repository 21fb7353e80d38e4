package rules

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"maps"
	"mime"
	"net/url"
	"regexp"
	"slices"
)

// Form parameters of /par and /token (rule 2; client_id optional, §10 C8).
var (
	PARParams           = []string{"request", "client_assertion_type", "client_assertion", "client_id"}
	PARRequired         = []string{"request", "client_assertion_type", "client_assertion"}
	TokenCodeParams     = []string{"grant_type", "code", "redirect_uri", "code_verifier", "client_assertion_type", "client_assertion", "client_id", "scope"}
	TokenCodeRequired   = []string{"grant_type", "code", "redirect_uri", "code_verifier", "client_assertion_type", "client_assertion"}
	TokenRefreshParams  = []string{"grant_type", "refresh_token", "client_assertion_type", "client_assertion", "client_id", "scope"}
	TokenRefreshRequire = []string{"grant_type", "refresh_token", "client_assertion_type", "client_assertion"}
	TokenCCParams       = []string{"grant_type", "scope", "client_assertion_type", "client_assertion", "client_id"}
	TokenCCRequired     = []string{"grant_type", "scope", "client_assertion_type", "client_assertion"}
)

// ParseForm applies rule 2: Content-Type application/x-www-form-urlencoded
// (charset utf-8 at most), a well-formed body, no duplicate, unknown, empty
// or missing parameters. Code invalid_request, Path = parameter name (or
// Content-Type). The returned map has one value per name.
func ParseForm(contentType string, body []byte, allowed, required []string) (map[string]string, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, violation(2, OAuthInvalidRequest, "Content-Type", "must be application/x-www-form-urlencoded")
	}
	for k, v := range params {
		if k != "charset" || (v != "utf-8" && v != "UTF-8") {
			return nil, violation(2, OAuthInvalidRequest, "Content-Type", "unsupported media type parameter")
		}
	}
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, violation(2, OAuthInvalidRequest, "", "body is not valid form encoding")
	}
	out := make(map[string]string, len(vals))
	for _, name := range slices.Sorted(maps.Keys(vals)) { // sorted: the same body always gets the same answer
		v := vals[name]
		if !slices.Contains(allowed, name) {
			return nil, violation(2, OAuthInvalidRequest, name, "unknown parameter")
		}
		if len(v) != 1 {
			return nil, violation(2, OAuthInvalidRequest, name, "parameter appears more than once")
		}
		if v[0] == "" {
			return nil, violation(2, OAuthInvalidRequest, name, "parameter is empty")
		}
		out[name] = v[0]
	}
	for _, name := range required {
		if _, ok := out[name]; !ok {
			return nil, violation(2, OAuthInvalidRequest, name, "parameter is required")
		}
	}
	return out, nil
}

var verifierPattern = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

// CheckPKCE applies rule 24's PKCE check: the verifier is 43–128 unreserved
// characters and BASE64URL(SHA256(verifier)) equals the challenge. Code
// invalid_grant.
func CheckPKCE(verifier, challenge string) error {
	if !verifierPattern.MatchString(verifier) {
		return violation(24, OAuthInvalidGrant, "code_verifier", "must be 43–128 unreserved characters")
	}
	sum := sha256.Sum256([]byte(verifier))
	got := base64.RawURLEncoding.EncodeToString(sum[:])
	if subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) != 1 {
		return violation(24, OAuthInvalidGrant, "code_verifier", "does not match the code_challenge")
	}
	return nil
}
