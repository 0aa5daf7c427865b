package locker_test

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker"
)

// tick is the lease-holder's expiry tick: deadlines are rounded up to it.
const tick = time.Millisecond

// A 300 ms lease is gone from every node within 300 ms plus one tick, and
// not a moment before its deadline.
func TestMillisecondExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, names("m", 3), names("r", 1), locker.Config{ReplicationInterval: 10 * time.Millisecond})
		start := time.Now()
		_, err := c.node("m1").Lock(t.Context(), "k", []byte("v"), 300*time.Millisecond)
		require.NoError(t, err)
		_, err = c.node("r1").WaitFor(t.Context(), "k")
		require.NoError(t, err)
		synctest.Wait()
		holders := c.holders(names("m", 3), "k", []byte("v"))
		require.Equal(t, names("m", 3), holders, "every master learned it")

		time.Sleep(300*time.Millisecond - time.Since(start) - time.Nanosecond)
		synctest.Wait()
		assert.Equal(t, holders, c.holders(names("m", 3), "k", []byte("v")), "none expired early")
		time.Sleep(tick + time.Nanosecond)
		synctest.Wait()
		for _, a := range []string{"m1", "m2", "m3", "r1"} {
			assert.True(t, c.absent(a, "k"), "%s still holds the key after 300ms+tick", a)
		}
	})
}

// Reference scenario: expiry of several keys, each at its own deadline,
// on every master.
func TestExpiryOfSeveralKeys(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, names("m", 3), nil, locker.Config{})
		n := c.node("m2")
		start := time.Now()
		for k, d := range map[string]time.Duration{"a": 100 * time.Millisecond, "b": 250 * time.Millisecond, "c": time.Second} {
			_, err := n.Lock(t.Context(), k, []byte(k), d)
			require.NoError(t, err)
		}
		for _, step := range []struct {
			at   time.Duration
			held string
		}{{50 * time.Millisecond, "abc"}, {150 * time.Millisecond, "bc"}, {300 * time.Millisecond, "c"}, {1100 * time.Millisecond, ""}} {
			time.Sleep(time.Until(start.Add(step.at)))
			synctest.Wait()
			for _, k := range []string{"a", "b", "c"} {
				held := c.holders(names("m", 3), k, []byte(k))
				if strings.Contains(step.held, k) {
					assert.GreaterOrEqual(t, len(held), 2, "%s on a quorum at %v", k, step.at)
					assert.Contains(t, held, "m2", "%s on its coordinator at %v", k, step.at)
				} else {
					assert.Empty(t, held, "%s gone everywhere at %v", k, step.at)
				}
			}
		}
	})
}

// Reference scenario: lease extension keeps a key past its first lease;
// without more extensions it then expires.
func TestLeaseExtension(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, names("m", 3), nil, locker.Config{})
		n := c.node("m1")
		lock, err := n.Lock(t.Context(), "k", []byte("v"), 300*time.Millisecond)
		require.NoError(t, err)
		for range 3 {
			time.Sleep(200 * time.Millisecond)
			ext, err := n.ExtendLease(t.Context(), "k", []byte("v"), 300*time.Millisecond)
			require.NoError(t, err)
			assert.Equal(t, lock.Token, ext.Token, "an extension keeps the token")
		}
		time.Sleep(299 * time.Millisecond)
		synctest.Wait()
		assert.True(t, c.holds("m3", "k", []byte("v")), "held 899ms after a 300ms lock")
		time.Sleep(2 * tick)
		synctest.Wait()
		assert.True(t, c.absent("m3", "k"))

		_, err = n.ExtendLease(t.Context(), "k", []byte("v"), time.Second)
		assert.ErrorIs(t, err, locker.ErrNotFound, "an expired lease cannot be extended")
		assert.ErrorIs(t, err, locker.ErrNoQuorum)
		_, err = n.Lock(t.Context(), "k", []byte("other"), time.Second)
		require.NoError(t, err)
		_, err = n.ExtendLease(t.Context(), "k", []byte("v"), time.Second)
		assert.ErrorIs(t, err, locker.ErrNotOwner)
	})
}

// Fencing tokens increase across lock, expiry and release, whichever node
// coordinates.
func TestFencingTokensIncrease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, names("m", 3), nil, locker.Config{})
		var last uint64
		for i, a := range []string{"m1", "m2", "m3", "m1", "m3", "m2"} {
			res, err := c.node(a).Lock(t.Context(), "k", []byte(a), 100*time.Millisecond)
			require.NoError(t, err)
			assert.Greater(t, res.Token, last, "lock %d from %s", i, a)
			last = res.Token
			if i%2 == 0 {
				time.Sleep(100*time.Millisecond + tick)
				synctest.Wait()
			} else {
				_, err = c.node(a).Release(t.Context(), "k", []byte(a))
				require.NoError(t, err)
			}
		}
		// Other keys move the counters too; tokens stay increasing per key.
		_, err := c.node("m2").Lock(t.Context(), "other", []byte("x"), time.Second)
		require.NoError(t, err)
		res, err := c.node("m3").Lock(t.Context(), "k", []byte("again"), time.Second)
		require.NoError(t, err)
		assert.Greater(t, res.Token, last)
		e, err := c.node("m1").Read(t.Context(), "k")
		require.NoError(t, err)
		assert.Equal(t, locker.Entry{Value: []byte("again"), Token: res.Token}, e)
	})
}
