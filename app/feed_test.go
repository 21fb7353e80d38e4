package app

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/wallet"
)

// TestFeedNeverBlocksTheCore: with a reader that does not read, publishing returns at once;
// repeats are merged, and past the bound the reader gets one EverythingChanged instead of the
// pile. Ending the context closes the channel.
func TestFeedNeverBlocksTheCore(t *testing.T) {
	var f feed
	ctx, cancel := context.WithCancel(context.Background())
	ch := f.subscribe(ctx)
	f.publish(wallet.Change{Kind: wallet.PaymentChanged, ID: "1"})
	if c := <-ch; c != (ui.Change{Kind: ui.PaymentChanged, ID: "1"}) {
		t.Fatalf("first change: %+v", c)
	}
	// Nobody reads now: these must not block (the test would hang), and must merge.
	for range 3 {
		f.publish(wallet.Change{Kind: wallet.ConsentChanged, ID: "c"})
	}
	f.publish(wallet.Change{Kind: wallet.PaymentChanged, ID: "2"})
	// The reader's goroutine may already hold the first "c" (taken when it was published, and
	// waiting to be read); the other two merge with what is pending. So: at most two "c", then
	// the payment (three would mean nothing was merged).
	var got []ui.Change
	for len(got) == 0 || got[len(got)-1].Kind != ui.PaymentChanged {
		got = append(got, <-ch)
	}
	for _, c := range got[:len(got)-1] {
		if c != (ui.Change{Kind: ui.ConsentChanged, ID: "c"}) {
			t.Fatalf("merged changes: %+v", got)
		}
	}
	if len(got) < 2 || len(got) > 3 || got[len(got)-1] != (ui.Change{Kind: ui.PaymentChanged, ID: "2"}) {
		t.Fatalf("merged changes: %+v", got)
	}
	for i := range 10 * maxPending {
		f.publish(wallet.Change{Kind: wallet.PaymentChanged, ID: fmt.Sprint(i)})
	}
	// The reader may have taken the first few before the pile passed the bound; after that,
	// one EverythingChanged stands for the rest.
	for n := 0; ; n++ {
		c := <-ch
		if c.Kind == ui.EverythingChanged {
			break
		}
		if n > maxPending {
			t.Fatalf("the reader got more than %d itemised changes", maxPending)
		}
	}
	// After the context ends, nothing published is delivered and the channel closes. (A change
	// already on its way when cancel ran may still arrive: the send and the cancel race.)
	cancel()
	f.publish(wallet.Change{Kind: wallet.PaymentChanged, ID: "late"})
	timeout := time.After(10 * time.Second)
	for open := true; open; {
		select {
		case c, ok := <-ch:
			if c.ID == "late" {
				t.Fatal("a change published after the context ended was delivered")
			}
			open = ok
		case <-timeout:
			t.Fatal("the channel stayed open after the context ended")
		}
	}
	f.publish(wallet.Change{Kind: wallet.PaymentChanged, ID: "later"}) // no subscriber left: nothing to do
}
