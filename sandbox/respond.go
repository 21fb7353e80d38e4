package sandbox

import (
	"bytes"
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
	fault, _ := r.Context().Value(ctxResponseFault).(FaultKind)
	key, payload, err := b.responseClaims(clientID, message, now, fault)
	if err != nil {
		return nil, err
	}
	return signClaims(key, payload)
}

// responseClaims picks the key a response is signed with and encodes its claims; fault is
// "" for a correct answer.
func (b *Bank) responseClaims(clientID string, message any, now time.Time, fault FaultKind) (*bankKey, []byte, error) {
	b.mu.Lock()
	key := b.sig
	b.mu.Unlock()
	if fault == FaultWrongKey {
		var err error
		if key, err = b.wrongKey(); err != nil {
			return nil, nil, err
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
		return nil, nil, fmt.Errorf("encode response claims: %w", err)
	}
	return key, payload, nil
}

func signClaims(key *bankKey, payload []byte) ([]byte, error) {
	s, err := key.signJWT(jose.PS256, payload)
	if err != nil {
		return nil, fmt.Errorf("response: %w", err)
	}
	return []byte(s), nil
}

// earlySign is a response signed ahead, on another goroutine, while the handler still
// checks the request (a payment's 201 beside the PII's RSA decrypt: the two largest RSA
// operations of a payment then run on two cores). It is used only if the answer finally
// chosen has byte for byte the same claims and the same key; otherwise it is dropped unseen
// and the answer is signed then, so no check is skipped or reordered: signing is not acting.
type earlySign struct {
	key     *bankKey
	payload []byte
	done    chan struct{}
	jws     []byte
	err     error
}

// signEarly starts signing a correct (fault-free) response; nil if its claims do not encode.
func (b *Bank) signEarly(clientID string, message any, now time.Time) *earlySign {
	key, payload, err := b.responseClaims(clientID, message, now, "")
	if err != nil {
		return nil
	}
	e := &earlySign{key: key, payload: payload, done: make(chan struct{})}
	go func() {
		defer close(e.done)
		e.jws, e.err = signClaims(key, payload)
	}()
	return e
}

// take returns the early signature without waiting: only if it is finished and covers
// exactly payload with key (the claims and key of the answer finally chosen).
func (e *earlySign) take(key *bankKey, payload []byte) ([]byte, bool) {
	if e == nil {
		return nil, false
	}
	select {
	case <-e.done:
		if e.covers(key, payload) {
			return e.jws, true
		}
	default:
	}
	return nil, false
}

// await returns the signed answer for payload with key: the early signature once finished
// if it covers them, a new one otherwise.
func (e *earlySign) await(key *bankKey, payload []byte) ([]byte, error) {
	if e != nil {
		<-e.done
		if e.covers(key, payload) {
			return e.jws, nil
		}
	}
	return signClaims(key, payload)
}

// covers runs after done.
func (e *earlySign) covers(key *bankKey, payload []byte) bool {
	return e.err == nil && e.key == key && bytes.Equal(e.payload, payload)
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
