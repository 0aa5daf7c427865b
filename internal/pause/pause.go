// Package pause holds the waits between retries: a jittered exponential
// backoff, and a sleep that ends early with a context or a stop channel.
package pause

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff is a jittered wait before retry attempt (0 first): between
// half and all of first doubled attempt times, doubling at most
// doublings times.
func Backoff(attempt int, first time.Duration, doublings int) time.Duration {
	d := first << min(max(attempt, 0), doublings)
	return d/2 + rand.N(d/2+1)
}

// Sleep waits d; false if ctx ends or stop closes first (stop may be
// nil).
func Sleep(ctx context.Context, d time.Duration, stop <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-stop:
		return false
	}
}
