// Package ojws is the embedded OP bank's own JOSE code: JWKS reading, compact and detached JWS
// verification (ES256, RS256), ES256 signing and the OIDC token hashes. It is written from
// RFC 7515/7517/7518 with the standard library only and shares nothing with payterm's client
// (which uses go-jose), so a mistake on one side cannot hide on the other.
package ojws

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
)

var b64 = base64.RawURLEncoding

// Key is one public key of a JWKS with the alg it is used with.
type Key struct {
	KID string
	Alg string // ES256 or RS256
	Pub crypto.PublicKey
}

// ParseJWKS reads a JWKS of EC P-256 (ES256) and RSA ≥ 2048 (RS256) public keys. Every key
// needs a kid; a private member (d) refuses the set.
func ParseJWKS(raw []byte) (map[string]Key, error) {
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(raw, &set); err != nil || len(set.Keys) == 0 {
		return nil, errors.New("not a JWKS with keys")
	}
	out := map[string]Key{}
	for i, k := range set.Keys {
		str := func(n string) string { s, _ := k[n].(string); return s }
		if _, priv := k["d"]; priv {
			return nil, fmt.Errorf("key %d holds a private part", i)
		}
		kid := str("kid")
		if kid == "" || len(kid) > 256 {
			return nil, fmt.Errorf("key %d has no kid", i)
		}
		if _, dup := out[kid]; dup {
			return nil, fmt.Errorf("kid %q twice", kid)
		}
		switch str("kty") {
		case "EC":
			if str("crv") != "P-256" {
				return nil, fmt.Errorf("key %q: only P-256", kid)
			}
			x, err1 := b64.DecodeString(str("x"))
			y, err2 := b64.DecodeString(str("y"))
			if err1 != nil || err2 != nil || len(x) != 32 || len(y) != 32 {
				return nil, fmt.Errorf("key %q: bad x/y", kid)
			}
			pub := &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(x), Y: new(big.Int).SetBytes(y)}
			if !pub.Curve.IsOnCurve(pub.X, pub.Y) { //nolint:staticcheck // a plain on-curve check is what is meant
				return nil, fmt.Errorf("key %q: point not on the curve", kid)
			}
			out[kid] = Key{KID: kid, Alg: "ES256", Pub: pub}
		case "RSA":
			n, err1 := b64.DecodeString(str("n"))
			e, err2 := b64.DecodeString(str("e"))
			if err1 != nil || err2 != nil || len(e) == 0 || len(e) > 4 {
				return nil, fmt.Errorf("key %q: bad n/e", kid)
			}
			pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
			if pub.N.BitLen() < 2048 || pub.E < 3 {
				return nil, fmt.Errorf("key %q: RSA below 2048 bits", kid)
			}
			out[kid] = Key{KID: kid, Alg: "RS256", Pub: pub}
		default:
			return nil, fmt.Errorf("key %q: kty must be EC or RSA", kid)
		}
		if a := str("alg"); a != "" && a != out[kid].Alg {
			return nil, fmt.Errorf("key %q: alg %q does not fit the key", kid, a)
		}
	}
	return out, nil
}

// Header is a protected header as read.
type Header struct {
	Alg  string
	KID  string
	Typ  string
	Crit bool // crit or b64 present: refused by the bank (OP's JWS uses neither)
}

// ErrJWS is every verification failure; the reason says which check.
type ErrJWS struct{ Reason string }

func (e *ErrJWS) Error() string { return "jws: " + e.Reason }

func readHeader(seg string) (Header, error) {
	raw, err := b64.DecodeString(seg)
	if err != nil {
		return Header{}, &ErrJWS{"header is not base64url"}
	}
	var h map[string]any
	if err := json.Unmarshal(raw, &h); err != nil {
		return Header{}, &ErrJWS{"header is not a JSON object"}
	}
	out := Header{}
	out.Alg, _ = h["alg"].(string)
	out.KID, _ = h["kid"].(string)
	out.Typ, _ = h["typ"].(string)
	_, c := h["crit"]
	_, bb := h["b64"]
	out.Crit = c || bb
	return out, nil
}

