package app

import (
	"sync"

	"github.com/payterm/payterm/lfi"
	ftprov "github.com/payterm/payterm/provider/fintecture"
	opprov "github.com/payterm/payterm/provider/op"
	"github.com/payterm/payterm/xs2a"
)

// traceSize bounds the exchanges kept for the inspector: enough for an onboarding and a few
// payments with their status polls.
const traceSize = 200

// trace keeps the latest HTTP exchanges the bank clients report (already free of secrets),
// each with the id of the bank it went to.
type trace struct {
	mu  sync.Mutex
	buf []traced
	pos int
	n   int
}

// traced is one exchange: a UAE one (ex), a Berlin Group one (bg, not nil), a Fintecture
// one (ft, not nil) or an OP one (op, not nil).
type traced struct {
	bank string
	ex   lfi.Exchange
	bg   *xs2a.Exchange
	ft   *ftprov.Exchange
	op   *opprov.Exchange
}

func newTrace() *trace { return &trace{buf: make([]traced, traceSize)} }

// observer is the lfi.Observer of bank's client: it is called synchronously by the client, so
// it only copies.
func (t *trace) observer(bank string) lfi.Observer {
	return func(ex lfi.Exchange) { t.add(traced{bank: bank, ex: ex}) }
}

// xs2aObserver is the xs2a.Observer of a Berlin Group bank's client (secrets already redacted
// by xs2a).
func (t *trace) xs2aObserver(bank string) xs2a.Observer {
	return func(ex xs2a.Exchange) { t.add(traced{bank: bank, bg: &ex}) }
}

// ftObserver is the Observer of a Fintecture bank's client (secrets already removed by it).
func (t *trace) ftObserver(bank string) ftprov.Observer {
	return func(ex ftprov.Exchange) { t.add(traced{bank: bank, ft: &ex}) }
}

// opObserver is the Observer of an OP bank's client (secrets already removed by it).
func (t *trace) opObserver(bank string) opprov.Observer {
	return func(ex opprov.Exchange) { t.add(traced{bank: bank, op: &ex}) }
}

func (t *trace) add(x traced) {
	t.mu.Lock()
	t.buf[t.pos] = x
	t.pos = (t.pos + 1) % len(t.buf)
	if t.n < len(t.buf) {
		t.n++
	}
	t.mu.Unlock()
}

// allTraced returns the kept exchanges with their banks, oldest first.
func (t *trace) allTraced() []traced {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]traced, 0, t.n)
	start := (t.pos - t.n + len(t.buf)) % len(t.buf)
	for i := range t.n {
		out = append(out, t.buf[(start+i)%len(t.buf)])
	}
	return out
}

// all returns the kept UAE exchanges, oldest first.
func (t *trace) all() []lfi.Exchange {
	tr := t.allTraced()
	out := make([]lfi.Exchange, 0, len(tr))
	for _, x := range tr {
		if x.bg == nil && x.ft == nil && x.op == nil {
			out = append(out, x.ex)
		}
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
