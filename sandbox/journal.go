package sandbox

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// The payment path (and the authorization flow, delta.go) appends one fsync'd line to a journal
// instead of rewriting state.json:
// rewriting the whole state costs O(state) per payment (5 ms at a few hundred payments on this
// machine's disk), an append costs one small write and an fsync. Every full save (state.json,
// atomic) empties the journal; load replays it over the snapshot. Replaying is idempotent
// (records are keyed, the balance is absolute), so a crash between the two steps is harmless.

const (
	journalFile = "journal.jsonl"
	// journalCompactBytes triggers a full save that empties the journal.
	journalCompactBytes = 4 << 20
)

// journalEntry is one line: a payment with its idempotency record, and/or the records the
// authorization flow changed (delta.go). BalanceFils is always the balance after the entry.
type journalEntry struct {
	Payment     *paymentRecord `json:"payment,omitempty"`
	IdemID      string         `json:"idem_id,omitempty"`
	Idem        *idemRecord    `json:"idem,omitempty"`
	Delta       *stateDelta    `json:"delta,omitempty"`
	BalanceFils int64          `json:"balance_fils"`
	Gen         int64          `json:"gen,omitempty"` // bankState.JournalGen when written
}

// journalPaymentLocked durably records a new payment and its idempotency record, with any
// records marked changed since the last save. Caller holds b.mu.
func (b *Bank) journalPaymentLocked(p *paymentRecord, idemID string, rec *idemRecord) error {
	if b.cfg.DataDir == "" {
		return nil
	}
	if err := b.appendJournalLocked(journalEntry{Payment: p, IdemID: idemID, Idem: rec, Delta: b.deltaLocked(), BalanceFils: b.st.BalanceFils}); err != nil {
		return err
	}
	b.dirty = dirtySet{}
	if b.journalBytes > journalCompactBytes {
		return b.saveLocked()
	}
	return nil
}

// appendJournalLocked writes one entry as a line and fsyncs it. Caller holds b.mu.
func (b *Bank) appendJournalLocked(e journalEntry) error {
	e.Gen = b.st.JournalGen
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode journal entry: %w", err)
	}
	if b.journal == nil {
		f, err := os.OpenFile(filepath.Join(b.cfg.DataDir, journalFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("open journal: %w", err)
		}
		b.journal = f
	}
	if _, err := b.journal.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("write journal: %w", err)
	}
	if err := b.journal.Sync(); err != nil {
		return fmt.Errorf("sync journal: %w", err)
	}
	b.journalBytes += int64(len(line) + 1)
	return nil
}

// foldJournal runs at load: a journal left by the last run is folded into a full save, so this
// run appends to an empty one. Appending after a torn last line (a crash mid-append) would
// glue the next entry onto it and make both unreadable.
func (b *Bank) foldJournal() error {
	if b.cfg.DataDir == "" {
		return nil
	}
	st, err := os.Stat(filepath.Join(b.cfg.DataDir, journalFile))
	if errors.Is(err, os.ErrNotExist) || (err == nil && st.Size() == 0) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("stat journal: %w", err)
	}
	if err := b.saveLocked(); err != nil {
		return fmt.Errorf("fold the journal into %s: %w", stateFile, err)
	}
	return nil
}

// emptyJournalLocked runs after a successful full save.
func (b *Bank) emptyJournalLocked() error {
	b.journalBytes = 0
	if b.journal != nil {
		if err := b.journal.Truncate(0); err != nil {
			return fmt.Errorf("empty journal: %w", err)
		}
		return b.journal.Sync()
	}
	err := os.Remove(filepath.Join(b.cfg.DataDir, journalFile))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove journal: %w", err)
	}
	return nil
}

// replayJournal applies journal entries to a loaded snapshot. A torn last line (a crash during
// the append, so never acknowledged to a client) is ignored.
func replayJournal(dir string, st *bankState) error {
	raw, err := os.ReadFile(filepath.Join(dir, journalFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read journal: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		var e journalEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			continue // only the last line can be torn; a bad line carries nothing acknowledged
		}
		if e.Gen != st.JournalGen {
			continue // written before the snapshot's full save, which already holds it
		}
		if e.Payment != nil {
			st.Payments[e.Payment.PaymentID] = e.Payment
		}
		if e.Idem != nil && e.IdemID != "" {
			st.Idempotency[e.IdemID] = e.Idem
		}
		if e.Delta != nil {
			e.Delta.apply(st)
		}
		st.BalanceFils = e.BalanceFils
	}
	return sc.Err()
}
