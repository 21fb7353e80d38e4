// Package sigcheck is the XS2A sandbox bank's own reading of draft-cavage-http-signatures-10
// and the RFC 3230 Digest header, as the Berlin Group NextGenPSD2 framework uses them. It is
// written apart from the client's signer (internal/httpsig) on purpose: a mistake in one cannot
// be mirrored by the other, and both are checked against the draft's Appendix C and RFC 9530.
//
// It parses (Parse), rebuilds the signing string (SigningString), verifies RSASSA-PKCS1-v1_5
// signatures (Verify) and checks a Digest header against the raw body (CheckDigest). Which
// headers must be signed, and what keyId must say, are the bank's rules, not this package's.
package sigcheck

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
)

// Params are the parameters of one Signature header (draft-cavage-10 §2.1).
type Params struct {
	KeyID     string
	Algorithm string
	// Headers are the lowercased names of the signed headers, in order. When the parameter is
	// absent the draft's default ["date"] applies and HeadersGiven is false.
	Headers      []string
	HeadersGiven bool
	Signature    []byte
	// Wrapped is true when the header arrived as an RFC 2047 encoded-word (=?utf-8?B?…?=).
	Wrapped bool
}

// Parse reads a Signature header value (or the part of an Authorization header after
// "Signature "). With allow2047, a value that is one RFC 2047 encoded-word is decoded first
// (SpareBank 1 wraps the whole value so); otherwise such a value is refused.
func Parse(value string, allow2047 bool) (Params, error) {
	var p Params
	v := strings.TrimSpace(value)
	if strings.HasPrefix(v, "=?") && strings.HasSuffix(v, "?=") {
		if !allow2047 {
			return p, errors.New("the Signature header is RFC 2047-encoded, which this bank does not accept")
		}
		dec := new(mime.WordDecoder)
		out, err := dec.Decode(v)
		if err != nil {
			return p, fmt.Errorf("the RFC 2047-encoded Signature header does not decode: %w", err)
		}
		v = strings.TrimSpace(out)
		p.Wrapped = true
	}
	seen := map[string]bool{}
	for len(v) > 0 {
		eq := strings.IndexByte(v, '=')
		if eq <= 0 {
			return p, errors.New("the Signature header is not a list of name=\"value\" parameters")
		}
		name := strings.TrimSpace(v[:eq])
		rest := v[eq+1:]
		if !strings.HasPrefix(rest, `"`) {
			return p, fmt.Errorf("signature parameter %q is not a quoted string", name)
		}
		end := strings.IndexByte(rest[1:], '"')
		if end < 0 {
			return p, fmt.Errorf("signature parameter %q has no closing quote", name)
		}
		val := rest[1 : 1+end]
		v = strings.TrimSpace(rest[end+2:])
		if v != "" {
			if v[0] != ',' {
				return p, errors.New("signature parameters must be separated by commas")
			}
			v = strings.TrimSpace(v[1:])
			if v == "" {
				return p, errors.New("the Signature header ends with a comma")
			}
		}
		if seen[name] {
			return p, fmt.Errorf("signature parameter %q appears twice", name)
		}
		seen[name] = true
		switch name {
		case "keyId":
			p.KeyID = val
		case "algorithm":
			p.Algorithm = val
		case "headers":
			p.HeadersGiven = true
			for _, h := range strings.Fields(val) {
				p.Headers = append(p.Headers, strings.ToLower(h))
			}
			if len(p.Headers) == 0 {
				return p, errors.New("signature parameter headers is empty")
			}
		case "signature":
			// The draft's examples fold the base64 over lines; whitespace is not part of it.
			sig, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(val), ""))
			if err != nil {
				return p, errors.New("signature parameter signature is not base64")
			}
			p.Signature = sig
		default:
			return p, fmt.Errorf("unknown signature parameter %q (draft-cavage-10 defines keyId, algorithm, headers, signature)", name)
		}
	}
	switch {
	case !seen["keyId"] || p.KeyID == "":
		return p, errors.New("signature parameter keyId is missing")
	case !seen["signature"] || len(p.Signature) == 0:
		return p, errors.New("signature parameter signature is missing")
	}
	if !p.HeadersGiven {
		p.Headers = []string{"date"}
	}
	return p, nil
}

// SigningString rebuilds the string the client signed (draft-cavage-10 §2.3): for each name
// in order, "name: value" with the values of repeated headers joined by ", " and leading and
// trailing whitespace removed, lines joined by "\n" with none at the end. (request-target) is
// the lowercased method, a space and the request URI (path and query, as sent). A listed
// header that the request lacks makes the signature invalid.
func SigningString(method, requestURI, host string, h http.Header, names []string) (string, error) {
	var b strings.Builder
	seen := map[string]bool{}
	for i, name := range names {
		if seen[name] {
			return "", fmt.Errorf("header %q is listed twice in the signature's headers", name)
		}
		seen[name] = true
		var val string
		switch name {
		case "(request-target)":
			val = strings.ToLower(method) + " " + requestURI
		case "host":
			val = host
			if vs := h.Values("Host"); len(vs) > 0 { // a client-side http.Header carries it
				val = strings.Join(trimAll(vs), ", ")
			}
			if val == "" {
				return "", errors.New("signed header host is absent")
			}
		default:
			vs, ok := h[http.CanonicalHeaderKey(name)]
			if !ok {
				return "", fmt.Errorf("signed header %s is absent from the request", name)
			}
			val = strings.Join(trimAll(vs), ", ")
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(name)
		b.WriteString(": ")
		b.WriteString(val)
	}
	return b.String(), nil
}

func trimAll(vs []string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = strings.Trim(v, " \t")
	}
	return out
}

