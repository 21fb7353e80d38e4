package wallet

import (
	"testing"
	"time"
)

// TestPreparedPaymentsExpire: a prepared payment is taken once, only within PreparedTTL, and
// an abandoned one is dropped by the next Prepare or take, so none outlives the TTL in memory.
func TestPreparedPaymentsExpire(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	w := &Wallet{cfg: Config{Clock: func() time.Time { return now }}, prepared: map[string]*Prepared{}}
	w.prepared["fresh"] = &Prepared{ID: "fresh", preparedAt: now.Add(-PreparedTTL + time.Second)}
	w.prepared["stale"] = &Prepared{ID: "stale", preparedAt: now.Add(-PreparedTTL)}
	w.prepared["abandoned"] = &Prepared{ID: "abandoned", preparedAt: now.Add(-time.Hour)}
	if _, ok := w.takePrepared("stale"); ok {
		t.Fatal("a payment prepared PreparedTTL ago was still taken")
	}
	if _, ok := w.prepared["abandoned"]; ok {
		t.Fatal("an abandoned prepared payment stayed in memory")
	}
	if p, ok := w.takePrepared("fresh"); !ok || p.ID != "fresh" {
		t.Fatal("a payment within its TTL was not taken")
	}
	if _, ok := w.takePrepared("fresh"); ok {
		t.Fatal("a prepared payment was taken twice")
	}
}
