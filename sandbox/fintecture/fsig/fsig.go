// Package fsig is the embedded Fintecture hub's own reading of Fintecture's HTTP signature
// (doc.fintecture.com "api-http-signature"; psd2-providers.md §4.3): the Signature header's
// parameters, the signing string over (request-target) with the raw query, and the SHA-256
// Digest of the raw body. It is written apart from payterm's signer (internal/httpsig) and
// from the XS2A bank's checker, so a mistake in either cannot be mirrored here.
package fsig

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

// Params are the four parameters Fintecture's Signature header carries.
type Params struct {
	KeyID     string
	Algorithm string
	Headers   []string // as listed, lowercase
	Signature []byte
}

// Parse reads keyId="…",algorithm="…",headers="…",signature="…": each parameter exactly once,
// quoted, comma-separated; unknown parameters are refused (the hub is strict).
func Parse(v string) (Params, error) {
	var p Params
	if len(v) > 8192 {
		return p, errors.New("the Signature header is too long")
	}
	got := map[string]string{}
	rest := strings.TrimSpace(v)
	for rest != "" {
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			return p, errors.New("the Signature header is not name=\"value\" pairs")
		}
		name := strings.TrimSpace(rest[:eq])
		rest = rest[eq+1:]
		if len(rest) < 2 || rest[0] != '"' {
			return p, fmt.Errorf("parameter %q is not quoted", name)
		}
		end := strings.IndexByte(rest[1:], '"')
		if end < 0 {
			return p, fmt.Errorf("parameter %q is not closed", name)
		}
		if _, dup := got[name]; dup {
			return p, fmt.Errorf("parameter %q is given twice", name)
		}
		got[name] = rest[1 : 1+end]
		rest = strings.TrimSpace(rest[end+2:])
		if rest != "" {
			if rest[0] != ',' || strings.TrimSpace(rest[1:]) == "" {
				return p, errors.New("parameters must be separated by single commas")
			}
			rest = strings.TrimSpace(rest[1:])
		}
	}
	for name := range got {
		switch name {
		case "keyId", "algorithm", "headers", "signature":
		default:
			return p, fmt.Errorf("unknown parameter %q", name)
		}
	}
	for _, name := range []string{"keyId", "algorithm", "headers", "signature"} {
		if got[name] == "" {
			return p, fmt.Errorf("parameter %q is missing or empty", name)
		}
	}
	// Go's decoder skips CR and LF even in Strict mode ("\r" would decode to no signature at
	// all): the value must be nothing but the base64 alphabet.
	sig, err := base64.StdEncoding.Strict().DecodeString(got["signature"])
	if err != nil || strings.ContainsAny(got["signature"], "\r\n") || len(sig) == 0 {
		return p, errors.New("signature is not standard base64")
	}
	p.KeyID, p.Algorithm, p.Signature = got["keyId"], got["algorithm"], sig
	for _, h := range strings.Split(got["headers"], " ") {
		if h == "" || h != strings.ToLower(h) {
			return p, errors.New("headers must be lowercase names separated by single spaces")
		}
		p.Headers = append(p.Headers, h)
	}
	return p, nil
}

// SigningString is the string the client signed: for each listed name, "name: value" — for
// (request-target) the lowercase method, a space and the request target exactly as received
// (path and raw query) — joined by "\n". A listed header that is absent or given twice is an
// error.
func SigningString(headers []string, method, requestURI string, h http.Header) (string, error) {
	lines := make([]string, 0, len(headers))
	for _, name := range headers {
		if name == "(request-target)" {
			lines = append(lines, name+": "+strings.ToLower(method)+" "+requestURI)
			continue
		}
		vals := h.Values(name)
		switch len(vals) {
		case 0:
			return "", fmt.Errorf("signed header %q is not in the request", name)
		case 1:
		default:
			return "", fmt.Errorf("signed header %q is given more than once", name)
		}
		lines = append(lines, name+": "+strings.TrimSpace(vals[0]))
	}
	return strings.Join(lines, "\n"), nil
}

// Verify checks an rsa-sha256 (RSASSA-PKCS1-v1_5 with SHA-256) signature over s.
func Verify(pub *rsa.PublicKey, s string, sig []byte) error {
	sum := sha256.Sum256([]byte(s))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
		return errors.New("the signature does not verify with the application's public key")
	}
	return nil
}

// Digest is "SHA-256=" and the standard base64 of the SHA-256 of body.
func Digest(body []byte) string {
	sum := sha256.Sum256(body)
	return "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
}