// HashFor maps a draft-cavage RSA algorithm name to its hash.
func HashFor(algorithm string) (crypto.Hash, error) {
	switch algorithm {
	case "rsa-sha256":
		return crypto.SHA256, nil
	case "rsa-sha512":
		return crypto.SHA512, nil
	}
	return 0, fmt.Errorf("algorithm %q is not rsa-sha256 or rsa-sha512", algorithm)
}

// Verify checks an RSASSA-PKCS1-v1_5 signature over signingString.
func Verify(pub *rsa.PublicKey, algorithm, signingString string, sig []byte) error {
	hash, err := HashFor(algorithm)
	if err != nil {
		return err
	}
	var sum []byte
	if hash == crypto.SHA256 {
		s := sha256.Sum256([]byte(signingString))
		sum = s[:]
	} else {
		s := sha512.Sum512([]byte(signingString))
		sum = s[:]
	}
	if err := rsa.VerifyPKCS1v15(pub, hash, sum, sig); err != nil {
		return errors.New("the signature does not verify with the certificate's key over the signing string")
	}
	return nil
}

// Digest is the RFC 3230 instance-digest of body with algorithm "SHA-256" or "SHA-512",
// e.g. "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=".
func Digest(algorithm string, body []byte) (string, error) {
	switch strings.ToUpper(algorithm) {
	case "SHA-256":
		s := sha256.Sum256(body)
		return "SHA-256=" + base64.StdEncoding.EncodeToString(s[:]), nil
	case "SHA-512":
		s := sha512.Sum512(body)
		return "SHA-512=" + base64.StdEncoding.EncodeToString(s[:]), nil
	}
	return "", fmt.Errorf("digest algorithm %q is not SHA-256 or SHA-512", algorithm)
}

// CheckDigest checks a Digest header (RFC 3230: comma-separated "ALG=base64" instances,
// algorithm names case-insensitive) against the raw body bytes. Every instance must be
// SHA-256 or SHA-512 and must match; computed is what the bank computed for the first one.
func CheckDigest(header string, body []byte) (computed string, err error) {
	parts := strings.Split(header, ",")
	for i, part := range parts {
		part = strings.TrimSpace(part)
		alg, val, ok := strings.Cut(part, "=")
		if !ok || alg == "" || val == "" {
			return computed, errors.New("the Digest header is not ALGORITHM=base64 (RFC 3230), e.g. SHA-256=…")
		}
		if strings.HasPrefix(val, ":") {
			return computed, errors.New("the Digest header uses the RFC 9530 structured form (:…:); Berlin Group expects RFC 3230, e.g. SHA-256=base64")
		}
		want, err := Digest(alg, body)
		if err != nil {
			return computed, err
		}
		if i == 0 {
			computed = want
		}
		_, wantVal, _ := strings.Cut(want, "=")
		if _, derr := base64.StdEncoding.DecodeString(val); derr != nil {
			return computed, fmt.Errorf("the %s value in the Digest header is not base64", strings.ToUpper(alg))
		}
		if val != wantVal {
			return computed, fmt.Errorf("the %s digest does not match the body the bank received", strings.ToUpper(alg))
		}
	}
	return computed, nil
}

// KeyIDStyle is how a bank expects keyId="SN=…,CA=…" to be written; banks differ.
type KeyIDStyle struct {
	// SerialCase: "upper", "lower" or "any" hex digits for SN.
	SerialCase string
	// PercentDN writes the CA's DN with spaces as %20 (the BG OpenAPI example,
	// CA=CN=D-TRUST%20CA%202-1%202015,…); false keeps the raw DN (SpareBank 1).
	PercentDN bool
}

// ExpectedKeyID is the keyId a certificate with serial and issuer DN gives under style
// (with "any" case, the uppercase form).
func ExpectedKeyID(serialHex, issuerDN string, style KeyIDStyle) string {
	sn := strings.ToUpper(serialHex)
	if style.SerialCase == "lower" {
		sn = strings.ToLower(serialHex)
	}
	ca := issuerDN
	if style.PercentDN {
		ca = strings.ReplaceAll(issuerDN, " ", "%20")
	}
	return "SN=" + sn + ",CA=" + ca
}

// MatchKeyID checks keyId against the signing certificate's serial (hex, no leading zeros)
// and issuer DN (RFC 2253 order, as the certificate holds it) under style.
func MatchKeyID(keyID, serialHex, issuerDN string, style KeyIDStyle) error {
	sn, ca, ok := strings.Cut(keyID, ",CA=")
	if !ok || !strings.HasPrefix(sn, "SN=") {
		return errors.New(`keyId is not SN=<serial in hex>,CA=<issuer DN>`)
	}
	sn = strings.TrimPrefix(sn, "SN=")
	switch style.SerialCase {
	case "upper":
		if sn != strings.ToUpper(serialHex) {
			return errors.New("keyId SN is not the signing certificate's serial in uppercase hex")
		}
	case "lower":
		if sn != strings.ToLower(serialHex) {
			return errors.New("keyId SN is not the signing certificate's serial in lowercase hex")
		}
	default:
		if !strings.EqualFold(sn, serialHex) {
			return errors.New("keyId SN is not the signing certificate's serial in hex")
		}
	}
	want := issuerDN
	if style.PercentDN {
		want = strings.ReplaceAll(issuerDN, " ", "%20")
	}
	if ca != want {
		if style.PercentDN {
			return errors.New("keyId CA is not the issuer DN of the signing certificate with spaces written %20")
		}
		return errors.New("keyId CA is not the raw issuer DN of the signing certificate")
	}
	return nil
}
