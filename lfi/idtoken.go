package lfi

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// id_token validation (OpenID Connect Core §3.1.3.7, FAPI 1 Advanced §5.2.2.1 s_hash, the
// OpenID conformance suite's client tests). The UAE token endpoint may return an id_token
// (uae-spec.md §3.5); when it does, nothing from the authorization is accepted until it passes.

const (
	// maxIDTokenAge bounds how long ago iat may be. The id_token arrives in the token response
	// it was minted for, so only clock drift separates iat from now; an older one is a replay
	// or a broken clock (conformance "iat-is-week-in-past").
	maxIDTokenAge = 10 * time.Minute
	// maxIDTokenLen bounds the work a hostile token endpoint can cause.
	maxIDTokenLen = 16 << 10
	// maxSubLen is OIDC Core §2's limit on sub.
	maxSubLen = 255
)

// ErrIDTokenInvalid is matched (errors.Is) by every *IDTokenError.
var ErrIDTokenInvalid = errors.New("id_token rejected")

// errUnknownKid marks a kid that is not a use=sig PS256 key of the LFI, even after a refetch.
var errUnknownKid = errors.New("not a use=sig PS256 key in the LFI JWKS")

// IDTokenError names the check an id_token failed. Reason is fixed text of ours: nothing from
// the token (claims, kid, hashes) is ever copied into it, since an id_token carries the
// user's subject and is itself a credential.
type IDTokenError struct {
	// Claim is the failed check: "format", "alg", "kid", "signature", "iss", "aud", "azp",
	// "exp", "iat", "nbf", "auth_time", "nonce", "sub", "s_hash", "c_hash" or "at_hash".
	Claim  string
	Reason string
}

func (e *IDTokenError) Error() string { return "id_token rejected: " + e.Claim + ": " + e.Reason }

// Is makes errors.Is(err, ErrIDTokenInvalid) true.
func (e *IDTokenError) Is(target error) bool { return target == ErrIDTokenInvalid }

func idErr(claim, reason string) error { return &IDTokenError{Claim: claim, Reason: reason} }

// IDTokenExpectations are the values of this one authorization the id_token must match.
type IDTokenExpectations struct {
	// Nonce is the nonce of the request object. Required: we always send one.
	Nonce string
	// State is the request object's state; a present s_hash must be its hash.
	State string
	// Code is the authorization code; a present c_hash must be its hash.
	Code Secret
	// AccessToken is the access token of the same response; a present at_hash must be its hash.
	// A missing at_hash is fine (conformance "missing-athash" is a positive test).
	AccessToken Secret
}

// IDTokenOptions are everything VerifyIDToken checks the token against.
type IDTokenOptions struct {
	Issuer   string    // the discovered issuer; iss must equal it exactly
	ClientID string    // our client_id; aud must contain it
	Now      time.Time // the injected clock; required
	Expect   IDTokenExpectations
}

// IDToken is a verified id_token. Subject may identify the user: do not log it.
type IDToken struct {
	KeyID           string
	Issuer          string
	Subject         string
	Audience        []string
	AuthorizedParty string // azp, "" when absent
	IssuedAt        time.Time
	Expiry          time.Time
	AuthTime        time.Time // zero when absent
}

// String leaves out the subject, which may identify the user.
func (t *IDToken) String() string {
	if t == nil {
		return "id_token{none}"
	}
	return fmt.Sprintf("id_token{iss=%s kid=%s iat=%s exp=%s sub=%s}", safeToken(t.Issuer), safeToken(t.KeyID),
		t.IssuedAt.UTC().Format(time.RFC3339), t.Expiry.UTC().Format(time.RFC3339), redacted)
}

// GoString redacts like String (the %#v verb).
func (t *IDToken) GoString() string { return t.String() }

// LogValue redacts the subject for log/slog.
func (t *IDToken) LogValue() slog.Value { return slog.StringValue(t.String()) }

// KeyLookup returns the LFI's use=sig PS256 key for kid. An error wrapping errUnknownKid (as
// Client.verificationKey returns) means the kid is not the bank's; any other error is a
// failure to get the keys.
type KeyLookup func(kid string) (*rsa.PublicKey, error)

// VerifyIDToken checks a compact id_token: PS256 with a kid, the signature with keyFor(kid),
// then iss, aud/azp, exp, iat, nbf, auth_time, nonce, sub, s_hash, c_hash and at_hash. A token
// that fails yields an *IDTokenError; claims are returned only from a token that passed.
func VerifyIDToken(compact string, keyFor KeyLookup, opts IDTokenOptions) (*IDToken, error) {
	if opts.Now.IsZero() || opts.Issuer == "" || opts.ClientID == "" {
		return nil, errors.New("verify id_token: Now, Issuer and ClientID are required")
	}
	if opts.Expect.Nonce == "" {
		return nil, errors.New("verify id_token: the expected nonce is required")
	}
	if keyFor == nil {
		return nil, errors.New("verify id_token: no key lookup")
	}
	obj, kid, err := parseIDTokenJWS(compact)
	if err != nil {
		return nil, err
	}
	key, err := keyFor(kid)
	if errors.Is(err, errUnknownKid) {
		return nil, idErr("kid", "not a use=sig PS256 key in the bank's JWKS")
	}
	if err != nil {
		return nil, fmt.Errorf("verify id_token: get the bank's signing key: %w", err)
	}
	if key == nil {
		return nil, idErr("kid", "no key for it")
	}
	payload, err := obj.Verify(key)
	if err != nil {
		return nil, idErr("signature", "does not verify with the bank's key")
	}
	tok, err := checkIDTokenClaims(payload, opts)
	if err != nil {
		return nil, err
	}
	tok.KeyID = kid
	return tok, nil
}

