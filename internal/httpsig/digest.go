package httpsig

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// DigestAlg names a Digest algorithm as RFC 3230 / the IANA registry spells it.
type DigestAlg string

// The two algorithms the Berlin Group allows.
const (
	SHA256 DigestAlg = "SHA-256"
	SHA512 DigestAlg = "SHA-512"
)

// ErrDigestMismatch: a Digest header does not match the body.
var ErrDigestMismatch = errors.New("digest does not match the body")

// Digest returns the Digest header value for body in the RFC 3230 form the PSD2 APIs use:
// "SHA-256=" followed by the standard base64 (with padding) of the hash. An empty or nil
// body is hashed as the empty byte string.
func Digest(alg DigestAlg, body []byte) (string, error) {
	sum, err := hashOf(alg, body)
	if err != nil {
		return "", err
	}
	return string(alg) + "=" + base64.StdEncoding.EncodeToString(sum), nil
}

func hashOf(alg DigestAlg, body []byte) ([]byte, error) {
	switch alg {
	case SHA256:
		s := sha256.Sum256(body)
		return s[:], nil
	case SHA512:
		s := sha512.Sum512(body)
		return s[:], nil
	}
	return nil, fmt.Errorf("digest algorithm %q not supported (SHA-256 or SHA-512)", string(alg))
}

// CheckDigest verifies a Digest header value ("SHA-256=<base64>" or "SHA-512=<base64>"; the
// algorithm name is matched case-insensitively as RFC 3230 says) against body. A header that
// lists several digests is refused: no PSD2 API sends more than one.
func CheckDigest(header string, body []byte) error {
	header = strings.TrimSpace(header)
	name, value, ok := strings.Cut(header, "=")
	if !ok || value == "" {
		return errors.New("digest header is not <algorithm>=<base64>")
	}
	if strings.Contains(value, ",") {
		return errors.New("digest header lists more than one digest")
	}
	var alg DigestAlg
	switch strings.ToUpper(name) {
	case string(SHA256):
		alg = SHA256
	case string(SHA512):
		alg = SHA512
	default:
		return errors.New("digest algorithm not supported (SHA-256 or SHA-512)")
	}
	got, err := base64.StdEncoding.Strict().DecodeString(value)
	if err != nil {
		return errors.New("digest value is not standard base64")
	}
	want, _ := hashOf(alg, body)
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return ErrDigestMismatch
	}
	return nil
}
