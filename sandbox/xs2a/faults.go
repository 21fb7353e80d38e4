package xs2a

import (
	"errors"
	"fmt"
	"sync"
)

// FaultKind is a failure the bank injects on purpose.
type FaultKind string

const (
	// FaultRateLimit answers 429 ACCESS_EXCEEDED with Retry-After, before any processing.
	FaultRateLimit FaultKind = "rate_limit"
	// FaultUnavailable answers 503 before any processing.
	FaultUnavailable FaultKind = "unavailable"
	// FaultDropAfterCommit processes the request (a payment is created) and closes the
	// connection without an answer.
	FaultDropAfterCommit FaultKind = "drop_after_commit"
	// FaultNoFunds marks the next payments created as lacking funds: they stop at ACCP with
	// fundsAvailable=false and FUNDS_NOT_AVAILABLE, then RJCT after FundsWait (at once when the
	// TPP sent TPP-Rejection-NoFunds-Preferred: true).
	FaultNoFunds FaultKind = "no_funds"
	// FaultConfirmation makes the next redirect authorisations end at unconfirmed with a
	// confirmation link; the TPP must PUT the confirmationCode from the redirect back.
	FaultConfirmation FaultKind = "confirmation"
)

// Fault applies to the next Count requests (rate_limit, unavailable, drop_after_commit) or
// payments/authorisations (no_funds, confirmation).
type Fault struct {
	Kind       FaultKind `json:"kind"`
	Count      int       `json:"count"`
	RetryAfter int       `json:"retry_after,omitempty"` // seconds, rate_limit (default 1)
}

func (f Fault) validate() error {
	switch f.Kind {
	case FaultRateLimit, FaultUnavailable, FaultDropAfterCommit, FaultNoFunds, FaultConfirmation:
	default:
		return fmt.Errorf("unknown fault kind %q (want rate_limit, unavailable, drop_after_commit, no_funds or confirmation)", f.Kind)
	}
	if f.Count < 1 || f.Count > 1000 {
		return errors.New("fault count must be 1..1000")
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

// take consumes one use of the first queued fault of one of kinds.
func (q *faultQueue) take(kinds ...FaultKind) (Fault, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i := range q.queued {
		f := &q.queued[i]
		match := false
		for _, k := range kinds {
			match = match || f.Kind == k
		}
		if !match {
			continue
		}
		out := *f
		if f.Count--; f.Count == 0 {
			q.queued = append(q.queued[:i], q.queued[i+1:]...)
		}
		return out, true
	}
	return Fault{}, false
}

// InjectFault queues a fault.
func (b *Bank) InjectFault(f Fault) error {
	if err := f.validate(); err != nil {
		return fmt.Errorf("inject fault: %w", err)
	}
	if f.Kind == FaultRateLimit && f.RetryAfter == 0 {
		f.RetryAfter = 1
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
