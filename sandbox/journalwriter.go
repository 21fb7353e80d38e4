package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// journalWriter appends journal lines with group commit. A handler appends its line while it
// holds the bank lock (so lines keep the order of the changes they record), releases the lock
// and then waits until the line is on disk. The first waiter becomes the leader: it writes
// every line appended so far and fsyncs once, outside any bank lock; the waiters that arrived
// meanwhile are answered by that fsync or by the next leader's. Concurrent payments thus share
// one fsync, and no request waits on the disk while holding the bank lock.
//
// The file is zero-filled ahead of the lines, 1 MiB at a time, with an fsync of its new size
// (and, for a new file, of the directory): a line then overwrites blocks that exist, and
// fdatasync makes it durable without a journal commit of the file system's metadata, which on
// this project's disk cut an fsync from about 1 ms to about 0.3. Load stops at the zeros (an
// unreadable last "line", as a torn one is).
//
// After a write or fsync error the writer refuses everything (a failed fsync may have dropped
// dirty pages; retrying it could report success for lost data): the bank answers 500 until it
// is restarted and replays what is on disk.
type journalWriter struct {
	path string

	mu       sync.Mutex
	cond     sync.Cond
	f        *os.File // the current generation's file; nil until its first write
	off      int64    // where the next write goes in f
	alloc    int64    // f's zero-filled size
	buf      []byte   // lines appended but not yet written
	spare    []byte   // the last leader's written buffer, emptied, for the next one
	appended uint64   // number of lines appended so far
	durable  uint64   // lines known to be on disk
	leader   bool     // a goroutine is writing and syncing
	err      error    // sticky
	old      *os.File // the previous generation's file after rotate, fsynced by the next leader
	size     int64    // bytes of the current generation (written and buffered)

	flushPending bool // a flushSoon timer is set

	syncs     atomic.Int64 // fsync rounds, for tests and benchmarks
	syncNanos atomic.Int64 // time spent in them
	// beforeSync, when set (tests), runs in the leader just before it writes and fsyncs.
	beforeSync func()
}

func newJournalWriter(path string) *journalWriter {
	j := &journalWriter{path: path}
	j.cond.L = &j.mu
	return j
}

// append queues one line (without its newline) and returns its sequence number for wait.
// It does no I/O. Callers hold the bank lock.
func (j *journalWriter) append(line []byte) (uint64, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return 0, j.err
	}
	j.buf = append(append(j.buf, line...), '\n')
	j.size += int64(len(line) + 1)
	j.appended++
	return j.appended, nil
}

// bytes is the size of the current generation, for the compaction trigger.
func (j *journalWriter) bytes() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.size
}

// wait returns once line seq is on disk (or the journal failed).
func (j *journalWriter) wait(seq uint64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	for j.durable < seq && j.err == nil {
		if j.leader {
			j.cond.Wait()
			continue
		}
		j.leader = true
		buf, target, out, old := j.buf, j.appended, journalFileState{f: j.f, off: j.off, alloc: j.alloc}, j.old
		j.buf, j.spare, j.old = j.spare, nil, nil
		j.mu.Unlock()
		out, err := j.flush(out, old, buf)
		j.mu.Lock()
		// Written (or failed for good): appends fill it again instead of growing a new one
		// line by line, unless a burst made it large.
		if cap(buf) <= maxSpare {
			j.spare = buf[:0]
		}
		j.leader = false
		j.f, j.off, j.alloc = out.f, out.off, out.alloc
		if err != nil {
			j.err = err
		} else {
			j.durable = target
		}
		j.cond.Broadcast()
	}
	return j.err
}

// flushDelay bounds how long a line nobody waits for (a payment's stored response) stays off
// the disk when no later line's fsync takes it along. Losing such a line acknowledges nothing
// twice (a replay then signs the payment's same claims again, writeReplay), so it need not
// have an fsync of its own: at 10 ms the timer's fsync landed in a sequential client's next
// payment (1.22 fsyncs/payment, that payment's line waiting behind it); at 1 s the next
// payment's fsync carries it (1.00) and an idle bank still writes it within a second.
const flushDelay = time.Second

// flushSoon makes line seq durable within flushDelay without anyone waiting for it.
func (j *journalWriter) flushSoon(seq uint64) {
	j.mu.Lock()
	if j.durable >= seq || j.flushPending || j.err != nil {
		j.mu.Unlock()
		return
	}
	j.flushPending = true
	j.mu.Unlock()
	time.AfterFunc(flushDelay, func() {
		j.mu.Lock()
		j.flushPending = false
		target := j.appended
		j.mu.Unlock()
		_ = j.wait(target) // an error is sticky: the next waiter reports it
	})
}

