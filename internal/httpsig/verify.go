package httpsig

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Params are the parsed parameters of a Signature header.
type Params struct {
	KeyID     string
	Algorithm string
	Headers   []string // the draft's default ["date"] when the parameter is absent
	Signature []byte
	Wrapped   bool // the header was an RFC 2047 encoded-word
}

// ParseSignature parses a Signature header value (or an Authorization value after its
// "Signature " scheme), unwrapping an RFC 2047 encoded-word first. Quoted values may hold
// commas (a keyId DN does); unknown parameters are ignored as the draft says; a repeated
// parameter is an error.
func ParseSignature(v string) (Params, error) {
	var p Params
	v = strings.TrimSpace(v)
	if strings.HasPrefix(v, "=?") {
		inner, err := unwrap2047(v)
		if err != nil {
			return p, err
		}
		v, p.Wrapped = inner, true
	}
	seen := map[string]bool{}
	for len(v) > 0 {
		name, rest, ok := strings.Cut(v, "=")
		if !ok {
			return p, errors.New("signature parameter without '='")
		}
		name = strings.TrimSpace(name)
		if !strings.HasPrefix(rest, `"`) {
			return p, fmt.Errorf("signature parameter %q is not a quoted string", name)
		}
		end := strings.IndexByte(rest[1:], '"')
		if end < 0 {
			return p, fmt.Errorf("signature parameter %q is not closed", name)
		}
		val := rest[1 : 1+end]
		v = strings.TrimSpace(rest[2+end:])
		if v != "" {
			if v[0] != ',' {
				return p, errors.New("signature parameters are not comma-separated")
			}
			v = strings.TrimSpace(v[1:])
		}
		if seen[name] {
			return p, fmt.Errorf("signature parameter %q is repeated", name)
		}
		seen[name] = true
		switch name {
		case "keyId":
			p.KeyID = val
		case "algorithm":
			p.Algorithm = val
		case "headers":
			p.Headers = strings.Fields(val)
		case "signature":
			sig, err := base64.StdEncoding.DecodeString(val)
			if err != nil {
				return p, errors.New("signature parameter is not base64")
			}
			p.Signature = sig
		}
	}
	if p.KeyID == "" || p.Signature == nil {
		return p, errors.New("signature header lacks keyId or signature")
	}
	if !seen["headers"] {
		p.Headers = []string{"date"}
	}
	return p, nil
}

func unwrap2047(v string) (string, error) {
	if !strings.HasSuffix(v, "?=") {
		return "", errors.New("RFC 2047 encoded-word not closed")
	}
	parts := strings.SplitN(v[2:len(v)-2], "?", 3)
	if len(parts) != 3 || !strings.EqualFold(parts[1], "B") {
		return "", errors.New("RFC 2047 encoded-word is not base64 (?B?)")
	}
	cs := strings.ToLower(parts[0])
	if cs != "utf-8" && cs != "iso-8859-1" {
		return "", fmt.Errorf("RFC 2047 charset %q not supported", parts[0])
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil {
		return "", errors.New("RFC 2047 payload is not base64")
	}
	if cs == "iso-8859-1" {
		r := make([]rune, len(raw))
		for i, c := range raw {
			r[i] = rune(c)
		}
		return string(r), nil
	}
	return string(raw), nil
}

// Verify checks a signed request: the Signature header parses, the algorithm is rsa-sha256,
// the signing string rebuilt from the listed headers verifies under pub, and, when digest is
// among the signed headers, the Digest matches body.
func Verify(method, requestURI string, h http.Header, body []byte, pub crypto.PublicKey) (Params, error) {
	p, err := ParseSignature(h.Get("Signature"))
	if err != nil {
		return p, err
	}
	if p.Algorithm != Algorithm {
		return p, fmt.Errorf("algorithm %q, want %s", p.Algorithm, Algorithm)
	}
	rpub, ok := pub.(*rsa.PublicKey)
	if !ok {
		return p, errors.New("rsa-sha256 needs an RSA public key")
	}
	ss, err := SigningString(p.Headers, method, requestURI, h)
	if err != nil {
		return p, err
	}
	sum := sha256.Sum256([]byte(ss))
	if err := rsa.VerifyPKCS1v15(rpub, crypto.SHA256, sum[:], p.Signature); err != nil {
		return p, errors.New("signature does not verify")
	}
	for _, n := range p.Headers {
		if n == "digest" {
			if err := CheckDigest(h.Get("Digest"), body); err != nil {
				return p, err
			}
		}
	}
	return p, nil
}
