package ctxsleep

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestFor(t *testing.T) {
	if err := For(context.Background(), time.Nanosecond); err != nil {
		t.Fatalf("a sleep that ran out: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// An ended context wins even over a zero wait.
	if err := For(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("an ended context: %v", err)
	}
	// A context ending during the sleep ends it: an hour would time the test out.
	ctx, cancel = context.WithCancel(context.Background())
	go cancel()
	if err := For(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("a context ended during the sleep: %v", err)
	}
}
