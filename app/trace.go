package app

import (
	"sync"

	"github.com/payterm/payterm/lfi"
)

// traceSize bounds the exchanges kept for the inspector: enough for an onboarding and a few
// payments with their status polls.
const traceSize = 200

// trace keeps the latest HTTP exchanges the lfi client reports (already free of secrets).
type trace struct {
	mu  sync.Mutex
	buf []lfi.Exchange
	pos int
	n   int
}

func newTrace() *trace { return &trace{buf: make([]lfi.Exchange, traceSize)} }

// observe is the lfi.Observer: it is called synchronously by the client, so it only copies.
func (t *trace) observe(ex lfi.Exchange) {
	t.mu.Lock()
	t.buf[t.pos] = ex
	t.pos = (t.pos + 1) % len(t.buf)
	if t.n < len(t.buf) {
		t.n++
	}
	t.mu.Unlock()
}

// all returns the kept exchanges, oldest first.
func (t *trace) all() []lfi.Exchange {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]lfi.Exchange, 0, t.n)
	start := (t.pos - t.n + len(t.buf)) % len(t.buf)
	for i := range t.n {
		out = append(out, t.buf[(start+i)%len(t.buf)])
	}
	return out
}

// last returns the newest exchange of op.
func (t *trace) last(op string) (lfi.Exchange, bool) {
	all := t.all()
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].Op == op {
			return all[i], true
		}
	}
	return lfi.Exchange{}, false
}
