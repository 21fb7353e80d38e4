package sandbox

import (
	"os"
	"path/filepath"
	"testing"
)

// TestJournalReplayIgnoresTornLine: a crash mid-append leaves a partial last line, which load
// skips; whole lines are applied over the snapshot.
func TestJournalReplayIgnoresTornLine(t *testing.T) {
	dir := t.TempDir()
	line := `{"payment":{"payment_id":"p1","consent_id":"c1","billing":{}},"idem_id":"k","idem":{"payment_id":"p1","status":201},"balance_fils":42}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, journalFile), []byte(line+`{"payment":{"payment_id":"p2"`), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := loadState(dir, 100)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st.Payments["p1"]; !ok || st.BalanceFils != 42 || st.Idempotency["k"] == nil {
		t.Fatalf("journal not applied: %+v", st)
	}
	if _, ok := st.Payments["p2"]; ok {
		t.Fatal("torn line applied")
	}
}

// TestRestartFoldsTornJournal: a bank restarted over a journal with a torn last line folds the
// whole lines into state.json and starts an empty journal, so its first append cannot be glued
// onto the torn bytes (which would make that acknowledged entry unreadable at the next load).
func TestRestartFoldsTornJournal(t *testing.T) {
	dir := t.TempDir()
	line := `{"payment":{"payment_id":"p1","consent_id":"c1","billing":{}},"idem_id":"k","idem":{"payment_id":"p1","status":201},"balance_fils":42}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, journalFile), []byte(line+`{"payment":{"payment_id":"p2"`), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := New(Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if raw, err := os.ReadFile(filepath.Join(dir, journalFile)); err == nil && len(raw) != 0 {
		t.Fatalf("journal after the restart: %q", raw)
	}
	st, err := loadState(dir, 100)
	if err != nil {
		t.Fatal(err)
	}
	p, err := b.arch.payment("p1")
	if err != nil || p == nil || st.BalanceFils != 42 || st.JournalGen != 1 || len(st.Payments) != 0 {
		t.Fatalf("after the fold: p1 archived %v (%v), balance %d, generation %d, %d payments in state.json",
			p != nil, err, st.BalanceFils, st.JournalGen, len(st.Payments))
	}
}

// TestJournalReplayStopsAtZeroFill: the journal file is zero-filled ahead of its lines (so a
// line needs only fdatasync); load applies the lines and ignores the zeros, also after a torn
// line.
func TestJournalReplayStopsAtZeroFill(t *testing.T) {
	dir := t.TempDir()
	line := `{"payment":{"payment_id":"p1","consent_id":"c1","billing":{}},"idem_id":"k","idem":{"payment_id":"p1","status":201},"balance_fils":42}` + "\n"
	raw := append([]byte(line+`{"payment":{"payment_id":"p2"`), make([]byte, journalChunk)...)
	if err := os.WriteFile(filepath.Join(dir, journalFile), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := loadState(dir, 100)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st.Payments["p1"]; !ok || st.BalanceFils != 42 || len(st.Payments) != 1 {
		t.Fatalf("replay over a zero-filled journal: %d payments, balance %d", len(st.Payments), st.BalanceFils)
	}
}

// TestJournalFileIsZeroFilledAhead: the bank's journal is longer than its lines (zeros after
// them), so appending a line changes no file size.
func TestJournalFileIsZeroFilledAhead(t *testing.T) {
	b := newBank(t, nil)
	newTPP(t, b)
	fi, err := os.Stat(filepath.Join(b.cfg.DataDir, journalFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() < journalChunk || fi.Size()%journalChunk != 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("journal is %d bytes, mode %v; want whole zero-filled chunks, 0600", fi.Size(), fi.Mode().Perm())
	}
}
