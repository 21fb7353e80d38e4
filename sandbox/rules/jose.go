package rules

import (
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// KeyLookup resolves a kid to a public key from the caller's JWKS. It must
// return an error (or a nil key) for an unknown kid.
type KeyLookup func(kid string) (*jose.JSONWebKey, error)

// MaxJOSELength bounds any compact JWS/JWE the bank will parse.
const MaxJOSELength = 256 << 10

// minRSABits is the FAPI minimum key size.
const minRSABits = 2048

// Allow-lists for protected-header members. Anything else (jku, jwk, x5u,
// x5c, crit, b64, zip, …) is rejected, so a token cannot point the bank at
// a key or change how it is processed.
var (
	jwsHeaderAllowed = map[string]bool{"alg": true, "kid": true, "typ": true}
	jweHeaderAllowed = map[string]bool{"alg": true, "enc": true, "kid": true, "cty": true}
)

// VerifyJWS verifies a compact PS256 JWS (rule 27's JWS checks; the same
// checks serve rules 3, 5, 17 and 37 through the wrappers that relabel the
// rule). It returns the payload and the kid that verified it.
//
// Codes: not three base64url segments or bad JSON → JWS.Malformed; alg other
// than PS256, missing kid or a header member outside {alg,kid,typ} →
// JWS.InvalidHeader; unknown kid, a key that is not an RSA ≥2048 use=sig
// key, or a bad signature → JWS.InvalidSignature.
func VerifyJWS(compact string, keyFor KeyLookup) (payload []byte, kid string, err error) {
	return verifyJWS(compact, keyFor, 27)
}

func verifyJWS(compact string, keyFor KeyLookup, rule int) ([]byte, string, error) {
	if len(compact) > MaxJOSELength {
		return nil, "", violation(rule, CodeJWSMalformed, "", "JWS is too large")
	}
	switch strings.Count(compact, ".") {
	case 2:
	case 4:
		return nil, "", violation(rule, CodeJWSMalformed, "", "is a JWE (5 segments); a compact JWS (3 segments) is required")
	default:
		return nil, "", violation(rule, CodeJWSMalformed, "", "must be a compact JWS of three base64url segments")
	}
	hdr, err := decodeProtectedHeader(compact)
	if err != nil {
		return nil, "", violation(rule, CodeJWSMalformed, "header", "protected header is not base64url JSON")
	}
	if err := onlyAllowedMembers(hdr, jwsHeaderAllowed, rule, CodeJWSInvalidHeader); err != nil {
		return nil, "", err
	}
	var alg, kid string
	if json.Unmarshal(hdr["alg"], &alg) != nil || alg != string(jose.PS256) {
		return nil, "", violation(rule, CodeJWSInvalidHeader, "header.alg", "alg must be PS256")
	}
	if json.Unmarshal(hdr["kid"], &kid) != nil || kid == "" {
		return nil, "", violation(rule, CodeJWSInvalidHeader, "header.kid", "kid is required")
	}
	if raw, ok := hdr["typ"]; ok {
		var typ string
		if json.Unmarshal(raw, &typ) != nil {
			return nil, "", violation(rule, CodeJWSInvalidHeader, "header.typ", "typ must be a string")
		}
	}
	sig, err := jose.ParseSignedCompact(compact, []jose.SignatureAlgorithm{jose.PS256})
	if err != nil {
		return nil, "", violation(rule, CodeJWSMalformed, "", "cannot parse the compact JWS")
	}
	key, err := keyFor(kid)
	if err != nil || key == nil {
		return nil, "", violation(rule, CodeJWSInvalidSignature, "header.kid", "kid does not name a registered signing key")
	}
	if err := checkSigningKey(key); err != nil {
		return nil, "", violation(rule, CodeJWSInvalidSignature, "header.kid", "%v", err)
	}
	payload, err := sig.Verify(key)
	if err != nil {
		return nil, "", violation(rule, CodeJWSInvalidSignature, "signature", "signature does not verify")
	}
	return payload, kid, nil
}

func checkSigningKey(key *jose.JSONWebKey) error {
	if key.Use != "sig" {
		return fmt.Errorf("kid names a key whose use is not sig")
	}
	if key.Algorithm != "" && key.Algorithm != string(jose.PS256) {
		return fmt.Errorf("kid names a key not meant for PS256")
	}
	pub, ok := key.Key.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("kid names a key that is not an RSA public key")
	}
	if pub.N.BitLen() < minRSABits {
		return fmt.Errorf("kid names an RSA key shorter than 2048 bits")
	}
	return nil
}

