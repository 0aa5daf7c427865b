package locker_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker"
)

// Reference scenario: one node down. Writes and reads go on with the two
// masters left; the dead master's absence costs no waiting.
func TestOneNodeDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, names("m", 3), nil, locker.Config{})
		c.kill("m2")
		n := c.node("m1")
		start := time.Now()
		_, err := n.Lock(t.Context(), "k", []byte("v"), time.Second)
		require.NoError(t, err)
		e, err := c.node("m3").Read(t.Context(), "k")
		require.NoError(t, err)
		assert.Equal(t, []byte("v"), e.Value)
		_, err = n.Release(t.Context(), "k", []byte("v"))
		require.NoError(t, err)
		assert.Less(t, time.Since(start), time.Millisecond, "no wait on the dead master")

		c.kill("m3")
		_, err = n.Lock(ctxFor(t, 200*time.Millisecond), "k", []byte("v"), time.Second)
		assert.ErrorIs(t, err, locker.ErrNoQuorum, "one master of three is no quorum")
	})
}

// Reference scenario: replicas receive the masters' writes in batches,
// every ReplicationInterval, and replay lock, extend, update and release.
func TestReplicas(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, names("m", 3), names("r", 2), locker.Config{ReplicationInterval: 100 * time.Millisecond})
		n := c.node("m1")
		start := time.Now()
		_, err := n.Lock(t.Context(), "k", []byte("a"), time.Second)
		require.NoError(t, err)
		for _, r := range names("r", 2) {
			v, err := c.node(r).WaitFor(t.Context(), "k")
			require.NoError(t, err)
			assert.Equal(t, []byte("a"), v)
		}
		assert.LessOrEqual(t, time.Since(start), 100*time.Millisecond, "within one replication interval")

		_, err = n.Update(t.Context(), "k", []byte("a"), []byte("b"))
		require.NoError(t, err)
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		assert.True(t, c.holds("r1", "k", []byte("b")))

		// An extension past the first lease reaches the replica too.
		time.Sleep(700 * time.Millisecond)
		_, err = n.ExtendLease(t.Context(), "k", []byte("b"), time.Second)
		require.NoError(t, err)
		time.Sleep(400 * time.Millisecond) // 1.2s after the lock
		synctest.Wait()
		assert.True(t, c.holds("r2", "k", []byte("b")), "extension replayed")

		released := time.Now()
		_, err = c.node("r1").Release(t.Context(), "k", []byte("b"))
		require.NoError(t, err, "a replica coordinates writes too")
		for _, r := range names("r", 2) {
			if err := c.node(r).WaitForRelease(t.Context(), "k"); err != nil {
				require.ErrorIs(t, err, locker.ErrNotFound, "gone already")
			}
			assert.LessOrEqual(t, time.Since(released), 100*time.Millisecond, "within one replication interval")
		}

		// A replica never votes: a quorum still needs two masters.
		_, err = c.node("r1").Lock(t.Context(), "x", []byte("v"), time.Second)
		require.NoError(t, err)
		c.kill("m2")
		c.kill("m3")
		_, err = c.node("r1").Lock(ctxFor(t, 100*time.Millisecond), "y", []byte("v"), time.Second)
		assert.ErrorIs(t, err, locker.ErrNoQuorum)
	})
}

// Reference scenario: wait-for blocks until the key arrives, and gives up
// with the context.
func TestWaitFor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, names("m", 3), names("r", 1), locker.Config{})
		got := make(chan []byte, 1)
		go func() {
			v, err := c.node("r1").WaitFor(t.Context(), "k")
			assert.NoError(t, err)
			got <- v
		}()
		synctest.Wait()
		assert.Empty(t, got, "woke before the key existed")
		_, err := c.node("m1").Lock(t.Context(), "k", []byte("v"), time.Second)
		require.NoError(t, err)
		assert.Equal(t, []byte("v"), <-got)

		_, err = c.node("r1").WaitFor(ctxFor(t, 50*time.Millisecond), "never")
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

// Reference scenario: wait-for-release wakes on release and on expiry,
// and answers ErrNotFound for a key not held.
func TestWaitForRelease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, names("m", 3), nil, locker.Config{})
		n := c.node("m2")
		assert.ErrorIs(t, n.WaitForRelease(t.Context(), "k"), locker.ErrNotFound)

		_, err := c.node("m1").Lock(t.Context(), "k", []byte("v"), time.Minute)
		require.NoError(t, err)
		synctest.Wait()
		n = c.node(c.holders(names("m", 3), "k", []byte("v"))[0]) // a master the lock reached
		done := make(chan error, 1)
		go func() { done <- n.WaitForRelease(t.Context(), "k") }()
		synctest.Wait()
		assert.Empty(t, done)
		_, err = c.node("m1").Release(t.Context(), "k", []byte("v"))
		require.NoError(t, err)
		assert.NoError(t, <-done)

		start := time.Now()
		_, err = c.node("m1").Lock(t.Context(), "k", []byte("v"), 250*time.Millisecond)
		require.NoError(t, err)
		synctest.Wait()
		n = c.node(c.holders(names("m", 3), "k", []byte("v"))[0])
		require.NoError(t, n.WaitForRelease(t.Context(), "k"))
		assert.InDelta(t, 250*time.Millisecond, time.Since(start), float64(tick), "woken by expiry")
	})
}

// Stop ends waits and writes in flight with ErrStopped.
func TestStopEndsCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, names("m", 3), nil, locker.Config{})
		n := c.node("m1")
		done := make(chan error, 2)
		go func() { _, err := n.WaitFor(t.Context(), "k"); done <- err }()
		c.net.Isolate("m1") // a write in flight: it cannot reach W
		go func() { _, err := n.Lock(t.Context(), "w", []byte("v"), time.Minute); done <- err }()
		synctest.Wait()
		n.Stop()
		assert.ErrorIs(t, <-done, locker.ErrStopped)
		assert.ErrorIs(t, <-done, locker.ErrStopped)
	})
}
