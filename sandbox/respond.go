package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// oauthError is the OAuthErrorResponse of the authorization endpoints.
type oauthError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	raw, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(raw)
}

// writeJSONNoCacheHeader writes 200 JSON keeping the caller's Cache-Control.
func writeJSONNoCacheHeader(w http.ResponseWriter, v any) {
	raw, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode response", http.StatusInternalServerError)
		return
	}
	_, _ = w.Write(raw)
}

// writeOAuthError answers /par and /token failures with 400 (uae-spec rules 2–25: the
// OpenAPI lists 400 OAuthErrorResponse, also for invalid_client).
func writeOAuthError(w http.ResponseWriter, code, desc string) {
	writeJSON(w, http.StatusBadRequest, oauthError{Error: code, ErrorDescription: desc})
}

// apiError is one entry of message.Errors.
type apiError struct {
	Code    string `json:"Code"`
	Message string `json:"Message"`
	Path    string `json:"Path,omitempty"`
}

// signResponse builds the PS256 JWT every resource response carries (rule 34).
func (b *Bank) signResponse(r *http.Request, clientID string, message any) ([]byte, error) {
	return b.signResponseAt(r, clientID, message, b.now())
}

// signResponseAt signs with iat = now (a payment's 201 uses its creation time, so the answer
// can be signed again with the same claims, payments.go).
func (b *Bank) signResponseAt(r *http.Request, clientID string, message any, now time.Time) ([]byte, error) {
	b.mu.Lock()
	key := b.sig
	b.mu.Unlock()
	fault, _ := r.Context().Value(ctxResponseFault).(FaultKind)
	if fault == FaultWrongKey {
		var err error
		if key, err = b.wrongKey(); err != nil {
			return nil, err
		}
	}
	claims := map[string]any{
		"iss":     b.issuer,
		"iat":     now.Unix(),
		"nbf":     now.Unix() - 10,
		"exp":     now.Unix() + 300,
		"message": message,
	}
	if clientID != "" {
		claims["aud"] = []string{clientID}
	}
	switch fault {
	case FaultWrongIss:
		claims["iss"] = b.issuer + "/" // a near miss a prefix-matching client accepts
	case FaultWrongAud:
		claims["aud"] = []string{clientID + "-other"}
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return nil, fmt.Errorf("encode response claims: %w", err)
	}
	s, err := key.signJWT(jose.PS256, payload)
	if err != nil {
		return nil, fmt.Errorf("response: %w", err)
	}
	return []byte(s), nil
}

// writeSigned writes status with a signed application/jwt body.
func (b *Bank) writeSigned(w http.ResponseWriter, r *http.Request, status int, clientID string, message any) {
	body, err := b.signResponse(r, clientID, message)
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/jwt")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeError writes a signed {message:{Errors:[...]}} (rule 34, §7.5).
func (b *Bank) writeError(w http.ResponseWriter, r *http.Request, status int, code, msg, path string) {
	if len(msg) > 500 {
		msg = msg[:500]
	}
	if msg == "" {
		msg = code
	}
	b.writeSigned(w, r, status, clientIDFrom(r), map[string]any{"Errors": []apiError{{Code: code, Message: msg, Path: path}}})
}

type ctxClientKey struct{}

func clientIDFrom(r *http.Request) string {
	s, _ := r.Context().Value(ctxClientKey{}).(string)
	return s
}
