package app

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"sync"

	"github.com/payterm/payterm/lfi"
	"github.com/payterm/payterm/ui"
)

// The inspector shows what POST /payments sealed in its JWE. The only honest source is the
// plaintext handed to the encryption itself: sealingBank wraps the bank client the wallet
// seals with and keeps each plaintext next to the digest of the JWE it became, and the
// inspector looks up the JWE it finds in the request it shows. A request sealed by an earlier
// run (resumed after a restart) has no entry: the plaintext is never stored on disk.

// sealedKept bounds the plaintexts held: more than the payments a trace of traceSize shows.
const sealedKept = 32

// sealedLog holds the latest sealed plaintexts as inspector fields. Off the embedded sandbox
// the values are masked when recorded, so the personal data is not even kept in memory.
type sealedLog struct {
	showPII bool

	mu    sync.Mutex
	byJWE map[[sha256.Size]byte][]ui.Field
	order [][sha256.Size]byte
}

func newSealedLog(showPII bool) *sealedLog {
	return &sealedLog{showPII: showPII, byJWE: map[[sha256.Size]byte][]ui.Field{}}
}

// record keeps the fields of plaintext, sealed as jwe. A plaintext that is not a JSON object
// (lfi refuses to seal one) is not kept.
func (l *sealedLog) record(jwe string, plaintext []byte) {
	var obj map[string]any
	if err := json.Unmarshal(plaintext, &obj); err != nil {
		return
	}
	fields := flatten("", obj, nil)
	for i := range fields {
		fields[i].PII = true
		if !l.showPII {
			fields[i].Value = "[PII]"
		}
	}
	key := sha256.Sum256([]byte(jwe))
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.byJWE[key]; !ok {
		l.order = append(l.order, key)
	}
	l.byJWE[key] = fields
	for len(l.order) > sealedKept {
		delete(l.byJWE, l.order[0])
		l.order = l.order[1:]
	}
}

// fields returns a copy of what was sealed as jwe.
func (l *sealedLog) fields(jwe string) ([]ui.Field, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.byJWE[sha256.Sum256([]byte(jwe))]
	return append([]ui.Field(nil), f...), ok
}

// sealedFor is the Sealed section of a create-payment exchange: the fields sealed in the JWE
// the request carries, or one line saying why they are not known.
func (l *sealedLog) sealedFor(ex lfi.Exchange) []ui.Field {
	jwe := ""
	for _, part := range ex.Sent {
		if s := findString(part.Claims, "PersonalIdentifiableInformation"); s != "" {
			jwe = s
			break
		}
	}
	if jwe == "" {
		return nil
	}
	if f, ok := l.fields(jwe); ok {
		return f
	}
	return []ui.Field{{Name: "(plaintext)", Value: "sealed by an earlier run of payterm; the wallet keeps no copy"}}
}

// findString returns the first string value of key anywhere in v.
func findString(v any, key string) string {
	switch t := v.(type) {
	case map[string]any:
		if s, ok := t[key].(string); ok && s != "" {
			return s
		}
		for _, child := range t {
			if s := findString(child, key); s != "" {
				return s
			}
		}
	case []any:
		for _, child := range t {
			if s := findString(child, key); s != "" {
				return s
			}
		}
	}
	return ""
}

// sealingBank is a bank client the wallet pays with, recording each PII plaintext it seals.
type sealingBank struct {
	*lfi.Client
	log *sealedLog
}

// SealPII seals piiJSON with the client and records it under the JWE it became.
func (b sealingBank) SealPII(ctx context.Context, piiJSON []byte) (string, error) {
	jwe, err := b.Client.SealPII(ctx, piiJSON)
	if err != nil {
		return "", err
	}
	b.log.record(jwe, piiJSON)
	return jwe, nil
}