// onlyAllowedMembers refuses a protected-header member outside allowed,
// naming the first in sorted order so the answer does not depend on map
// iteration.
func onlyAllowedMembers(hdr map[string]json.RawMessage, allowed map[string]bool, rule int, code string) error {
	for _, name := range slices.Sorted(maps.Keys(hdr)) {
		if !allowed[name] {
			return violation(rule, code, "header."+name, "header member is not allowed")
		}
	}
	return nil
}

// decodeProtectedHeader strictly decodes the first segment (no padding, no
// duplicate members, no trailing data).
func decodeProtectedHeader(compact string) (map[string]json.RawMessage, error) {
	seg, _, _ := strings.Cut(compact, ".")
	if strings.ContainsAny(seg, "\r\n") { // Go's decoder would skip them, even Strict
		return nil, fmt.Errorf("the protected header is not base64url: it has a line break")
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(seg)
	if err != nil {
		return nil, err
	}
	hdr := map[string]json.RawMessage{}
	if err := DecodeStrict(raw, &hdr, "header"); err != nil {
		return nil, err
	}
	return hdr, nil
}

// OpenPII opens a PII token (rule 17; rule 31 at payment time): a compact
// JWE with alg RSA-OAEP-256, enc A256GCM and kid naming one of encKeys
// (else JWE.InvalidHeader), that decrypts (else JWE.DecryptionError), whose
// plaintext is a compact PS256 JWS verifying with the client's key (JWS.*).
// It returns the JWS payload; ConsentPII/PaymentPII validate it.
func OpenPII(jwe string, encKeys map[string]*rsa.PrivateKey, clientKeyFor KeyLookup, opts Options) ([]byte, error) {
	const rule = 17
	if len(jwe) > MaxJOSELength {
		return nil, violation(rule, CodeJWEInvalidHeader, "", "JWE is too large")
	}
	if strings.Count(jwe, ".") != 4 {
		return nil, violation(rule, CodeJWEInvalidHeader, "", "PII must be a compact JWE of five segments")
	}
	hdr, err := decodeProtectedHeader(jwe)
	if err != nil {
		return nil, violation(rule, CodeJWEInvalidHeader, "header", "protected header is not base64url JSON")
	}
	if err := onlyAllowedMembers(hdr, jweHeaderAllowed, rule, CodeJWEInvalidHeader); err != nil {
		return nil, err
	}
	var alg, enc, kid string
	if json.Unmarshal(hdr["alg"], &alg) != nil || alg != string(jose.RSA_OAEP_256) {
		return nil, violation(rule, CodeJWEInvalidHeader, "header.alg", "alg must be RSA-OAEP-256")
	}
	if json.Unmarshal(hdr["enc"], &enc) != nil || enc != string(jose.A256GCM) {
		return nil, violation(rule, CodeJWEInvalidHeader, "header.enc", "enc must be A256GCM")
	}
	if json.Unmarshal(hdr["kid"], &kid) != nil || kid == "" {
		return nil, violation(rule, CodeJWEInvalidHeader, "header.kid", "kid is required")
	}
	if raw, ok := hdr["cty"]; ok {
		var cty string
		if opts.RejectJWECtyJWT || json.Unmarshal(raw, &cty) != nil || !strings.EqualFold(cty, "JWT") {
			return nil, violation(rule, CodeJWEInvalidHeader, "header.cty", "cty must be absent or JWT")
		}
	}
	priv, ok := encKeys[kid]
	if !ok || priv == nil {
		return nil, violation(rule, CodeJWEInvalidHeader, "header.kid", "kid is not the bank's current encryption key")
	}
	obj, err := jose.ParseEncryptedCompact(jwe, []jose.KeyAlgorithm{jose.RSA_OAEP_256}, []jose.ContentEncryption{jose.A256GCM})
	if err != nil {
		return nil, violation(rule, CodeJWEDecryptionError, "", "cannot parse the compact JWE")
	}
	plain, err := obj.Decrypt(priv)
	if err != nil {
		return nil, violation(rule, CodeJWEDecryptionError, "", "JWE does not decrypt with the bank's key")
	}
	payload, _, err := verifyJWS(string(plain), clientKeyFor, rule)
	if err != nil {
		v := AsViolation(err)
		if v != nil && v.Code == CodeJWSMalformed {
			out := *v
			out.Message = "the JWE must contain a signed JWS: " + v.Message
			return nil, &out
		}
		return nil, err
	}
	return payload, nil
}
