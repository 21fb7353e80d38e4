package sandbox

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Persistence with a data dir, in three parts:
//
//   - journal.jsonl: every change is one line (a payment, the records a request of the
//     authorization flow changed, a registration, an admin control), on disk before the answer
//     (group commit, journalwriter.go).
//   - state.json: a snapshot of everything but the payments, written atomically by a
//     compaction. Each journal line carries the generation it continues; load replays the
//     lines of the snapshot's generation and later ones over it.
//   - payments.db: the archive (archive.go) of the payments and idempotency records of every
//     closed generation.
//
// When the journal passes journalCompactBytes, a compaction closes its generation: under the
// bank lock it renames the journal to journal.prev.jsonl, starts a new one and copies the
// snapshot and the closed generation's payments (cost: the small state plus one journal's
// worth of payments, never all of them); without the lock it archives those payments, writes
// the snapshot and removes journal.prev.jsonl. Requests go on meanwhile. Load reads the
// snapshot and at most two journals, so start-up does not grow with the number of payments.

const (
	journalFile     = "journal.jsonl"
	journalPrevFile = "journal.prev.jsonl"
	// journalCompactBytes triggers a compaction.
	journalCompactBytes = 4 << 20
)

// journalEntry is one line. BalanceFils is always the balance after the entry. A payment's
// line is encoded before the payment is applied, so its delta holds records as they were
// before it; replay applies the delta first, then the payments.
type journalEntry struct {
	Delta       *stateDelta      `json:"delta,omitempty"`
	Payment     *paymentRecord   `json:"payment,omitempty"`
	Payments    []*paymentRecord `json:"payments,omitempty"` // SeedPayments
	IdemID      string           `json:"idem_id,omitempty"`
	Idem        *idemRecord      `json:"idem,omitempty"`
	BalanceFils int64            `json:"balance_fils"`
	Gen         int64            `json:"gen,omitempty"` // bankState.JournalGen when written
}

// appendLocked journals e with the records marked changed since the last line and returns the
// line's sequence number for b.jw.wait (0 without a data dir). It does no I/O; the caller
// waits after releasing the lock where it can. Caller holds b.mu and sets e.BalanceFils.
func (b *Bank) appendLocked(e journalEntry) (uint64, error) {
	if b.jw == nil {
		b.dirty, b.balanceDirty = dirtySet{}, false
		return 0, nil
	}
	if b.storeErr != nil {
		return 0, b.storeErr
	}
	e.Gen = b.st.JournalGen
	e.Delta = b.deltaLocked()
	line, err := json.Marshal(e)
	if err != nil {
		return 0, fmt.Errorf("encode journal entry: %w", err)
	}
	seq, err := b.jw.append(line)
	if err != nil {
		return 0, err
	}
	b.dirty, b.balanceDirty = dirtySet{}, false
	if b.jw.bytes() > b.compactBytes && b.compaction == nil {
		if c := b.startCompactionLocked(); c != nil {
			go b.runCompaction(c)
		}
	}
	return seq, nil
}

// compaction is one closed journal generation on its way to the archive and a snapshot.
type compaction struct {
	snapshot *bankState // copies; JournalGen is the new generation
	payments []paymentRecord
	idem     map[string]idemRecord
	// movedP and movedI are the live records to drop from memory once archived (by
	// identity: a record replaced meanwhile stays). An idempotency record still waiting for
	// its response body is archived but stays in memory.
	movedP  map[string]*paymentRecord
	movedI  map[string]*idemRecord
	lastSeq uint64    // the closed generation's last line
	forget  time.Time // idempotency records created at or before this leave the archive
	atStart bool      // folding the journals found at load: remove journal.jsonl too
	done    chan struct{}
}

