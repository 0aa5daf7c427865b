package locker_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker"
)

// A master that restarts with empty memory does not vote until every
// lease it may have granted is over (its lock-delay), and takes its
// peers' token counters first, so tokens never go backwards. Without the
// delay, the restarted m2 and m3 (which missed the lock) would grant the
// key while its holder still owns it.
func TestRestartedMasterWaitsOutLockDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := locker.Config{MaxLease: time.Second, PromiseTTL: 100 * time.Millisecond, RequestTimeout: 200 * time.Millisecond}
		c := newCluster(t, names("m", 3), nil, cfg)
		c.net.Isolate("m3")
		first, err := c.node("m1").Lock(t.Context(), "k", []byte("holder"), time.Second)
		require.NoError(t, err, "committed on m1 and m2 only")
		c.net.Heal()

		c.kill("m2")
		cfg.Masters = names("m", 3)
		restarted := time.Now()
		c.start("m2", cfg)
		synctest.Wait()
		assert.False(t, c.node("m2").Voting(), "a restarted master waits out its lock-delay")

		c.net.Isolate("m1") // the holder's side
		_, err = c.node("m3").Lock(t.Context(), "k", []byte("usurper"), time.Second)
		require.ErrorIs(t, err, locker.ErrNoQuorum, "m2 and m3 must not grant a held key")
		_, err = c.node("m3").Read(t.Context(), "k")
		require.ErrorIs(t, err, locker.ErrNoQuorum, "nor answer a read for it")

		time.Sleep(time.Until(restarted.Add(cfg.MaxLease + cfg.PromiseTTL)))
		synctest.Wait()
		assert.True(t, c.node("m2").Voting(), "voting after MaxLease + PromiseTTL")
		next, err := c.node("m3").Lock(t.Context(), "k", []byte("usurper"), time.Second)
		require.NoError(t, err, "the holder's lease is over")
		assert.Greater(t, next.Token, first.Token, "m2 recovered the token counter it lost")
	})
}

// A lease above MaxLease is refused by the coordinator and by the masters
// (whose lock-delay covers MaxLease only); a LockDelay shorter than
// MaxLease + PromiseTTL is refused at Start.
func TestMaxLeaseIsEnforced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, names("m", 3), nil, locker.Config{MaxLease: time.Second})
		_, err := c.node("m1").Lock(t.Context(), "k", []byte("v"), 2*time.Second)
		assert.ErrorIs(t, err, locker.ErrInvalid)

		// A coordinator configured with a longer bound meets the masters'.
		cfg := locker.Config{Masters: names("m", 3), MaxLease: time.Minute}
		c.start("client", cfg)
		_, err = c.node("client").Lock(t.Context(), "k", []byte("v"), 2*time.Second)
		assert.ErrorIs(t, err, locker.ErrNoQuorum)
		_, err = c.node("client").Lock(t.Context(), "k", []byte("v"), time.Second)
		assert.NoError(t, err)

		sys, err := c.net.NewSystem("bad")
		require.NoError(t, err)
		_, err = locker.Start(sys, locker.Config{MaxLease: time.Minute, LockDelay: time.Second})
		assert.ErrorIs(t, err, locker.ErrInvalid)
	})
}
