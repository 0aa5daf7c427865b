package concurrency

import (
	"context"
	"math/rand/v2"
	"time"
)

// The delays between attempts that failed for want of a quorum.
const (
	minBackoff = 5 * time.Millisecond
	maxBackoff = 250 * time.Millisecond
)

// backoff spaces out retries: each wait doubles the last, from
// minBackoff up to maxBackoff, with jitter. The zero value is ready.
type backoff struct{ d time.Duration }

// wait sleeps for the next delay, or until ctx ends (its error).
func (b *backoff) wait(ctx context.Context) error {
	b.d = min(max(2*b.d, minBackoff), maxBackoff)
	t := time.NewTimer(b.d/2 + rand.N(b.d/2+1))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
