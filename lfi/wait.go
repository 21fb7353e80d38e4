package lfi

import (
	"context"
	"sync"
	"time"
)

// A bank that answers 429 (or 503) with Retry-After has asked the client to send nothing
// before that time (RFC 6585 §4, RFC 9110 §10.2.3). The Client remembers the latest such
// deadline and holds every later call back until it has passed: a call sits the rest of the
// wait out (reporting it to the context's WaitObserver first, so a screen can count down) when
// it is within the call's limit, and otherwise returns a *WaitError without sending anything.
// The injected Sleep is the authority on time passing: a wait it ran to its end is over even
// if the injected clock did not move.

// Wait is a pause the bank asked for that a call is about to sit out.
type Wait struct {
	Op     string        // the call that waits, e.g. "create payment"
	Status int           // the HTTP status that asked for it (429, 503); 0 when an earlier answer's wait still holds
	For    time.Duration // how long
	Until  time.Time     // when it ends, by the client's clock
}

// WaitObserver is told about each wait before it starts. It is called synchronously on the
// calling goroutine; keep it fast.
type WaitObserver func(Wait)

type (
	waitObserverKey struct{}
	maxWaitKey      struct{}
)

// WithWaitObserver returns a context whose calls report each Retry-After wait to f.
func WithWaitObserver(ctx context.Context, f WaitObserver) context.Context {
	return context.WithValue(ctx, waitObserverKey{}, f)
}

// WithMaxWait returns a context whose calls sit out a Retry-After of at most d (instead of
// Config.MaxRetryAfter); a longer one is returned to the caller as an error matching
// ErrRateLimited with the wait in RetryAfter. Use it where the wait is shown and can be
// cancelled; d <= 0 means: never wait, return at once.
func WithMaxWait(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, maxWaitKey{}, max(d, 0))
}

func (c *Client) maxWait(ctx context.Context) time.Duration {
	if d, ok := ctx.Value(maxWaitKey{}).(time.Duration); ok {
		return d
	}
	return c.cfg.MaxRetryAfter
}

func notifyWait(ctx context.Context, w Wait) {
	if f, ok := ctx.Value(waitObserverKey{}).(WaitObserver); ok && f != nil {
		f(w)
	}
}

// holdOff is the latest deadline a bank's Retry-After set.
type holdOff struct {
	mu    sync.Mutex
	until time.Time
}

// extend moves the deadline to until if that is later.
func (h *holdOff) extend(until time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if until.After(h.until) {
		h.until = until
	}
}

func (h *holdOff) get() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.until
}

// done clears the deadline after a wait for exactly it ran to its end.
func (h *holdOff) done(until time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.until.Equal(until) {
		h.until = time.Time{}
	}
}

// awaitHoldOff sits out what is left of the bank's last Retry-After before a call is sent.
// honoured is the deadline this call has already waited for (so its own retry does not wait
// twice); it returns the deadline it now has honoured.
func (c *Client) awaitHoldOff(ctx context.Context, op string, maxWait time.Duration, honoured time.Time) (time.Time, error) {
	until := c.hold.get()
	if until.IsZero() || !until.After(honoured) {
		return honoured, nil
	}
	left := until.Sub(c.clock())
	if left <= 0 {
		return until, nil
	}
	if left > maxWait {
		return honoured, &WaitError{Op: op, Until: until, RetryAfter: left}
	}
	notifyWait(ctx, Wait{Op: op, For: left, Until: until})
	if err := c.sleep(ctx, left); err != nil {
		return honoured, &WaitError{Op: op, Until: until, RetryAfter: left, Err: err}
	}
	c.hold.done(until)
	return until, nil
}