// startCompactionLocked closes the current journal generation and copies what the snapshot
// and the archive need. Caller holds b.mu; the copies cost the small state plus the closed
// generation's payments.
func (b *Bank) startCompactionLocked() *compaction {
	c := &compaction{done: make(chan struct{})}
	if b.jw != nil {
		seq, err := b.jw.rotate(filepath.Join(b.cfg.DataDir, journalPrevFile))
		if err != nil {
			b.storeErr = err
			return nil
		}
		c.lastSeq = seq
	} else {
		c.atStart = true
	}
	b.st.JournalGen++
	c.snapshot = b.st.cloneSmall()
	c.payments = make([]paymentRecord, 0, len(b.st.Payments))
	c.movedP = make(map[string]*paymentRecord, len(b.st.Payments))
	for id, p := range b.st.Payments {
		c.payments = append(c.payments, *p)
		c.movedP[id] = p
	}
	c.idem = make(map[string]idemRecord, len(b.st.Idempotency))
	c.movedI = make(map[string]*idemRecord, len(b.st.Idempotency))
	c.forget = b.nowLocked().Add(-idempotencyWindow)
	for id, t := range b.archivedIdem {
		if !t.After(c.forget) {
			delete(b.archivedIdem, id)
		}
	}
	for id, r := range b.st.Idempotency {
		c.idem[id] = *r
		if r.Body != nil {
			c.movedI[id] = r
		}
		// Known before the archive holds it: a lookup meanwhile finds it in memory.
		b.archivedIdem[id] = r.CreatedAt
		if r.CreatedAt.After(b.st.ArchivedIdemNewest) {
			b.st.ArchivedIdemNewest = r.CreatedAt
		}
	}
	c.snapshot.ArchivedIdemNewest = b.st.ArchivedIdemNewest
	b.compaction = c
	return c
}

// runCompaction finishes a compaction without the bank lock, then drops the archived records
// from memory. A failure stops every later change (storeErr) until a restart replays the
// journals, which are all still on disk.
func (b *Bank) runCompaction(c *compaction) {
	err := b.finishCompaction(c)
	b.mu.Lock()
	defer b.mu.Unlock()
	if err != nil {
		b.storeErr = fmt.Errorf("compact the journal: %w", err)
	} else {
		for id, p := range c.movedP {
			if b.st.Payments[id] == p {
				delete(b.st.Payments, id)
			}
		}
		for id, r := range c.movedI {
			if b.st.Idempotency[id] == r {
				delete(b.st.Idempotency, id)
			}
		}
		b.compactions++
	}
	b.compaction = nil
	close(c.done)
}

func (b *Bank) finishCompaction(c *compaction) error {
	if b.jw != nil {
		// The closed generation is complete on disk before anything that replaces it.
		if err := b.jw.wait(c.lastSeq); err != nil {
			return err
		}
	}
	if h := b.hooks.compacting; h != nil {
		h()
	}
	if err := b.arch.put(c.payments, c.idem, c.forget); err != nil {
		return err
	}
	raw, err := json.Marshal(c.snapshot)
	if err != nil {
		return fmt.Errorf("encode sandbox state: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(b.cfg.DataDir, stateFile), raw); err != nil {
		return err
	}
	// The new snapshot's name is on disk before the journal it replaces goes.
	if err := syncDir(b.cfg.DataDir); err != nil {
		return fmt.Errorf("sync %s: %w", b.cfg.DataDir, err)
	}
	names := []string{journalPrevFile}
	if c.atStart {
		names = append(names, journalFile)
	}
	for _, name := range names {
		if err := os.Remove(filepath.Join(b.cfg.DataDir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove %s: %w", name, err)
		}
	}
	return nil
}

// compactNow runs a compaction to its end (Close, and load over a leftover journal), after
// waiting for one in progress.
func (b *Bank) compactNow() error {
	b.mu.Lock()
	for b.compaction != nil {
		done := b.compaction.done
		b.mu.Unlock()
		<-done
		b.mu.Lock()
	}
	if b.storeErr != nil {
		err := b.storeErr
		b.mu.Unlock()
		return err
	}
	c := b.startCompactionLocked()
	err := b.storeErr
	b.mu.Unlock()
	if c == nil {
		return err
	}
	b.runCompaction(c)
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.storeErr
}

// replayJournal applies one journal file to a loaded state and reports whether the file had
// any content. A torn last line (a crash during the append, so never acknowledged to a
// client) is ignored, as are lines of a generation older than the snapshot.
func replayJournal(path string, st *bankState) (bool, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read journal: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	for sc.Scan() {
		var e journalEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			continue // only the last line can be torn; a bad line carries nothing acknowledged
		}
		if e.Gen < st.JournalGen {
			continue // written before the snapshot, which already holds it
		}
		if e.Delta != nil {
			e.Delta.apply(st)
		}
		if e.Payment != nil && e.Payment.PaymentID != "" {
			st.addPayment(e.Payment)
		}
		for _, p := range e.Payments {
			if p != nil && p.PaymentID != "" {
				st.addPayment(p)
			}
		}
		if e.Idem != nil && e.IdemID != "" {
			st.Idempotency[e.IdemID] = e.Idem
		}
		st.BalanceFils = e.BalanceFils
	}
	return len(raw) > 0, sc.Err()
}
