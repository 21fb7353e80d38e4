package app

import (
	"context"
	"sync"

	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/wallet"
)

// feed fans the ledger's change reports (wallet.LedgerOptions.OnChange) out to the screens'
// subscriptions (ui.Wallet.Changes). Publishing never blocks the core, whatever the readers do:
// each subscription keeps a bounded, de-duplicated list of what it has not read yet, and past
// the bound one "everything changed" stands for the rest.
type feed struct {
	mu   sync.Mutex
	subs map[*subscription]struct{}
}

// maxPending bounds what one subscription holds unread; a reader that far behind reloads all.
const maxPending = 64

type subscription struct {
	mu      sync.Mutex
	pending []ui.Change
	all     bool          // more piled up than maxPending
	wake    chan struct{} // buffer 1: something is pending
}

// publish hands c to every subscription. It only takes short locks.
func (f *feed) publish(c wallet.Change) {
	uc := ui.Change{ID: c.ID}
	switch c.Kind {
	case wallet.PaymentChanged:
		uc.Kind = ui.PaymentChanged
	case wallet.ConsentChanged:
		uc.Kind = ui.ConsentChanged
	default:
		uc.Kind = ui.EverythingChanged // a kind this build does not know: reload everything
	}
	f.publishUI(uc)
}

// publishAll tells every screen to reload everything (something not in the ledger changed:
// the secret store finished opening).
func (f *feed) publishAll() { f.publishUI(ui.Change{Kind: ui.EverythingChanged}) }

func (f *feed) publishUI(uc ui.Change) {
	f.mu.Lock()
	subs := make([]*subscription, 0, len(f.subs))
	for s := range f.subs {
		subs = append(subs, s)
	}
	f.mu.Unlock()
	for _, s := range subs {
		s.add(uc)
	}
}

func (s *subscription) add(c ui.Change) {
	s.mu.Lock()
	switch {
	case s.all:
	case len(s.pending) >= maxPending || c.Kind == ui.EverythingChanged:
		s.all, s.pending = true, nil
	default:
		dup := false
		for _, p := range s.pending {
			dup = dup || p == c
		}
		if !dup {
			s.pending = append(s.pending, c)
		}
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// take returns what is pending and empties it.
func (s *subscription) take() []ui.Change {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.all {
		s.all, s.pending = false, nil
		return []ui.Change{{Kind: ui.EverythingChanged}}
	}
	out := s.pending
	s.pending = nil
	return out
}

// subscribe starts a subscription that lasts until ctx ends; the channel is then closed.
func (f *feed) subscribe(ctx context.Context) <-chan ui.Change {
	s := &subscription{wake: make(chan struct{}, 1)}
	f.mu.Lock()
	if f.subs == nil {
		f.subs = map[*subscription]struct{}{}
	}
	f.subs[s] = struct{}{}
	f.mu.Unlock()
	out := make(chan ui.Change)
	go func() {
		defer close(out)
		defer func() {
			f.mu.Lock()
			delete(f.subs, s)
			f.mu.Unlock()
		}()
		for {
			select {
			case <-s.wake:
			case <-ctx.Done():
				return
			}
			// A change published after ctx ended is never delivered: select picks at random
			// when the wake and Done are both ready.
			if ctx.Err() != nil {
				return
			}
			for _, c := range s.take() {
				if ctx.Err() != nil {
					return
				}
				select {
				case out <- c:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}

// Changes is the ledger's change feed for the screens (ui.ChangeService).
func (w uiWallet) Changes(ctx context.Context) <-chan ui.Change { return w.a.feed.subscribe(ctx) }
