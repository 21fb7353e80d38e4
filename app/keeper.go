package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// The wallet's one background loop. At start it resumes every payment that is not final and
// syncs the consents' statuses (WaitStartup reports how that went). Then, while payments are
// still open (a bank that did not settle within the wallet's tracking time, an outage), it
// resumes them again with back-off; and it syncs the consents every syncEvery, so a suspension
// or revocation at the bank shows without a restart. Its time and waits are the App's injected
// clock and sleep, so tests drive it without real waits.

const (
	// syncEvery is how often a running wallet asks the bank for its consents' statuses.
	syncEvery = 15 * time.Minute
	// resumeFirst is the first wait before open payments are resumed again; it doubles up to
	// resumeMax while they stay open, and starts over when a new one is left open.
	resumeFirst = time.Minute
	resumeMax   = 15 * time.Minute
)

type keeper struct {
	clock func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
	// resume drives every open payment and returns how many are still open afterwards.
	resume func(ctx context.Context) (open int, err error)
	sync   func(ctx context.Context) error
	// wake (buffer 1) cuts a wait short: a payment was just left open.
	wake chan struct{}
}

func newKeeper(clock func() time.Time, sleep func(context.Context, time.Duration) error,
	resume func(context.Context) (int, error), sync func(context.Context) error) *keeper {
	return &keeper{clock: clock, sleep: sleep, resume: resume, sync: sync, wake: make(chan struct{}, 1)}
}

// poke asks the loop to resume open payments now. It never blocks; nil-safe.
func (k *keeper) poke() {
	if k == nil {
		return
	}
	select {
	case k.wake <- struct{}{}:
	default:
	}
}

// run is the loop; started gets the start-up work's error once. It returns when ctx ends.
func (k *keeper) run(ctx context.Context, started func(error)) {
	var errs []error
	open, err := k.resume(ctx)
	if err != nil {
		errs = append(errs, fmt.Errorf("resume payments: %w", err))
	}
	if err := k.sync(ctx); err != nil {
		errs = append(errs, fmt.Errorf("sync consents: %w", err))
	}
	started(errors.Join(errs...))

	// now is the loop's time: the clock, but a wait that ran to its end counts in full even if
	// the injected sleep was quicker (tests scale waits down; the schedule stays the same).
	now := k.clock()
	advance := func(to time.Time) {
		if to.After(now) {
			now = to
		}
	}
	nextSync := now.Add(syncEvery)
	// The start-up resume was the first attempt: the next waits resumeFirst, then twice that.
	nextResume := now.Add(resumeFirst)
	backoff := min(2*resumeFirst, resumeMax)
	for {
		wakeAt := nextSync
		if open > 0 && nextResume.Before(wakeAt) {
			wakeAt = nextResume
		}
		d := wakeAt.Sub(now)
		woken, waited := k.pause(ctx, d)
		if ctx.Err() != nil {
			return
		}
		if waited {
			advance(now.Add(d))
		}
		advance(k.clock())
		if woken {
			open, backoff, nextResume = max(open, 1), resumeFirst, now
		}
		if open > 0 && !now.Before(nextResume) {
			// A failure is retried after the next back-off; the payments keep their status.
			open, _ = k.resume(ctx)
			advance(k.clock())
			if open > 0 {
				nextResume = now.Add(backoff)
				backoff = min(2*backoff, resumeMax)
			} else {
				backoff = resumeFirst
			}
		}
		if !now.Before(nextSync) {
			// A failed sync is retried at the next one; the consents keep their last status.
			_ = k.sync(ctx)
			advance(k.clock())
			nextSync = now.Add(syncEvery)
		}
	}
}

// pause waits d (nothing when d <= 0). woken: a poke cut it short; waited: it ran to its end.
func (k *keeper) pause(ctx context.Context, d time.Duration) (woken, waited bool) {
	select {
	case <-k.wake:
		return true, false
	default:
	}
	if d <= 0 {
		return false, true
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu     sync.Mutex
		done   = make(chan struct{})
		exited = make(chan struct{})
	)
	go func() {
		defer close(exited)
		select {
		case <-k.wake:
			mu.Lock()
			woken = true
			mu.Unlock()
			cancel()
		case <-done:
		}
	}()
	err := k.sleep(sctx, d)
	close(done)
	<-exited
	mu.Lock()
	defer mu.Unlock()
	return woken, err == nil && !woken
}
