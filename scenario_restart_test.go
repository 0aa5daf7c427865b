package locker_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker"
	"github.com/protolocker/locker/cluster/clustertest"
)

// A master that restarts with empty memory does not vote until it has
// rejoined: a view change seals the other masters and moves their state
// into it. Without that, the restarted m2 and m3 (which missed the lock)
// would grant the key while its holder still owns it (weakness 5 of the
// reference).
func TestRestartedMasterRejoins(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := locker.Config{MaxLease: time.Minute, RequestTimeout: 200 * time.Millisecond}
		c := newCluster(t, names("m", 3), nil, cfg)
		c.net.Isolate("m3")
		first, err := c.node("m1").Lock(t.Context(), "k", []byte("holder"), time.Minute)
		require.NoError(t, err, "chosen on m1 and m2 only")

		c.kill("m2")
		cfg.Masters = names("m", 3)
		c.start("m2", cfg)
		synctest.Wait()
		assert.False(t, c.node("m2").Voting(), "it cannot rejoin while m3 is cut off: it needs both others")
		c.net.Isolate("m1") // the holder's side
		_, err = c.node("m3").Lock(t.Context(), "k", []byte("usurper"), time.Minute)
		require.ErrorIs(t, err, locker.ErrNoQuorum, "m2 and m3 must not grant a held key")

		c.net.Heal()
		waitFor(t, func() bool { return c.node("m2").Voting() }, "m2 rejoins once m1 and m3 answer")
		assert.True(t, c.holds("m2", "k", []byte("holder")), "with the state it lost")
		c.net.Isolate("m1")
		_, err = c.node("m3").Lock(t.Context(), "k", []byte("usurper"), time.Minute)
		require.ErrorIs(t, err, locker.ErrLocked, "m2 and m3 now know the holder")
		c.net.Heal()
		next, err := c.node("m1").ExtendLease(t.Context(), "k", []byte("holder"), time.Minute)
		require.NoError(t, err)
		assert.Equal(t, first.Token, next.Token)
	})
}

// When every master restarts at once (no Bootstrap), none can rejoin:
// their memories are gone. They vote again only after LockDelay, when
// every lease they could have granted is over.
func TestFullRestartWaitsOutLockDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := locker.Config{MaxLease: time.Second, RoundTimeout: 50 * time.Millisecond, RequestTimeout: 200 * time.Millisecond}
		c := newCluster(t, names("m", 3), nil, cfg)
		first, err := c.node("m1").Lock(t.Context(), "k", []byte("holder"), time.Second)
		require.NoError(t, err)
		cfg.Masters = names("m", 3)
		for _, m := range names("m", 3) {
			c.kill(m)
		}
		restarted := time.Now()
		for _, m := range names("m", 3) {
			c.start(m, cfg)
		}
		time.Sleep(cfg.MaxLease / 2)
		for _, m := range names("m", 3) {
			assert.False(t, c.node(m).Voting(), "%s votes with an empty memory before LockDelay", m)
		}
		waitFor(t, func() bool { return c.node("m1").Voting() && c.node("m2").Voting() && c.node("m3").Voting() }, "they vote after LockDelay")
		assert.GreaterOrEqual(t, time.Since(restarted), cfg.MaxLease+cfg.RoundTimeout, "not before LockDelay")
		next, err := c.node("m3").Lock(t.Context(), "k", []byte("next"), time.Second)
		require.NoError(t, err, "the holder's lease is over")
		assert.Greater(t, next.Token, first.Token, "tokens continue from the masters' clocks")
	})
}

// A new cluster with Bootstrap serves at once, even with one master of
// three down (finding 6: it waited out the 62 s lock-delay).
func TestBootstrapServesWithAMasterDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := locker.Config{Masters: names("m", 3), Bootstrap: true}
		c := &testCluster{t: t, net: clustertest.New(), cfg: cfg, nodes: map[string]*locker.Node{}}
		t.Cleanup(c.shutdown)
		start := time.Now()
		c.start("m1", cfg)
		c.start("m2", cfg)
		_, err := c.node("m1").Lock(t.Context(), "k", []byte("v"), time.Second)
		require.NoError(t, err)
		assert.Less(t, time.Since(start), time.Second, "served within a second")
	})
}

// waitFor polls cond in fake time for up to a minute.
func waitFor(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		require.True(t, time.Now().Before(deadline), msg)
		time.Sleep(10 * time.Millisecond)
	}
}

// A lease above MaxLease is refused by the node and by the masters (whose
// lock-delay covers MaxLease only); a LockDelay shorter than MaxLease +
// RoundTimeout is refused at Start.
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