// Verify checks signature sig (base64url) over input with key for alg.
func verify(alg string, pub crypto.PublicKey, input string, sigSeg string) error {
	sig, err := b64.DecodeString(sigSeg)
	if err != nil {
		return &ErrJWS{"signature is not base64url"}
	}
	d := sha256.Sum256([]byte(input))
	switch alg {
	case "ES256":
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok || len(sig) != 64 {
			return &ErrJWS{"ES256 signature is not 64 bytes over an EC key"}
		}
		if !ecdsa.Verify(k, d[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
			return &ErrJWS{"signature does not verify"}
		}
	case "RS256":
		k, ok := pub.(*rsa.PublicKey)
		if !ok || rsa.VerifyPKCS1v15(k, crypto.SHA256, d[:], sig) != nil {
			return &ErrJWS{"signature does not verify"}
		}
	default:
		return &ErrJWS{"alg is not ES256 or RS256"}
	}
	return nil
}

// keyOf picks the key the header names; alg must be the key's.
func keyOf(h Header, keys map[string]Key) (Key, error) {
	if h.Alg != "ES256" && h.Alg != "RS256" {
		return Key{}, &ErrJWS{"alg is not ES256 or RS256"}
	}
	if h.Crit {
		return Key{}, &ErrJWS{"crit or b64 in the header"}
	}
	k, ok := keys[h.KID]
	if !ok {
		return Key{}, &ErrJWS{"kid is not in the registered JWKS"}
	}
	if k.Alg != h.Alg {
		return Key{}, &ErrJWS{"alg is not the key's"}
	}
	return k, nil
}

// DetachedParts splits header..signature; ok is false for any other shape.
func DetachedParts(sig string) (hdr, s string, ok bool) {
	p := strings.Split(sig, ".")
	if len(p) != 3 || p[0] == "" || p[1] != "" || p[2] == "" {
		return "", "", false
	}
	return p[0], p[2], true
}

// ReadDetachedHeader reads the protected header of header..signature.
func ReadDetachedHeader(sig string) (Header, error) {
	h, _, ok := DetachedParts(sig)
	if !ok {
		return Header{}, &ErrJWS{"not header..signature"}
	}
	return readHeader(h)
}

// VerifyDetached checks a detached JWS (RFC 7515 appendix F) over payload.
func VerifyDetached(sig string, payload []byte, keys map[string]Key) (Header, error) {
	hs, ss, ok := DetachedParts(sig)
	if !ok {
		return Header{}, &ErrJWS{"not header..signature"}
	}
	h, err := readHeader(hs)
	if err != nil {
		return h, err
	}
	k, err := keyOf(h, keys)
	if err != nil {
		return h, err
	}
	return h, verify(h.Alg, k.Pub, hs+"."+b64.EncodeToString(payload), ss)
}

// VerifyCompact checks a compact JWS (a JWT) and returns its header and payload.
func VerifyCompact(tok string, keys map[string]Key) (Header, []byte, error) {
	p := strings.Split(tok, ".")
	if len(p) != 3 || p[1] == "" {
		return Header{}, nil, &ErrJWS{"not a compact JWS"}
	}
	h, err := readHeader(p[0])
	if err != nil {
		return h, nil, err
	}
	k, err := keyOf(h, keys)
	if err != nil {
		return h, nil, err
	}
	if err := verify(h.Alg, k.Pub, p[0]+"."+p[1], p[2]); err != nil {
		return h, nil, err
	}
	payload, err := b64.DecodeString(p[1])
	if err != nil {
		return h, nil, &ErrJWS{"payload is not base64url"}
	}
	return h, payload, nil
}

// Signer signs with the bank's ES256 key.
type Signer struct {
	Key  *ecdsa.PrivateKey
	KID  string
	Rand io.Reader
}

func (s *Signer) sign(input string) (string, error) {
	d := sha256.Sum256([]byte(input))
	r := s.Rand
	if r == nil {
		r = rand.Reader
	}
	R, S, err := ecdsa.Sign(r, s.Key, d[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64)
	R.FillBytes(sig[:32])
	S.FillBytes(sig[32:])
	return b64.EncodeToString(sig), nil
}

// Detached signs payload and returns header..signature.
func (s *Signer) Detached(payload []byte) (string, error) {
	h := b64.EncodeToString([]byte(`{"alg":"ES256","kid":"` + s.KID + `"}`))
	sig, err := s.sign(h + "." + b64.EncodeToString(payload))
	if err != nil {
		return "", err
	}
	return h + ".." + sig, nil
}

// JWT signs claims as a compact JWS with typ JWT.
func (s *Signer) JWT(claims any) (string, error) {
	raw, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	in := b64.EncodeToString([]byte(`{"alg":"ES256","kid":"`+s.KID+`","typ":"JWT"}`)) + "." + b64.EncodeToString(raw)
	sig, err := s.sign(in)
	if err != nil {
		return "", err
	}
	return in + "." + sig, nil
}

// JWKS is the public JWKS of the signer's key.
func (s *Signer) JWKS() []byte {
	x, y := make([]byte, 32), make([]byte, 32)
	s.Key.X.FillBytes(x)
	s.Key.Y.FillBytes(y)
	out, _ := json.Marshal(map[string]any{"keys": []map[string]string{{"kty": "EC", "crv": "P-256", "kid": s.KID, "alg": "ES256", "use": "sig",
		"x": b64.EncodeToString(x), "y": b64.EncodeToString(y)}}})
	return out
}

// HalfHash is base64url of the left half of SHA-256 of value (the bank signs ES256 only).
func HalfHash(value string) string {
	d := sha256.Sum256([]byte(value))
	return b64.EncodeToString(d[:16])
}
