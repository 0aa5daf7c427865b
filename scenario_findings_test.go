package locker_test

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker"
	"github.com/protolocker/locker/messages"
)

// Regression tests for the six findings against the first design (issue
// "Store core on ballots"); the simulator's seed corpus (chaos/sim) keeps
// the schedules it found.

// Finding 1: a delayed Release of an earlier tenure with the same value
// deleted a later tenure (ABA). Its accepts carry an older ballot and are
// refused where a newer write was accepted.
func TestFinding1DelayedReleaseDoesNotEndALaterTenure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, names("m", 3), nil, locker.Config{})
		_, err := c.node("m1").Lock(t.Context(), "k", []byte("v"), time.Minute)
		require.NoError(t, err)
		c.net.DelayIf(func(_, to string, msg any) time.Duration {
			if a, ok := msg.(*messages.Accept); ok && to == "m3" && !a.GetState().GetHeld() {
				return 500 * time.Millisecond // the release's accept, to m3
			}
			return 0
		})
		_, err = c.node("m1").Release(t.Context(), "k", []byte("v"))
		require.NoError(t, err, "chosen on m1 and m2")
		c.net.Heal()
		second, err := c.node("m2").Lock(t.Context(), "k", []byte("v"), time.Minute)
		require.NoError(t, err, "a new tenure with the same value")

		time.Sleep(time.Second) // the delayed release reaches m3
		synctest.Wait()
		for _, m := range names("m", 3) {
			e, err := c.node(m).Read(t.Context(), "k")
			require.NoError(t, err, "read from %s", m)
			assert.Equal(t, second.Token, e.Token, "the later tenure holds the key")
			assert.True(t, c.holds(m, "k", []byte("v")), "%s holds it", m)
		}
	})
}

// Finding 2: a token went backwards across kills and restarts. Tokens of a
// key strictly increase whoever coordinates, while masters restart with
// empty memory one at a time.
func TestFinding2TokensIncreaseAcrossRestarts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := locker.Config{Masters: names("m", 5)}
		c := newCluster(t, names("m", 5), nil, cfg)
		var last uint64
		for i := range 10 {
			victim := names("m", 5)[i%5]
			c.kill(victim)
			coord := names("m", 5)[(i+2)%5]
			res, err := c.node(coord).Lock(t.Context(), "k", []byte("v"), time.Minute)
			require.NoError(t, err, "round %d", i)
			assert.Greater(t, res.Token, last, "round %d", i)
			last = res.Token
			_, err = c.node(coord).Release(t.Context(), "k", []byte("v"))
			require.NoError(t, err)
			c.start(victim, cfg)
			waitFor(t, func() bool { return c.node(victim).Voting() }, victim+" rejoins")
		}
	})
}

// Finding 3: two membership changes in a row made a double grant. m3 is
// cut off while A locks on m1 and m2; m4 joins (four masters, W=3), the
// cut heals, m1 leaves (m2, m3, m4; W=2). m3 and m4 must know A's lease.
func TestFinding3TwoMembershipChanges(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := locker.Config{Masters: names("m", 3)}
		c := newCluster(t, names("m", 3), nil, cfg)
		c.start("m4", cfg)
		c.net.Isolate("m3")
		_, err := c.node("m1").Lock(t.Context(), "k", []byte("A"), time.Minute)
		require.NoError(t, err)
		require.NoError(t, c.node("m1").SetNodes(t.Context(), names("m", 4), nil))
		c.net.Heal()
		require.NoError(t, c.node("m2").SetNodes(t.Context(), []string{"m2", "m3", "m4"}, nil))
		c.net.Isolate("m2")
		_, err = c.node("m3").Lock(t.Context(), "k", []byte("B"), time.Minute)
		require.ErrorIs(t, err, locker.ErrLocked, "m3 and m4 hold A's tenure")
	})
}

// Finding 4: committed state did not reach every master; the loser of a
// race saw nothing on its own node, so Lock-then-WaitForRelease spun. Now
// the loser's node holds the winner's value when Lock returns, and every
// master holds it within ReplicationInterval.
func TestFinding4LoserSeesTheWinner(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := locker.Config{ReplicationInterval: 100 * time.Millisecond}
		c := newCluster(t, names("m", 3), names("r", 1), cfg)
		// The winner's accepts and learns never reach m3 directly.
		c.net.CutOneWay("m1", "m3")
		_, err := c.node("m1").Lock(t.Context(), "k", []byte("winner"), time.Minute)
		require.NoError(t, err)
		_, err = c.node("r1").Lock(t.Context(), "k", []byte("loser"), time.Minute)
		require.ErrorIs(t, err, locker.ErrLocked)
		assert.True(t, c.holds("r1", "k", []byte("winner")), "the loser's node knows the winner")

		released := make(chan error, 1)
		go func() { released <- c.node("r1").WaitForRelease(t.Context(), "k") }()
		synctest.Wait()
		select {
		case err := <-released:
			t.Fatalf("WaitForRelease returned at once: %v", err)
		default:
		}
		time.Sleep(cfg.ReplicationInterval + 10*time.Millisecond)
		synctest.Wait()
		assert.True(t, c.holds("m3", "k", []byte("winner")), "anti-entropy brought it to m3")
		_, err = c.node("m1").Release(t.Context(), "k", []byte("winner"))
		require.NoError(t, err)
		require.NoError(t, <-released)
	})
}

// Finding 5: with one of three masters dead, a Lock given a long context
// blocked for 36-45 s, failover took RequestTimeout, and a release against
// two dead masters took the whole context. Now a silent master costs a
// round RoundTimeout at most, failover takes the lease plus a round, and a
// dead quorum fails within two rounds.
func TestFinding5DeadMastersDoNotCostTheContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := locker.Config{Masters: names("m", 3), RoundTimeout: 100 * time.Millisecond}
		c := newCluster(t, names("m", 3), []string{"w1", "w2"}, cfg)
		c.net.Isolate("m3") // silent: no endpoint event

		const lease = time.Second
		_, err := c.node("w1").Lock(ctxFor(t, time.Hour), "job", []byte("w1"), lease)
		require.NoError(t, err)
		c.kill("w1") // the holder crashes
		start := time.Now()
		_, err = c.node("w2").Lock(ctxFor(t, time.Hour), "job", []byte("w2"), lease)
		require.ErrorIs(t, err, locker.ErrLocked)
		require.NoError(t, c.node("w2").WaitForRelease(ctxFor(t, time.Hour), "job"))
		_, err = c.node("w2").Lock(ctxFor(t, time.Hour), "job", []byte("w2"), lease)
		require.NoError(t, err)
		assert.Less(t, time.Since(start), lease+cfg.RoundTimeout, "failover within the lease plus a round")

		c.net.Isolate("m2")
		start = time.Now()
		_, err = c.node("w2").Release(ctxFor(t, time.Hour), "job", []byte("w2"))
		require.True(t, errors.Is(err, locker.ErrNoQuorum), "%v", err)
		assert.LessOrEqual(t, time.Since(start), 2*cfg.RoundTimeout+5*time.Millisecond, "a dead quorum fails in two rounds")
	})
}

// Finding 6 (a new cluster with a master down served only after the
// lock-delay) is TestBootstrapServesWithAMasterDown in
// scenario_restart_test.go.
