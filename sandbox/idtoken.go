package sandbox

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// The id_token of the authorization_code grant (uae-spec §3.5: optional, PS256, binds the
// request object's nonce).
//
// [SIM-CHOICE] It carries s_hash, c_hash and at_hash (OIDC Core §3.3.2.11 and §3.1.3.6, FAPI 1
// Advanced §5.2.2.1). FAPI 2.0, which the UAE profile builds on, does not require them (they
// come from the hybrid flow), but nothing forbids them, OIDC tells a client to check a hash
// claim that is present, and a bank that sends them is what the id_token_bad_*_hash faults
// need to test that check. Config.OmitIDTokenHashes leaves them out, for a client that must
// cope with their absence (conformance "missing-athash" is a positive test).

// idTokenLifetime is how long an id_token is valid.
const idTokenLifetime = 10 * time.Minute

// idTokenInput is what one id_token describes.
type idTokenInput struct {
	clientID, subject, nonce string
	state, code, accessToken string // hashed into s_hash, c_hash, at_hash
	now                      time.Time
	fault                    FaultKind // "" for a genuine token
}

// oidcHash is an OIDC hash claim for a PS256 token: base64url of the left half of SHA-256.
func oidcHash(value string) string {
	sum := sha256.Sum256([]byte(value))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

// idTokenLocked mints the id_token, with in.fault's one defect if set. Caller holds b.mu (for b.sig).
func (b *Bank) idTokenLocked(in idTokenInput) (string, error) {
	claims := map[string]any{"iss": b.issuer, "sub": in.subject, "aud": in.clientID, "iat": in.now.Unix(),
		"exp": in.now.Add(idTokenLifetime).Unix(), "nonce": in.nonce}
	if !b.cfg.OmitIDTokenHashes {
		claims["s_hash"], claims["c_hash"], claims["at_hash"] = oidcHash(in.state), oidcHash(in.code), oidcHash(in.accessToken)
	}
	key, alg := b.sig, jose.PS256
	switch in.fault {
	case FaultIDTokenWrongIss:
		claims["iss"] = b.issuer + "/"
	case FaultIDTokenWrongAud:
		claims["aud"] = in.clientID + "-other"
	case FaultIDTokenWrongNonce:
		claims["nonce"] = b.newUUID()
	case FaultIDTokenMissingNonce:
		delete(claims, "nonce")
	case FaultIDTokenExpired:
		claims["iat"], claims["exp"] = in.now.Add(-7*time.Minute).Unix(), in.now.Add(-6*time.Minute).Unix()
	case FaultIDTokenWrongAlg:
		alg = jose.RS256
	case FaultIDTokenUnknownKid:
		var err error
		if key, err = b.wrongKey(); err != nil {
			return "", err
		}
	case FaultIDTokenBadSHash:
		claims["s_hash"] = oidcHash(in.state + "#tampered")
	case FaultIDTokenBadCHash:
		claims["c_hash"] = oidcHash(in.code + "#tampered")
	case FaultIDTokenBadAtHash:
		claims["at_hash"] = oidcHash(in.accessToken + "#tampered")
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("encode id_token claims: %w", err)
	}
	if in.fault == FaultIDTokenAlgNone {
		header, err := json.Marshal(map[string]string{"alg": "none", "typ": "JWT", "kid": key.kid})
		if err != nil {
			return "", fmt.Errorf("encode id_token header: %w", err)
		}
		enc := base64.RawURLEncoding
		return enc.EncodeToString(header) + "." + enc.EncodeToString(payload) + ".", nil
	}
	s, err := key.signJWT(alg, payload)
	if err != nil {
		return "", fmt.Errorf("id_token: %w", err)
	}
	return s, nil
}
