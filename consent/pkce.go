package consent

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"

	"github.com/google/uuid"
)

// verifierBytes of randomness give a 43-character base64url verifier (256 bits, RFC 7636 §4.1).
const verifierBytes = 32

// CodeVerifier is the PKCE secret. It redacts in every printed or logged form; Reveal returns
// it for the token request only.
type CodeVerifier string

// Reveal returns the verifier for the token request.
func (v CodeVerifier) Reveal() string { return string(v) }

// String redacts.
func (v CodeVerifier) String() string { return "[REDACTED]" }

// GoString redacts (%#v).
func (v CodeVerifier) GoString() string { return "[REDACTED]" }

// LogValue redacts.
func (v CodeVerifier) LogValue() slog.Value { return slog.StringValue("[REDACTED]") }

// PKCE is one code verifier and its S256 challenge.
type PKCE struct {
	Verifier  CodeVerifier
	Challenge string // BASE64URL(SHA-256(verifier)), no padding
}

// NewPKCE draws a verifier from rnd (crypto/rand.Reader in production).
func NewPKCE(rnd io.Reader) (PKCE, error) {
	b := make([]byte, verifierBytes)
	if _, err := io.ReadFull(rnd, b); err != nil {
		return PKCE{}, fmt.Errorf("generate PKCE verifier: %w", err)
	}
	v := base64.RawURLEncoding.EncodeToString(b) // only [A-Za-z0-9_-]: a subset of "unreserved"
	return PKCE{Verifier: CodeVerifier(v), Challenge: S256Challenge(v)}, nil
}

// S256Challenge computes BASE64URL(SHA-256(verifier)) without padding.
func S256Challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// newUUID draws a v4 UUID from rnd (state and nonce).
func newUUID(rnd io.Reader, what string) (string, error) {
	u, err := uuid.NewRandomFromReader(rnd)
	if err != nil {
		return "", fmt.Errorf("generate %s: %w", what, err)
	}
	return u.String(), nil
}
