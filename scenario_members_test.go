package locker_test

import (
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker"
)

// assertView checks the membership addr's node knows.
func assertView(t *testing.T, c *testCluster, addr string, masters []string, w int, version uint64) {
	t.Helper()
	m, _, gotW, gotVersion := c.node(addr).View()
	assert.Equal(t, masters, m, addr)
	assert.Equal(t, w, gotW, addr)
	assert.Equal(t, version, gotVersion, addr)
}

// Reference scenario: adding a master then removing one; every node named
// before and after learns each view, and writes need the new quorum.
func TestAddAndRemoveMaster(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := locker.Config{Masters: names("m", 3)}
		c := newCluster(t, names("m", 3), nil, cfg)
		c.start("m4", cfg) // a client of the three, for now

		require.NoError(t, c.node("m1").SetNodes(t.Context(), names("m", 4), nil))
		synctest.Wait()
		for _, a := range names("m", 4) {
			assertView(t, c, a, names("m", 4), 3, 2)
		}
		res, err := c.node("m4").Lock(t.Context(), "k", []byte("v"), time.Minute)
		require.NoError(t, err)
		assert.Equal(t, 3, res.W)
		assert.GreaterOrEqual(t, res.Commits, 3)

		require.NoError(t, c.node("m4").SetNodes(t.Context(), []string{"m2", "m3", "m4"}, nil))
		synctest.Wait()
		for _, a := range names("m", 4) {
			assertView(t, c, a, []string{"m2", "m3", "m4"}, 2, 3)
		}
		// m1 no longer votes: with m2 gone, m3 and m4 still make a quorum.
		c.kill("m2")
		res, err = c.node("m1").Lock(t.Context(), "k2", []byte("v"), time.Minute)
		require.NoError(t, err)
		assert.Equal(t, locker.Result{W: 2, Votes: 2, Commits: 2, Token: res.Token}, res)
	})
}

// A master that joins holds every key of the old view, with its token,
// before it votes (the reference relied on extensions to spread a key).
func TestNewMasterHoldsTheKeys(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := locker.Config{Masters: names("m", 3)}
		c := newCluster(t, names("m", 3), nil, cfg)
		c.start("m4", cfg)
		lock, err := c.node("m1").Lock(t.Context(), "k", []byte("v"), time.Second)
		require.NoError(t, err)
		require.NoError(t, c.node("m1").SetNodes(t.Context(), names("m", 4), nil))
		synctest.Wait()
		assert.True(t, c.holds("m4", "k", []byte("v")), "installed by the view change")
		assert.True(t, c.node("m4").Voting())

		ext, err := c.node("m4").ExtendLease(t.Context(), "k", []byte("v"), time.Second)
		require.NoError(t, err)
		assert.Equal(t, lock.Token, ext.Token)
		e, err := c.node("m4").Read(t.Context(), "k")
		require.NoError(t, err)
		assert.Equal(t, lock.Token, e.Token)
	})
}

// Reference scenario: promoting a replica to master; it then votes.
func TestPromoteReplica(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, names("m", 3), names("r", 1), locker.Config{})
		require.NoError(t, c.node("m1").SetNodes(t.Context(), append(names("m", 3), "r1"), nil))
		synctest.Wait()
		assertView(t, c, "r1", append(names("m", 3), "r1"), 3, 2)
		c.kill("m3")
		res, err := c.node("r1").Lock(t.Context(), "k", []byte("v"), time.Second)
		require.NoError(t, err, "m1, m2 and r1 make the quorum of three")
		assert.Equal(t, 3, res.Commits)
		assert.True(t, c.holds("r1", "k", []byte("v")))
	})
}

// A node that missed a membership change is refused by the voters, adopts
// their newer view and retries in it.
func TestStaleViewIsRefreshed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := locker.Config{Masters: names("m", 3), RequestTimeout: 200 * time.Millisecond}
		c := newCluster(t, names("m", 3), nil, cfg)
		c.start("m4", cfg)
		c.net.Isolate("m3")
		require.NoError(t, c.node("m1").SetNodes(t.Context(), names("m", 4), nil))
		c.net.Heal()
		assertView(t, c, "m3", names("m", 3), 2, 1)

		res, err := c.node("m3").Lock(t.Context(), "k", []byte("v"), time.Second)
		require.NoError(t, err)
		assert.Equal(t, 3, res.W, "the write ran in the new view")
		assertView(t, c, "m3", names("m", 4), 3, 2)
	})
}

