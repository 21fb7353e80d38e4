package httpsig

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// MinRSABits is the smallest signing key NewSigner accepts (eIDAS QSealCs are ≥ 2048 bits;
// the draft's 1024-bit test key is only used by tests, through a Signer literal).
const MinRSABits = 2048

// Signer signs requests under one profile with one key.
type Signer struct {
	Profile Profile
	KeyID   string        // CertKeyID(...) or a plain id
	Key     crypto.Signer // an RSA key; an HSM-backed signer works
	Rand    io.Reader     // passed to Key.Sign; nil means crypto/rand
}

// NewSigner checks the profile, the keyId and the key (RSA, at least MinRSABits).
func NewSigner(p Profile, keyID string, key crypto.Signer) (*Signer, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	if err := checkKeyID(keyID); err != nil {
		return nil, err
	}
	if key == nil {
		return nil, errors.New("signing key is nil")
	}
	pub, ok := key.Public().(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("signing key is %T, rsa-sha256 needs an RSA key", key.Public())
	}
	if pub.N.BitLen() < MinRSABits {
		return nil, fmt.Errorf("signing key is RSA %d bits, at least %d required", pub.N.BitLen(), MinRSABits)
	}
	return &Signer{Profile: p, KeyID: keyID, Key: key}, nil
}

// checkKeyID refuses what cannot sit inside a draft-cavage quoted parameter, which has no
// escape: a double quote (an RFC 2253 DN writes one as `\"`) or a control character.
func checkKeyID(id string) error {
	if id == "" {
		return errors.New("keyId is empty")
	}
	for _, r := range id {
		if r == '"' || r < 0x20 || r == 0x7f {
			return errors.New("keyId holds a double quote or a control character")
		}
	}
	return nil
}

// Result is everything about one signature, for the request and for the inspector.
type Result struct {
	Profile       string
	KeyID         string
	Algorithm     string
	Headers       []string // the signed names, in order
	SigningString string   // exactly the bytes that were signed
	Digest        string   // the Digest header set ("" when the profile sets none)
	Signature     string   // base64 of the signature bytes
	Header        string   // the Signature header value as sent (wrapped when the profile says so)
}

// Sign sets the Digest header (when the profile wants one) and the Signature header on h, for
// a request with this method, request URI (path and query exactly as they will be sent) and
// body. h must already hold every other signed header. Nothing is set on error.
func (s *Signer) Sign(method, requestURI string, h http.Header, body []byte) (Result, error) {
	if s == nil || s.Key == nil {
		return Result{}, errors.New("sign request: no signer")
	}
	if err := checkKeyID(s.KeyID); err != nil {
		return Result{}, fmt.Errorf("sign request: %w", err)
	}
	if _, ok := s.Key.Public().(*rsa.PublicKey); !ok {
		return Result{}, errors.New("sign request: rsa-sha256 needs an RSA key")
	}
	work := h.Clone()
	if work == nil {
		work = http.Header{}
	}
	res := Result{Profile: s.Profile.Name, KeyID: s.KeyID, Algorithm: Algorithm}
	// A profile without a digest algorithm leaves the caller's Digest header alone.
	setDigest := s.Profile.Digest != ""
	if setDigest && (s.Profile.DigestWhen == DigestAlways || len(body) > 0) {
		d, err := Digest(s.Profile.Digest, body)
		if err != nil {
			return Result{}, fmt.Errorf("sign request: %w", err)
		}
		work.Set("Digest", d)
		res.Digest = d
	} else if setDigest {
		work.Del("Digest")
	}
	names, err := s.Profile.resolve(work)
	if err != nil {
		return Result{}, fmt.Errorf("sign request: %w", err)
	}
	ss, err := SigningString(names, method, requestURI, work)
	if err != nil {
		return Result{}, fmt.Errorf("sign request: %w", err)
	}
	sum := sha256.Sum256([]byte(ss))
	rnd := s.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	sig, err := s.Key.Sign(rnd, sum[:], crypto.SHA256)
	if err != nil {
		return Result{}, fmt.Errorf("sign request: %w", err)
	}
	res.Headers = names
	res.SigningString = ss
	res.Signature = base64.StdEncoding.EncodeToString(sig)
	res.Header = FormatParams(s.KeyID, Algorithm, names, res.Signature)
	if s.Profile.Wrap2047 {
		res.Header = Wrap2047(res.Header)
	}
	if res.Digest != "" {
		h.Set("Digest", res.Digest)
	} else if setDigest {
		h.Del("Digest")
	}
	h.Set("Signature", res.Header)
	return res, nil
}

