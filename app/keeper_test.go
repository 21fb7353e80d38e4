package app

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// fakeTime is a clock that moves only when the keeper's sleep is released by the test.
type fakeTime struct {
	mu      sync.Mutex
	now     time.Time
	sleeps  chan time.Duration // the keeper announces each wait here
	release chan struct{}      // the test lets the wait pass (the clock moves by it)
}

func newFakeTime() *fakeTime {
	return &fakeTime{now: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC), sleeps: make(chan time.Duration), release: make(chan struct{})}
}

func (f *fakeTime) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeTime) Sleep(ctx context.Context, d time.Duration) error {
	select {
	case f.sleeps <- d:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-f.release:
		f.mu.Lock()
		f.now = f.now.Add(d)
		f.mu.Unlock()
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// keeperCalls records what the loop did, in order.
type keeperCalls struct {
	mu    sync.Mutex
	log   []string
	open  []int // what successive resumes report as still open; the last repeats
	calls chan string
}

func (c *keeperCalls) resume(context.Context) (int, error) {
	c.mu.Lock()
	n := c.open[0]
	if len(c.open) > 1 {
		c.open = c.open[1:]
	}
	c.mu.Unlock()
	c.calls <- "resume"
	if n < 0 {
		return 1, errors.New("bank down")
	}
	return n, nil
}

func (c *keeperCalls) sync(context.Context) error {
	c.calls <- "sync"
	return nil
}

// TestKeeperResumesWithBackoffAndSyncs drives the background loop on a fake clock: open
// payments are resumed after 1, 2, 4 minutes…, a poke (a payment just left open) resumes at
// once and starts the back-off over, the consents are synced every 15 minutes, and the loop
// stops when its context ends.
func TestKeeperResumesWithBackoffAndSyncs(t *testing.T) {
	ft := newFakeTime()
	// Start-up: 2 open; then still open, still open (bank down), none; after the poke: 1 open.
	calls := &keeperCalls{open: []int{2, 2, -1, 0, 1}, calls: make(chan string, 16)}
	k := newKeeper(ft.Now, ft.Sleep, calls.resume, calls.sync)
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		k.run(ctx, func(err error) { started <- err })
	}()
	defer func() {
		cancel()
		<-done
	}()

	guard := func() <-chan time.Time { return time.After(10 * time.Second) } // a hang fails, it never times a result
	expectCall := func(want string) {
		t.Helper()
		select {
		case got := <-calls.calls:
			if got != want {
				t.Fatalf("the loop called %s, want %s", got, want)
			}
		case <-guard():
			t.Fatalf("the loop never called %s", want)
		}
	}
	expectSleep := func(want time.Duration) {
		t.Helper()
		select {
		case got := <-ft.sleeps:
			if got != want {
				t.Fatalf("the loop waits %v, want %v", got, want)
			}
		case c := <-calls.calls:
			t.Fatalf("the loop called %s instead of waiting %v", c, want)
		case <-guard():
			t.Fatalf("the loop never waited %v", want)
		}
	}
	pass := func() { ft.release <- struct{}{} }

	expectCall("resume")
	expectCall("sync")
	if err := <-started; err != nil {
		t.Fatal(err)
	}
	expectSleep(1 * time.Minute) // 2 payments open: back-off starts at a minute
	pass()
	expectCall("resume") // still 2 open
	expectSleep(2 * time.Minute)
	pass()
	expectCall("resume") // the bank is down: retried later, not given up
	expectSleep(4 * time.Minute)
	pass()
	expectCall("resume") // all final now
	expectSleep(15*time.Minute - 7*time.Minute)
	pass()
	expectCall("sync") // 15 minutes after start-up
	expectSleep(15 * time.Minute)

	k.poke() // a payment was just left open: resume at once
	expectCall("resume")
	expectSleep(1 * time.Minute) // 1 open: the back-off starts over
	pass()
	expectCall("resume") // the last answer (1 open) repeats
	expectSleep(2 * time.Minute)

	cancel()
	select {
	case <-done:
	case <-guard():
		t.Fatal("the loop did not stop with its context")
	}
}

// TestKeeperStartupError: what the start-up work failed at reaches WaitStartup.
func TestKeeperStartupError(t *testing.T) {
	ft := newFakeTime()
	calls := &keeperCalls{open: []int{-1}, calls: make(chan string, 16)}
	k := newKeeper(ft.Now, ft.Sleep, calls.resume, func(context.Context) error { return errors.New("sync failed") })
	ctx, cancel := context.WithCancel(context.Background())
	var got error
	done := make(chan struct{})
	go func() {
		defer close(done)
		k.run(ctx, func(err error) { got = err; cancel() })
	}()
	<-calls.calls
	<-done
	if got == nil || got.Error() != "resume payments: bank down\nsync consents: sync failed" {
		t.Fatalf("start-up error %v", got)
	}
}