// maxSpare bounds the write buffer kept between fsyncs.
const maxSpare = 256 << 10

// journalFileState is the current file as a leader sees it.
type journalFileState struct {
	f          *os.File
	off, alloc int64
}

// journalChunk is how much the file is zero-filled ahead at a time.
const journalChunk = 1 << 20

var zeroChunk = make([]byte, journalChunk)

// flush writes buf at the end of the current file (creating and zero-filling it as needed)
// and makes it durable, after fsyncing and closing the previous generation's file. It runs
// without any lock.
func (j *journalWriter) flush(cur journalFileState, old *os.File, buf []byte) (journalFileState, error) {
	if j.beforeSync != nil {
		j.beforeSync()
	}
	if old != nil {
		if err := old.Sync(); err != nil {
			old.Close()
			return cur, fmt.Errorf("sync previous journal: %w", err)
		}
		if err := old.Close(); err != nil {
			return cur, fmt.Errorf("close previous journal: %w", err)
		}
	}
	if len(buf) == 0 {
		return cur, nil
	}
	created := false
	if cur.f == nil {
		f, err := os.OpenFile(j.path, os.O_CREATE|os.O_RDWR|os.O_TRUNC, 0o600)
		if err != nil {
			return cur, fmt.Errorf("open journal: %w", err)
		}
		cur, created = journalFileState{f: f}, true
	}
	grown := false
	for cur.off+int64(len(buf)) > cur.alloc {
		if _, err := cur.f.WriteAt(zeroChunk, cur.alloc); err != nil {
			return cur, fmt.Errorf("extend journal: %w", err)
		}
		cur.alloc += journalChunk
		grown = true
	}
	if _, err := cur.f.WriteAt(buf, cur.off); err != nil {
		return cur, fmt.Errorf("write journal: %w", err)
	}
	cur.off += int64(len(buf))
	j.syncs.Add(1)
	t0 := time.Now()
	var err error
	if grown {
		err = cur.f.Sync() // the new size too
	} else {
		err = datasync(cur.f)
	}
	if err == nil && created {
		err = syncDir(filepath.Dir(j.path))
	}
	j.syncNanos.Add(int64(time.Since(t0)))
	if err != nil {
		return cur, fmt.Errorf("sync journal: %w", err)
	}
	return cur, nil
}

// rotate ends the current generation: its lines (the buffered ones written now) stay in a
// file renamed to prevPath, fsynced by the next leader; later lines go to a new file at the
// journal's path. It returns the sequence number of the last line of the ended generation.
// Callers hold the bank lock; rotate waits for a running leader (one fsync at most).
func (j *journalWriter) rotate(prevPath string) (uint64, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for j.leader {
		j.cond.Wait()
	}
	if j.err != nil {
		return 0, j.err
	}
	if len(j.buf) > 0 {
		if j.f == nil {
			f, err := os.OpenFile(j.path, os.O_CREATE|os.O_RDWR|os.O_TRUNC, 0o600)
			if err != nil {
				j.err = fmt.Errorf("open journal: %w", err)
				return 0, j.err
			}
			j.f, j.off, j.alloc = f, 0, 0
		}
		// Past the zero-filled part the file just grows; the next leader fsyncs it whole.
		if _, err := j.f.WriteAt(j.buf, j.off); err != nil {
			j.err = fmt.Errorf("write journal: %w", err)
			return 0, j.err
		}
		j.off += int64(len(j.buf))
		j.buf = j.buf[:0]
	}
	if j.f != nil {
		if err := os.Rename(j.path, prevPath); err != nil {
			j.err = fmt.Errorf("rotate journal: %w", err)
			return 0, j.err
		}
		if j.old != nil { // two rotations without a leader in between: sync the older one now
			if err := j.old.Sync(); err != nil {
				j.err = fmt.Errorf("sync previous journal: %w", err)
				return 0, j.err
			}
			j.old.Close()
		}
		j.old, j.f, j.off, j.alloc = j.f, nil, 0, 0
	}
	j.size = 0
	return j.appended, nil
}

// close makes everything appended durable and closes the files.
func (j *journalWriter) close() error {
	j.mu.Lock()
	target := j.appended
	j.mu.Unlock()
	err := j.wait(target)
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, f := range []*os.File{j.f, j.old} {
		if f != nil {
			err = errors.Join(err, f.Close())
		}
	}
	j.f, j.old = nil, nil
	if j.err == nil {
		j.err = errors.New("journal closed")
	}
	return err
}
