// Package ctxsleep is the one sleep that ends early when its context does: the waits of the
// wallet's status polls and background loop, the bank client's retries, and the terminal
// drivers of the tests and the demo.
package ctxsleep

import (
	"context"
	"time"
)

// For waits d, or returns ctx's error as soon as ctx ends (at once when it already has).
func For(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