// parseIDTokenJWS reads the protected header itself first, so that a wrong alg or a missing
// kid is reported as such (go-jose only says "unexpected algorithm"), then parses with the
// PS256 allow-list.
func parseIDTokenJWS(compact string) (*jose.JSONWebSignature, string, error) {
	if compact == "" {
		return nil, "", idErr("format", "empty")
	}
	if len(compact) > maxIDTokenLen {
		return nil, "", idErr("format", "longer than 16 KiB")
	}
	parts := strings.Split(compact, ".")
	if len(parts) != 3 {
		return nil, "", idErr("format", "not a compact JWS (encrypted or malformed)")
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, "", idErr("format", "header is not base64url")
	}
	var h struct {
		Alg *string `json:"alg"`
		Kid *string `json:"kid"`
	}
	if err := unmarshal(raw, &h); err != nil {
		return nil, "", idErr("format", "header is not a JSON object with string alg and kid")
	}
	if h.Alg == nil || *h.Alg != string(jose.PS256) {
		return nil, "", idErr("alg", "must be PS256")
	}
	if h.Kid == nil || *h.Kid == "" {
		return nil, "", idErr("kid", "missing from the header")
	}
	obj, err := jose.ParseSignedCompact(compact, allowedSigAlgs)
	if err != nil {
		return nil, "", idErr("format", "not a parseable PS256 JWS")
	}
	if len(obj.Signatures) != 1 || obj.Signatures[0].Protected.KeyID != *h.Kid {
		return nil, "", idErr("format", "not a single-signature JWS")
	}
	return obj, *h.Kid, nil
}

type idTokenClaims struct {
	Iss, Sub, Azp, Nonce, SHash, CHash, AtHash *string
	Exp, Iat, Nbf, AuthTime                    *json.Number
	Aud                                        json.RawMessage
}

// decodeIDTokenClaims matches claim names exactly: encoding/json would also fill a field from
// "NONCE" or "Iss", which no OIDC party means.
func decodeIDTokenClaims(payload []byte) (*idTokenClaims, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	var m map[string]json.RawMessage
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, idErr("format", "claims are not a JSON object")
	}
	if dec.More() {
		return nil, idErr("format", "trailing data after the claims")
	}
	cl := &idTokenClaims{Aud: m["aud"]}
	for name, dst := range map[string]**string{"iss": &cl.Iss, "sub": &cl.Sub, "azp": &cl.Azp, "nonce": &cl.Nonce,
		"s_hash": &cl.SHash, "c_hash": &cl.CHash, "at_hash": &cl.AtHash} {
		raw, ok := m[name]
		if !ok {
			continue
		}
		var s string
		if bytes.Equal(raw, []byte("null")) || unmarshal(raw, &s) != nil {
			return nil, idErr(name, "not a string")
		}
		*dst = &s
	}
	for name, dst := range map[string]**json.Number{"exp": &cl.Exp, "iat": &cl.Iat, "nbf": &cl.Nbf, "auth_time": &cl.AuthTime} {
		raw, ok := m[name]
		if !ok {
			continue
		}
		// A JSON number only: encoding/json would also accept a numeric string.
		var n json.Number
		if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) || unmarshal(raw, &n) != nil {
			return nil, idErr(name, "not a NumericDate")
		}
		*dst = &n
	}
	return cl, nil
}

