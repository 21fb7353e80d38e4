package op

import (
	"crypto"
	"crypto/rand"
	"io"
	"math/big"

	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
	"hash"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// signingKey is the TPP's QSealC (or emulated) key with its kid in the registered JWKS. OP
// takes RS256 or ES256.
type signingKey struct {
	alg jose.SignatureAlgorithm
	kid string
	key crypto.Signer
	// hdr is BASE64URL of the detached signatures' protected header {"alg","kid"}: made
	// once, it is the same for every request.
	hdr string
	jwt jose.Signer // request objects: {"alg","kid","typ":"JWT"}
	rnd io.Reader
}

func newSigningKey(key crypto.Signer, kid string) (*signingKey, error) {
	var alg jose.SignatureAlgorithm
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return nil, errors.New("an EC key must be on P-256 (ES256)")
		}
		alg = jose.ES256
	case *rsa.PrivateKey:
		if k.N.BitLen() < 2048 {
			return nil, errors.New("an RSA key must have at least 2048 bits (RS256)")
		}
		alg = jose.RS256
	default:
		return nil, errors.New("the signing key must be an ECDSA P-256 or RSA private key")
	}
	if !printableID(kid, 256) {
		return nil, errors.New("the key id (kid) must be printable ASCII without spaces")
	}
	sk := jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}
	j, err := jose.NewSigner(sk, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, err
	}
	hdr, err := json.Marshal(struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}{string(alg), kid})
	if err != nil {
		return nil, err
	}
	return &signingKey{alg: alg, kid: kid, key: key, hdr: base64.RawURLEncoding.EncodeToString(hdr), jwt: j, rnd: rand.Reader}, nil
}

// detached is the x-jws-signature of body: RFC 7515 compact serialisation with the payload
// left out (header..signature), signed over BASE64URL(header) "." BASE64URL(body) — exactly
// the bytes that are sent.
//
// It is built here, on crypto.Signer (so an HSM key works), rather than with go-jose: a
// request is signed once per payment and the JOSE layer should cost next to nothing beside
// the signature itself (BenchmarkDetachedRatio); go-jose verifies it in the tests.
func (k *signingKey) detached(body []byte) (string, error) {
	input := make([]byte, 0, len(k.hdr)+1+base64.RawURLEncoding.EncodedLen(len(body)))
	input = append(input, k.hdr...)
	input = append(input, '.')
	input = base64.RawURLEncoding.AppendEncode(input, body)
	d := sha256.Sum256(input)
	sig, err := k.key.Sign(k.rnd, d[:], crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("sign the request body: %w", err)
	}
	if k.alg == jose.ES256 {
		// crypto.Signer gives ASN.1 DER; JWS wants R || S, 32 bytes each (RFC 7518 §3.4).
		if sig, err = derToRaw(sig, 32); err != nil {
			return "", fmt.Errorf("sign the request body: %w", err)
		}
	}
	out := make([]byte, 0, len(k.hdr)+2+base64.RawURLEncoding.EncodedLen(len(sig)))
	out = append(out, k.hdr...)
	out = append(out, '.', '.')
	out = base64.RawURLEncoding.AppendEncode(out, sig)
	return string(out), nil
}

// derToRaw turns an ECDSA-Sig-Value (SEQUENCE { r INTEGER, s INTEGER }) into r || s, each
// left-padded to size bytes.
func derToRaw(der []byte, size int) ([]byte, error) {
	in := cryptobyte.String(der)
	var body cryptobyte.String
	var r, s big.Int
	if !in.ReadASN1(&body, asn1.SEQUENCE) || !in.Empty() || !body.ReadASN1Integer(&r) || !body.ReadASN1Integer(&s) || !body.Empty() ||
		r.Sign() <= 0 || s.Sign() <= 0 || r.BitLen() > size*8 || s.BitLen() > size*8 {
		return nil, errors.New("the key returned a malformed ECDSA signature")
	}
	out := make([]byte, 2*size)
	r.FillBytes(out[:size])
	s.FillBytes(out[size:])
	return out, nil
}

