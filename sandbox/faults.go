package sandbox

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// FaultKind is a failure the bank injects on purpose (admin / tests).
type FaultKind string

const (
	// FaultDropAfterCommit processes the request fully (a payment is created) and then closes the
	// connection without a response: the client does not know the outcome.
	FaultDropAfterCommit FaultKind = "drop_after_commit"
	// FaultServerError answers 500 with a signed GenericError without processing.
	FaultServerError FaultKind = "server_error"
	// FaultRateLimit answers 429 with Retry-After and no body (rule 40).
	FaultRateLimit FaultKind = "rate_limit"
	// FaultSlow waits Delay before processing.
	FaultSlow FaultKind = "slow"
	// FaultWrongKey signs the response with a key the JWKS does not publish.
	FaultWrongKey FaultKind = "wrong_key"
	// FaultWrongIss signs the resource response with the bank's key but iss = the issuer with
	// a trailing "/" (a client must compare iss exactly).
	FaultWrongIss FaultKind = "wrong_iss"
	// FaultWrongAud signs the resource response with the bank's key but aud = another client
	// (the caller's client_id with "-other" appended).
	FaultWrongAud FaultKind = "wrong_aud"
	// FaultUnavailable answers 503 with Retry-After and a signed GenericRecoverableError
	// without processing (a client cannot know that: a gateway's 503 may follow a commit).
	FaultUnavailable FaultKind = "unavailable"
)

// id_token faults (target "as"): the next Count authorization_code token responses carry an
// id_token with exactly this one defect, signed by the bank unless the defect is the
// signature itself, so a client can be tested against a bank-signed bad id_token. Other AS
// requests (PAR, refresh, client_credentials) do not consume them.
const (
	// FaultIDTokenWrongIss: iss is the issuer with a trailing "/" (a near miss that a
	// normalising or prefix-matching client accepts).
	FaultIDTokenWrongIss FaultKind = "id_token_wrong_iss"
	// FaultIDTokenWrongAud: aud is another client_id (the client's own with "-other" appended).
	FaultIDTokenWrongAud FaultKind = "id_token_wrong_aud"
	// FaultIDTokenWrongNonce: nonce is a fresh UUID, not the request object's.
	FaultIDTokenWrongNonce FaultKind = "id_token_wrong_nonce"
	// FaultIDTokenMissingNonce: no nonce claim.
	FaultIDTokenMissingNonce FaultKind = "id_token_missing_nonce"
	// FaultIDTokenExpired: exp is 6 minutes in the past (iat 7 minutes), beyond any sane leeway.
	FaultIDTokenExpired FaultKind = "id_token_expired"
	// FaultIDTokenWrongAlg: signed RS256 (with the bank's published key and kid) instead of PS256.
	FaultIDTokenWrongAlg FaultKind = "id_token_wrong_alg"
	// FaultIDTokenAlgNone: an unsecured JWT (alg "none", empty signature).
	FaultIDTokenAlgNone FaultKind = "id_token_alg_none"
	// FaultIDTokenUnknownKid: PS256 with a key and kid the JWKS does not publish.
	FaultIDTokenUnknownKid FaultKind = "id_token_unknown_kid"
	// FaultIDTokenBadSHash, FaultIDTokenBadCHash, FaultIDTokenBadAtHash: s_hash, c_hash or
	// at_hash is the hash of another value than the state, the code or the access token.
	FaultIDTokenBadSHash  FaultKind = "id_token_bad_s_hash"
	FaultIDTokenBadCHash  FaultKind = "id_token_bad_c_hash"
	FaultIDTokenBadAtHash FaultKind = "id_token_bad_at_hash"
)

// IDTokenFaults lists every id_token fault kind.
var IDTokenFaults = []FaultKind{FaultIDTokenWrongIss, FaultIDTokenWrongAud, FaultIDTokenWrongNonce, FaultIDTokenMissingNonce,
	FaultIDTokenExpired, FaultIDTokenWrongAlg, FaultIDTokenAlgNone, FaultIDTokenUnknownKid, FaultIDTokenBadSHash,
	FaultIDTokenBadCHash, FaultIDTokenBadAtHash}

// isIDToken reports whether k is applied when an id_token is minted rather than per request.
func (k FaultKind) isIDToken() bool { return slices.Contains(IDTokenFaults, k) }