// resolve lists the names to sign for a request with headers h: every required rule (missing
// is an error) and every conditional rule whose header is present.
func (p Profile) resolve(h http.Header) ([]string, error) {
	var out []string
	for _, r := range p.Headers {
		if r.Name == RequestTarget {
			out = append(out, r.Name)
			continue
		}
		vals, err := lookup(h, r.Name)
		if err != nil {
			return nil, err
		}
		switch {
		case vals != nil:
			out = append(out, r.Name)
		case r.Required:
			return nil, fmt.Errorf("header %q is required by the %s signing profile and missing", r.Name, p.Name)
		}
	}
	return out, nil
}

// lookup returns the values of name in h whatever the spelling of the map key; nil when
// absent. Two spellings of one name are refused: their order on the wire is not defined.
func lookup(h http.Header, name string) ([]string, error) {
	var found []string
	keys := 0
	for k, v := range h {
		if strings.EqualFold(k, name) {
			keys++
			found = v
		}
	}
	if keys > 1 {
		return nil, fmt.Errorf("header %q is set under %d spellings", name, keys)
	}
	if keys == 1 && found == nil {
		found = []string{}
	}
	return found, nil
}

// SigningString builds the draft-cavage §2.3 string for names (lowercase, in order) over a
// request with this method, request URI and headers. A name without a header, or a value
// holding CR or LF, is an error: the draft says nothing is signed then.
func SigningString(names []string, method, requestURI string, h http.Header) (string, error) {
	if len(names) == 0 {
		return "", errors.New("no headers to sign")
	}
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteByte('\n')
		}
		if n == RequestTarget {
			if method == "" || requestURI == "" || strings.ContainsAny(requestURI, " \r\n") {
				return "", errors.New("(request-target) needs a method and a request URI without spaces")
			}
			b.WriteString(RequestTarget + ": " + strings.ToLower(method) + " " + requestURI)
			continue
		}
		if n != strings.ToLower(n) {
			return "", fmt.Errorf("signed header name %q is not lowercase", n)
		}
		vals, err := lookup(h, n)
		if err != nil {
			return "", err
		}
		if vals == nil {
			return "", fmt.Errorf("header %q is listed but missing", n)
		}
		b.WriteString(n + ": ")
		for j, v := range vals {
			if strings.ContainsAny(v, "\r\n") {
				return "", fmt.Errorf("header %q holds a line break", n)
			}
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strings.TrimSpace(v))
		}
	}
	return b.String(), nil
}

// FormatParams formats the Signature header parameters. headers nil or empty leaves the
// headers parameter out (the draft's default then applies: date only).
func FormatParams(keyID, algorithm string, headers []string, signature string) string {
	var b strings.Builder
	b.WriteString(`keyId="` + keyID + `",algorithm="` + algorithm + `"`)
	if len(headers) > 0 {
		b.WriteString(`,headers="` + strings.Join(headers, " ") + `"`)
	}
	b.WriteString(`,signature="` + signature + `"`)
	return b.String()
}

// Wrap2047 MIME-encodes a header value as an RFC 2047 encoded-word: =?utf-8?B?<base64>?=.
func Wrap2047(v string) string {
	return "=?utf-8?B?" + base64.StdEncoding.EncodeToString([]byte(v)) + "?="
}