// compactJWT signs claims as a JWT (header alg, kid, typ JWT).
func (k *signingKey) compactJWT(claims any) (string, error) {
	raw, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	obj, err := k.jwt.Sign(raw)
	if err != nil {
		return "", err
	}
	return obj.CompactSerialize()
}

// bankAlgs are the algorithms payterm accepts from OP (the demo accepts these three).
var bankAlgs = []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.PS256}

// verifyDetached checks OP's x-jws-signature over the exact response body against the
// payments JWKS; a missing or failing signature means the body is not read.
func verifyDetached(sig string, body []byte, keys *jose.JSONWebKeySet) error {
	if sig == "" {
		return &SignatureError{Reason: "no x-jws-signature"}
	}
	if len(sig) > maxJWTLen {
		return &SignatureError{Reason: "x-jws-signature too long"}
	}
	parts := strings.Split(sig, ".")
	if len(parts) != 3 || parts[1] != "" {
		return &SignatureError{Reason: "x-jws-signature is not header..signature"}
	}
	obj, err := jose.ParseDetached(sig, body, bankAlgs)
	if err != nil || len(obj.Signatures) != 1 {
		return &SignatureError{Reason: "x-jws-signature cannot be read"}
	}
	key, err := keyFor(keys, obj.Signatures[0].Header)
	if err != nil {
		return err
	}
	if err := obj.DetachedVerify(body, key); err != nil {
		return &SignatureError{Reason: "x-jws-signature does not verify over the body"}
	}
	return nil
}

// keyFor picks the JWKS key the header names (kid), or the only key when it names none.
func keyFor(keys *jose.JSONWebKeySet, h jose.Header) (any, error) {
	if keys == nil || len(keys.Keys) == 0 {
		return nil, &SignatureError{Reason: "no OP keys are configured"}
	}
	if h.KeyID == "" {
		if len(keys.Keys) == 1 {
			return keys.Keys[0].Key, nil
		}
		return nil, &SignatureError{Reason: "the signature names no kid"}
	}
	found := keys.Key(h.KeyID)
	if len(found) != 1 {
		return nil, &SignatureError{Reason: "the signature's kid is not in OP's JWKS"}
	}
	if found[0].Algorithm != "" && found[0].Algorithm != h.Algorithm {
		return nil, &SignatureError{Reason: "the signature's alg is not its key's"}
	}
	return found[0].Key, nil
}

// HalfHash is an OIDC token hash (c_hash, s_hash, at_hash, rt_hash): base64url (no padding)
// of the left-most half of the hash of the ASCII value, the hash chosen by the ID token's
// alg (SHA-256 for ES256/RS256/PS256, SHA-384 for *384, SHA-512 for *512). Seed 000's
// "left-most 256 bits" for s_hash is wrong: it is half, as its rt_hash row and OIDC Core say.
func HalfHash(alg, value string) (string, error) {
	var h hash.Hash
	switch alg {
	case "ES256", "RS256", "PS256":
		h = sha256.New()
	case "ES384", "RS384", "PS384":
		h = sha512.New384()
	case "ES512", "RS512", "PS512":
		h = sha512.New()
	default:
		return "", fmt.Errorf("no hash is defined for alg %q", alg)
	}
	h.Write([]byte(value))
	d := h.Sum(nil)
	return base64.RawURLEncoding.EncodeToString(d[:len(d)/2]), nil
}

// IDTokenWant is what an ID token must say.
type IDTokenWant struct {
	Issuer          string
	ClientID        string
	Nonce           string
	AuthorizationID string
	ACR             string
	// The values whose hashes the token must carry: Code and State from a redirect (c_hash,
	// s_hash), AccessToken and RefreshToken from the token endpoint (at_hash, rt_hash).
	Code, State, AccessToken, RefreshToken string
	Now                                    time.Time
	Skew                                   time.Duration // default 120 s
	MaxAge                                 time.Duration // since iat; default 600 s
}

