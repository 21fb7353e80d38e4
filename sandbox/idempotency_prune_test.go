package sandbox

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
)

// pruneRig is a bank on a data dir with a clock that survives restarts (AdvanceClock does
// not) and access tokens that outlive the 24 h window, so no token refresh (which saves the
// state, and saving prunes) hides the path under test.
type pruneRig struct {
	t      *testing.T
	dir    string
	offset atomic.Int64
	b      *Bank
	c      *tpp
	cons   consent
}

func newPruneRig(t *testing.T) *pruneRig {
	r := &pruneRig{t: t, dir: t.TempDir()}
	r.start()
	r.c = newTPP(t, r.b)
	r.cons = r.c.authorizedConsent(consentPII())
	return r
}

func (r *pruneRig) start() {
	r.b = newBank(r.t, func(cfg *Config) {
		cfg.DataDir, cfg.AccessTokenLifetime = r.dir, 72*time.Hour
		cfg.Clock = func() time.Time { return time.Now().Add(time.Duration(r.offset.Load())) }
	})
}

func (r *pruneRig) restart() {
	r.t.Helper()
	if err := r.b.Close(); err != nil {
		r.t.Fatal(err)
	}
	r.start() // only the state is inspected afterwards: the new server certificate follows the moved clock
}

// pay makes a payment under key and returns its id.
func (r *pruneRig) pay(key string) string {
	r.t.Helper()
	p := r.c.pay(r.cons.access, key, r.c.paymentClaims(r.cons.id, "1.00", paymentPII(r.c, creditor(testIBAN, "A"))))
	if p.Status != http.StatusCreated {
		r.t.Fatalf("payment: %d %s", p.Status, p.errorCode())
	}
	return p.data()["PaymentId"].(string)
}

// stored reports whether the bank still knows the idempotency record of key (in memory, or in
// the archive within its window) and holds the payment.
func (r *pruneRig) stored(key, paymentID string) (idem, payment bool) {
	id := r.c.id + "\x00" + key
	r.b.mu.Lock()
	_, idem = r.b.st.Idempotency[id]
	arch := r.b.arch
	r.b.mu.Unlock()
	if !idem && arch != nil {
		rec, err := arch.idem(id, r.b.Now().Add(-idempotencyWindow))
		if err != nil {
			r.t.Fatal(err)
		}
		idem = rec != nil
	}
	_, payment = allPayments(r.b)[paymentID]
	return idem, payment
}

// TestIdempotencyRecordsArePruned: the payment path drops a record once its 24 h window (rule
// 33) has passed and keeps the payment, which GET still serves while the key is forgotten.
func TestIdempotencyRecordsArePruned(t *testing.T) {
	r := newPruneRig(t)
	key := uuid.NewString()
	id := r.pay(key)
	r.offset.Store(int64(24*time.Hour - time.Minute))
	r.pay(uuid.NewString())
	if idem, _ := r.stored(key, id); !idem {
		t.Fatal("record pruned inside its 24 h window")
	}
	r.offset.Store(int64(24*time.Hour + time.Second))
	r.pay(uuid.NewString())
	if idem, payment := r.stored(key, id); idem || !payment {
		t.Fatalf("after 24 h: idempotency record kept %v, payment kept %v", idem, payment)
	}
	cc := r.c.clientCredentials()
	if g := r.c.rs(http.MethodGet, "/payments/"+id, cc, nil, ""); g.Status != http.StatusOK {
		t.Fatalf("GET the payment after its record went: %d", g.Status)
	}
	h := http.Header{}
	h.Set("x-idempotency-key", key)
	if g := r.c.rs(http.MethodGet, "/payments", cc, h, ""); g.Status != http.StatusNotFound {
		t.Fatalf("lookup of a pruned key: %d", g.Status)
	}
}

// TestIdempotencyPruneSurvivesRestart: a record only in the journal (no full save since its
// payment) is replayed on load and then pruned when its window has passed.
func TestIdempotencyPruneSurvivesRestart(t *testing.T) {
	r := newPruneRig(t)
	key := uuid.NewString()
	id := r.pay(key)
	r.offset.Store(int64(24*time.Hour - time.Minute))
	r.restart()
	if idem, payment := r.stored(key, id); !idem || !payment {
		t.Fatalf("restart inside the window: record %v, payment %v", idem, payment)
	}
	r.offset.Store(int64(24*time.Hour + time.Second))
	r.restart()
	if idem, payment := r.stored(key, id); idem || !payment {
		t.Fatalf("restart after the window: record back %v, payment kept %v", idem, payment)
	}
	// The archive forgets it at the next compaction (here the one Close runs): it does not
	// grow with every key ever used.
	if err := r.b.SeedPayments(r.cons.id, 1, 100); err != nil { // something for Close to compact
		t.Fatal(err)
	}
	r.restart()
	if _, kept := allIdem(r.b)[r.c.id+"\x00"+key]; kept {
		t.Fatal("the archive still holds the expired idempotency record after a compaction")
	}
	if _, kept := allPayments(r.b)[id]; !kept {
		t.Fatal("the payment left with its idempotency record")
	}
}

// TestEphemeralBankPrunesIdempotency: a bank without a data dir prunes too (on its next state
// change), so a long demo does not grow without bound.
func TestEphemeralBankPrunesIdempotency(t *testing.T) {
	b := newBank(t, func(cfg *Config) { cfg.DataDir = "" })
	c := newTPP(t, b)
	cons := c.authorizedConsent(consentPII())
	if r := c.pay(cons.access, uuid.NewString(), c.paymentClaims(cons.id, "1.00", paymentPII(c, creditor(testIBAN, "A")))); r.Status != http.StatusCreated {
		t.Fatalf("payment: %d", r.Status)
	}
	count := func() (idem, payments int) {
		return len(allIdem(b)), len(allPayments(b))
	}
	if idem, _ := count(); idem != 1 {
		t.Fatalf("%d idempotency records, want 1", idem)
	}
	b.AdvanceClock(24*time.Hour + time.Second)
	c.clientCredentials() // any state change saves, and saving prunes
	if idem, payments := count(); idem != 0 || payments != 1 {
		t.Fatalf("after 24 h: %d idempotency records, %d payments; want 0 and 1", idem, payments)
	}
}