// Invalid memberships are refused before anything is sent.
func TestInvalidMembership(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, names("m", 3), nil, locker.Config{})
		n := c.node("m1")
		assert.ErrorIs(t, n.SetW(t.Context(), 4), locker.ErrInvalid, "W above the masters")
		assert.ErrorIs(t, n.SetW(t.Context(), 1), locker.ErrInvalid, "W below a majority")
		assert.ErrorIs(t, n.SetW(t.Context(), 0), locker.ErrInvalid)
		assert.ErrorIs(t, n.SetNodes(t.Context(), []string{"m1", "m1", "m2"}, nil), locker.ErrInvalid, "duplicate")
		assert.ErrorIs(t, n.SetNodes(t.Context(), []string{"m1", ""}, nil), locker.ErrInvalid, "empty address")
		assert.ErrorIs(t, n.SetNodes(t.Context(), []string{"m1"}, []string{"m1"}), locker.ErrInvalid, "master and replica")
		assert.ErrorIs(t, n.SetNodes(t.Context(), nil, nil), locker.ErrInvalid, "no masters")
		assertView(t, c, "m2", names("m", 3), 2, 1)

		require.NoError(t, n.SetW(t.Context(), 3))
		synctest.Wait()
		assertView(t, c, "m3", names("m", 3), 3, 2)
		_, err := locker.Start(nil, locker.Config{})
		assert.ErrorIs(t, err, locker.ErrInvalid)
	})
}

// SetNodes may change several masters at once: the new ones get the
// state before they vote. Reserved keys are not for users.
func TestSetNodesChangesSeveralMasters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := locker.Config{Masters: names("m", 3)}
		c := newCluster(t, names("m", 3), nil, cfg)
		_, err := c.node("m1").Lock(t.Context(), "k", []byte("v"), time.Minute)
		require.NoError(t, err)
		c.start("x", cfg)
		c.start("y", cfg)
		require.NoError(t, c.node("m1").SetNodes(t.Context(), []string{"m1", "x", "y"}, nil), "replace two masters in one call")
		synctest.Wait()
		assertView(t, c, "x", []string{"m1", "x", "y"}, 2, 2)
		c.kill("m1")
		_, err = c.node("x").Lock(t.Context(), "k", []byte("other"), time.Minute)
		require.ErrorIs(t, err, locker.ErrLocked, "x and y hold the key without m1")
		_, err = c.node("x").Lock(t.Context(), "\x00locker/view", []byte("v"), time.Second)
		assert.ErrorIs(t, err, locker.ErrInvalid)
	})
}

// Concurrent membership changes from two nodes: one wins, the other is
// refused, and every node ends with one and the same view.
func TestConcurrentMembershipChanges(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := locker.Config{Masters: names("m", 3)}
		c := newCluster(t, names("m", 3), nil, cfg)
		c.start("a", cfg)
		c.start("b", cfg)
		errs := make(chan error, 2)
		go func() { errs <- c.node("m1").SetNodes(t.Context(), append(names("m", 3), "a"), nil) }()
		go func() { errs <- c.node("m2").SetNodes(t.Context(), append(names("m", 3), "b"), nil) }()
		e1, e2 := <-errs, <-errs
		synctest.Wait()
		masters, _, w, version := c.node("m1").View()
		if e1 == nil && e2 == nil {
			// The second call started after the first had committed: it
			// changed that view.
			assert.Equal(t, uint64(3), version)
		} else {
			require.True(t, e1 == nil || e2 == nil, "one change wins: %v / %v", e1, e2)
			assert.ErrorIs(t, errors.Join(e1, e2), locker.ErrNoQuorum, "the other is refused")
			assert.Equal(t, uint64(2), version)
		}
		for _, a := range append(names("m", 3), "a", "b") {
			if slices.Contains(masters, a) || slices.Contains(names("m", 3), a) {
				assertView(t, c, a, masters, w, version)
			}
		}
		_, err := c.node("m3").Lock(t.Context(), "k", []byte("v"), time.Second)
		require.NoError(t, err)
	})
}
