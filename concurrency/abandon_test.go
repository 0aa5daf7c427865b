package concurrency

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker"
	"github.com/protolocker/locker/messages"
)

// A Lock whose context ends while its accept is in flight may still take
// effect: it is settled and released behind the caller's back, and the
// node's queue waits for that. (Anti-entropy is off: its repairs of the
// key could beat the attempt to its accept.)
func TestAbandonedAttemptIsSettled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, 3, locker.Config{ReplicationInterval: time.Hour})
		m := NewMutex(c.session("m1", 10*time.Second), "k")
		c.net.DelayIf(func(from, to string, msg any) time.Duration {
			if _, ok := msg.(*messages.Accept); ok && from == "m1" && to != "m1" {
				return 500 * time.Millisecond
			}
			return 0
		})
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		err := m.Lock(ctx)
		c.net.DelayIf(nil) // the accepts sent stay delayed
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Zero(t, m.Token())
		assert.Equal(t, 1, queued(c.node("m1"), "k"), "the abandoned attempt keeps its place while it is settled")

		time.Sleep(2 * time.Second)
		synctest.Wait()
		assert.Zero(t, queued(c.node("m1"), "k"))
		_, err = c.node("m3").Read(t.Context(), "k")
		assert.ErrorIs(t, err, locker.ErrNotFound, "the attempt never holds the key")
		other := NewMutex(c.session("m2", time.Second), "k")
		require.NoError(t, other.TryLock(t.Context()))
		require.NoError(t, other.Unlock(t.Context()))
	})
}