// checkIDTokenClaims checks the claims of a token whose signature has been verified.
func checkIDTokenClaims(payload []byte, opts IDTokenOptions) (*IDToken, error) {
	cl, err := decodeIDTokenClaims(payload)
	if err != nil {
		return nil, err
	}
	tok := &IDToken{}

	if cl.Iss == nil {
		return nil, idErr("iss", "missing")
	}
	if *cl.Iss != opts.Issuer { // exact, no normalisation (conformance "invalid-iss")
		return nil, idErr("iss", "is not the discovered issuer")
	}
	tok.Issuer = *cl.Iss

	aud, err := audience(cl.Aud)
	if err != nil {
		return nil, err
	}
	if !contains(aud, opts.ClientID) {
		return nil, idErr("aud", "does not contain our client_id")
	}
	if distinct(aud) > 1 && cl.Azp == nil {
		return nil, idErr("azp", "missing although aud names several audiences")
	}
	if cl.Azp != nil {
		if *cl.Azp != opts.ClientID {
			return nil, idErr("azp", "is not our client_id")
		}
		tok.AuthorizedParty = *cl.Azp
	}
	tok.Audience = aud

	if tok.Expiry, err = requiredDate("exp", cl.Exp); err != nil {
		return nil, err
	}
	if !opts.Now.Before(tok.Expiry.Add(clockLeeway)) {
		return nil, idErr("exp", "expired")
	}
	if tok.IssuedAt, err = requiredDate("iat", cl.Iat); err != nil {
		return nil, err
	}
	if tok.IssuedAt.After(opts.Now.Add(clockLeeway)) {
		return nil, idErr("iat", "in the future")
	}
	if tok.IssuedAt.Before(opts.Now.Add(-maxIDTokenAge - clockLeeway)) {
		return nil, idErr("iat", "issued too long ago")
	}
	if !tok.Expiry.After(tok.IssuedAt) {
		return nil, idErr("exp", "not after iat")
	}
	if cl.Nbf != nil {
		nbf, err := requiredDate("nbf", cl.Nbf)
		if err != nil {
			return nil, err
		}
		if nbf.After(opts.Now.Add(clockLeeway)) {
			return nil, idErr("nbf", "not yet valid")
		}
	}
	if cl.AuthTime != nil {
		if tok.AuthTime, err = requiredDate("auth_time", cl.AuthTime); err != nil {
			return nil, err
		}
		if tok.AuthTime.After(opts.Now.Add(clockLeeway)) {
			return nil, idErr("auth_time", "in the future")
		}
	}

	if cl.Nonce == nil {
		return nil, idErr("nonce", "missing")
	}
	if subtle.ConstantTimeCompare([]byte(*cl.Nonce), []byte(opts.Expect.Nonce)) != 1 {
		return nil, idErr("nonce", "does not match the nonce of the request object")
	}

	if cl.Sub == nil || *cl.Sub == "" {
		return nil, idErr("sub", "missing")
	}
	if len(*cl.Sub) > maxSubLen {
		return nil, idErr("sub", "longer than 255 characters")
	}
	tok.Subject = *cl.Sub

	for _, h := range []struct {
		claim, of string
		got       *string
		value     string
	}{
		{"s_hash", "the state", cl.SHash, opts.Expect.State},
		{"c_hash", "the authorization code", cl.CHash, opts.Expect.Code.Reveal()},
		{"at_hash", "the access token", cl.AtHash, opts.Expect.AccessToken.Reveal()},
	} {
		if h.got == nil {
			continue
		}
		if h.value == "" {
			return nil, idErr(h.claim, "present but there is no value to check it against")
		}
		if subtle.ConstantTimeCompare([]byte(*h.got), []byte(LeftHalfHash(h.value))) != 1 {
			return nil, idErr(h.claim, "does not match "+h.of)
		}
	}
	return tok, nil
}

// LeftHalfHash is the OIDC hash claim value (s_hash, c_hash, at_hash) for a PS256 token:
// base64url of the left half of SHA-256(value).
func LeftHalfHash(value string) string {
	sum := sha256.Sum256([]byte(value))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

// audience reads aud: one string, or a non-empty array of strings.
func audience(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, idErr("aud", "missing")
	}
	var one string
	if unmarshal(raw, &one) == nil {
		if one == "" {
			return nil, idErr("aud", "empty")
		}
		return []string{one}, nil
	}
	var many []string
	if err := unmarshal(raw, &many); err != nil || len(many) == 0 {
		return nil, idErr("aud", "not a string or a non-empty array of strings")
	}
	return many, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func distinct(list []string) int {
	seen := map[string]bool{}
	for _, v := range list {
		seen[v] = true
	}
	return len(seen)
}

func requiredDate(claim string, n *json.Number) (time.Time, error) {
	if n == nil {
		return time.Time{}, idErr(claim, "missing")
	}
	t, err := numericDate(*n)
	if err != nil {
		return time.Time{}, idErr(claim, "not a NumericDate")
	}
	return t, nil
}

// VerifyIDToken verifies an id_token from this bank's token endpoint: the signing key comes
// from the LFI JWKS by kid (use=sig, PS256; one refetch when the kid is unknown), iss must be
// the discovered issuer, aud our client_id, and the times are judged by the injected clock.
// want carries this authorization's nonce, state, code and access token.
func (c *Client) VerifyIDToken(ctx context.Context, idToken Secret, want IDTokenExpectations) (*IDToken, error) {
	d, err := c.Discovery(ctx)
	if err != nil {
		return nil, fmt.Errorf("verify id_token: %w", err)
	}
	keyFor := func(kid string) (*rsa.PublicKey, error) {
		k, _, err := c.verificationKey(ctx, kid)
		return k, err
	}
	return VerifyIDToken(idToken.Reveal(), keyFor,
		IDTokenOptions{Issuer: d.Issuer, ClientID: c.cfg.ClientID, Now: c.clock(), Expect: want})
}