// IDTokenError says which check an ID token failed; no value is quoted.
type IDTokenError struct{ Check string }

func (e *IDTokenError) Error() string { return "OP's ID token fails the check: " + e.Check }

// CheckIDToken verifies an ID token's signature against OP's OIDC JWKS and every claim payterm
// relies on: iss, aud, exp/iat, nonce, sub = authorizationId = the bundle's, acr, and the
// hashes of the values given in want.
func CheckIDToken(tok string, keys *jose.JSONWebKeySet, want IDTokenWant) error {
	if len(tok) > maxJWTLen {
		return &IDTokenError{"length"}
	}
	obj, err := jose.ParseSigned(tok, bankAlgs)
	if err != nil || len(obj.Signatures) != 1 {
		return &IDTokenError{"a signed JWT with ES256, RS256 or PS256"}
	}
	h := obj.Signatures[0].Header
	key, err := keyFor(keys, h)
	if err != nil {
		return &IDTokenError{"signing key in OP's JWKS"}
	}
	payload, err := obj.Verify(key)
	if err != nil {
		return &IDTokenError{"signature"}
	}
	var c struct {
		Iss    string          `json:"iss"`
		Sub    string          `json:"sub"`
		Aud    json.RawMessage `json:"aud"`
		Exp    *float64        `json:"exp"`
		Iat    *float64        `json:"iat"`
		Nonce  string          `json:"nonce"`
		Acr    string          `json:"acr"`
		AuthID string          `json:"authorizationId"`
		CHash  string          `json:"c_hash"`
		SHash  string          `json:"s_hash"`
		AtHash string          `json:"at_hash"`
		RtHash string          `json:"rt_hash"`
		Typ    string          `json:"typ"`
	}
	if strictJSON("ID token", payload, &c) != nil {
		return &IDTokenError{"claims are JSON"}
	}
	skew, maxAge := want.Skew, want.MaxAge
	if skew == 0 {
		skew = 120 * time.Second
	}
	if maxAge == 0 {
		maxAge = 600 * time.Second
	}
	eq := func(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
	switch {
	case c.Iss != want.Issuer:
		return &IDTokenError{"iss"}
	case !audHas(c.Aud, want.ClientID):
		return &IDTokenError{"aud"}
	case c.Exp == nil || !want.Now.Add(-skew).Before(time.Unix(int64(*c.Exp), 0)):
		return &IDTokenError{"exp"}
	case c.Iat == nil || time.Unix(int64(*c.Iat), 0).After(want.Now.Add(skew)) || want.Now.Sub(time.Unix(int64(*c.Iat), 0)) > maxAge+skew:
		return &IDTokenError{"iat"}
	case !eq(c.Nonce, want.Nonce) || want.Nonce == "":
		return &IDTokenError{"nonce"}
	case c.Sub != want.AuthorizationID || c.AuthID != want.AuthorizationID || want.AuthorizationID == "":
		return &IDTokenError{"sub and authorizationId"}
	case c.Acr != want.ACR:
		return &IDTokenError{"acr"}
	}
	for _, hc := range []struct{ name, got, value string }{
		{"c_hash", c.CHash, want.Code}, {"s_hash", c.SHash, want.State},
		{"at_hash", c.AtHash, want.AccessToken}, {"rt_hash", c.RtHash, want.RefreshToken},
	} {
		if hc.value == "" {
			continue
		}
		exp, err := HalfHash(h.Algorithm, hc.value)
		if err != nil || !eq(hc.got, exp) {
			return &IDTokenError{hc.name}
		}
	}
	return nil
}

func audHas(raw json.RawMessage, clientID string) bool {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one == clientID
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		for _, a := range many {
			if a == clientID {
				return true
			}
		}
	}
	return false
}
