package sandbox

import (
	"encoding/json"
	"testing"
)

// allPayments is every payment the bank holds, in memory or in the archive.
func allPayments(b *Bank) map[string]*paymentRecord {
	out := map[string]*paymentRecord{}
	b.mu.Lock()
	for id, p := range b.st.Payments {
		cp := *p
		out[id] = &cp
	}
	arch := b.arch
	b.mu.Unlock()
	if arch == nil {
		return out
	}
	rows, err := arch.db.Query(`SELECT record FROM payments`)
	if err != nil {
		panic(err)
	}
	defer rows.Close()
	for rows.Next() {
		var raw []byte
		var p paymentRecord
		if err := rows.Scan(&raw); err != nil || json.Unmarshal(raw, &p) != nil {
			panic("unreadable archive row")
		}
		if _, inMemory := out[p.PaymentID]; !inMemory {
			out[p.PaymentID] = &p
		}
	}
	return out
}

// allIdem is every idempotency record the bank holds, in memory or in the archive, whatever
// its age.
func allIdem(b *Bank) map[string]*idemRecord {
	out := map[string]*idemRecord{}
	b.mu.Lock()
	for id, r := range b.st.Idempotency {
		cp := *r
		out[id] = &cp
	}
	arch := b.arch
	b.mu.Unlock()
	if arch == nil {
		return out
	}
	rows, err := arch.db.Query(`SELECT id, record FROM idempotency`)
	if err != nil {
		panic(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var raw []byte
		var r idemRecord
		if err := rows.Scan(&id, &raw); err != nil || json.Unmarshal(raw, &r) != nil {
			panic("unreadable archive row")
		}
		if _, inMemory := out[id]; !inMemory {
			out[id] = &r
		}
	}
	return out
}

// waitCompactions waits until the bank has finished at least n compactions.
func waitCompactions(t testing.TB, b *Bank, n int) {
	t.Helper()
	for {
		b.mu.Lock()
		done, running := b.compactions, b.compaction
		err := b.storeErr
		b.mu.Unlock()
		if err != nil {
			t.Fatalf("compaction failed: %v", err)
		}
		if done >= n {
			return
		}
		if running != nil {
			<-running.done
			continue
		}
		t.Fatalf("%d compactions finished and none is running; want %d", done, n)
	}
}