// Fault applies to the next Count requests on the AS or the resource server.
type Fault struct {
	Kind       FaultKind     `json:"kind"`
	Count      int           `json:"count"`
	Target     string        `json:"target,omitempty"`      // "rs" (default) or "as"
	Delay      time.Duration `json:"delay,omitempty"`       // FaultSlow
	RetryAfter int           `json:"retry_after,omitempty"` // FaultRateLimit, FaultUnavailable: seconds (default 1)
}

func (f Fault) validate() error {
	switch f.Kind {
	case FaultDropAfterCommit, FaultServerError, FaultRateLimit, FaultSlow, FaultWrongKey, FaultWrongIss, FaultWrongAud, FaultUnavailable:
	default:
		if !f.Kind.isIDToken() {
			return fmt.Errorf("unknown fault kind %q", f.Kind)
		}
		if f.Target != "" && f.Target != "as" {
			return fmt.Errorf("fault %s applies to the AS's token responses: target must be as", f.Kind)
		}
	}
	if f.Count < 1 || f.Count > 1000 {
		return errors.New("fault count must be 1..1000")
	}
	if f.Target != "" && f.Target != "rs" && f.Target != "as" {
		return fmt.Errorf("fault target %q: want rs or as", f.Target)
	}
	if f.Kind == FaultSlow && (f.Delay <= 0 || f.Delay > 5*time.Minute) {
		return errors.New("slow fault needs a delay in (0, 5m]")
	}
	if f.RetryAfter < 0 || f.RetryAfter > 3600 {
		return errors.New("retry_after must be 0..3600 seconds")
	}
	return nil
}

type faultQueue struct {
	mu     sync.Mutex
	queued []Fault
}

// take consumes one per-request fault for a request on target ("as" or "rs"), if any is queued.
func (q *faultQueue) take(target string) (Fault, bool) {
	return q.takeIf(func(f Fault) bool {
		t := f.Target
		if t == "" {
			t = "rs"
		}
		return t == target && !f.Kind.isIDToken()
	})
}

// takeIDToken consumes one id_token fault, if any is queued (called when an id_token is minted).
func (q *faultQueue) takeIDToken() (Fault, bool) {
	return q.takeIf(func(f Fault) bool { return f.Kind.isIDToken() })
}

// takeIf consumes one use of the first queued fault that match accepts.
func (q *faultQueue) takeIf(match func(Fault) bool) (Fault, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i := range q.queued {
		f := &q.queued[i]
		if !match(*f) {
			continue
		}
		out := *f
		f.Count--
		if f.Count == 0 {
			q.queued = append(q.queued[:i], q.queued[i+1:]...)
		}
		return out, true
	}
	return Fault{}, false
}

// InjectFault queues a fault for the next f.Count requests on its target.
func (b *Bank) InjectFault(f Fault) error {
	if err := f.validate(); err != nil {
		return fmt.Errorf("inject fault: %w", err)
	}
	if (f.Kind == FaultRateLimit || f.Kind == FaultUnavailable) && f.RetryAfter == 0 {
		f.RetryAfter = 1
	}
	if f.Kind.isIDToken() {
		f.Target = "as"
	}
	b.faults.mu.Lock()
	b.faults.queued = append(b.faults.queued, f)
	b.faults.mu.Unlock()
	return nil
}

// ClearFaults drops every queued fault.
func (b *Bank) ClearFaults() {
	b.faults.mu.Lock()
	b.faults.queued = nil
	b.faults.mu.Unlock()
}

// RotateEncKey replaces the use=enc key: PII sealed to the old kid now fails with
// JWE.InvalidHeader (rule 39), as it does at a real LFI after rotation.
func (b *Bank) RotateEncKey() (newKID string, err error) {
	k, err := newBankKey(b.cfg.Rand, "enc", "RSA-OAEP-256")
	if err != nil {
		return "", err
	}
	if b.cfg.DataDir != "" {
		if err := writeKeyPEM(b.cfg.DataDir+"/enc-key.pem", k.priv); err != nil {
			return "", fmt.Errorf("rotate enc key: %w", err)
		}
	}
	b.mu.Lock()
	b.enc = k
	b.mu.Unlock()
	return k.kid, nil
}
