package locker_test

import (
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker"
)

// Reference scenario: the results {W, Votes, Commits} of every operation,
// with all masters up and then with one killed.
func TestResultsWithAMasterKilled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, names("m", 3), nil, locker.Config{})
		ctx := ctxFor(t, time.Second)
		n := c.node("m1")
		res, err := n.Lock(ctx, "k", []byte("v"), time.Minute)
		require.NoError(t, err)
		assert.Equal(t, 2, res.W)
		assert.GreaterOrEqual(t, res.Votes, 2)
		assert.GreaterOrEqual(t, res.Commits, 2)
		assert.Positive(t, res.Token)

		c.kill("m3")
		for _, op := range []func() (locker.Result, error){
			func() (locker.Result, error) { return n.Lock(ctx, "k2", []byte("v"), time.Minute) },
			func() (locker.Result, error) { return n.ExtendLease(ctx, "k2", []byte("v"), time.Minute) },
			func() (locker.Result, error) { return n.Update(ctx, "k2", []byte("v"), []byte("w")) },
			func() (locker.Result, error) { return n.Release(ctx, "k2", []byte("w")) },
		} {
			res, err := op()
			require.NoError(t, err)
			assert.Equal(t, locker.Result{W: 2, Votes: 2, Commits: 2, Token: res.Token}, res)
		}
	})
}

// Reference scenario: two lockers of one key at once; one wins, the
// other is told the key is locked.
func TestTwoConcurrentLockers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, names("m", 3), nil, locker.Config{})
		ctx := ctxFor(t, time.Second)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, a := range []string{"m1", "m2"} {
			wg.Go(func() {
				_, errs[i] = c.node(a).Lock(ctx, "k", []byte(a), time.Minute)
			})
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			if err == nil {
				wins++
				continue
			}
			assert.ErrorIs(t, err, locker.ErrNoQuorum)
			assert.ErrorIs(t, err, locker.ErrLocked)
		}
		assert.Equal(t, 1, wins, "errors: %v", errs)
	})
}

// Reference scenario: no quorum is possible; the write fails with
// ErrNoQuorum within two rounds (not the context's whole time), and
// leaves nothing behind.
func TestNoQuorumPossible(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, names("m", 3), nil, locker.Config{RequestTimeout: 500 * time.Millisecond})
		c.net.Isolate("m2")
		c.net.Isolate("m3")
		start := time.Now()
		_, err := c.node("m1").Lock(t.Context(), "k", []byte("v"), time.Minute)
		require.ErrorIs(t, err, locker.ErrNoQuorum)
		assert.LessOrEqual(t, time.Since(start), 2*locker.DefaultConfig().RoundTimeout+10*time.Millisecond,
			"two silent rounds end the call, well within RequestTimeout")
		synctest.Wait()
		assert.True(t, c.absent("m1", "k"))

		// Healed, the key is free: nothing of the failed call took effect.
		c.net.Heal()
		_, err = c.node("m1").Lock(t.Context(), "k", []byte("v"), time.Minute)
		require.NoError(t, err)
	})
}

// Reference scenario: release deletes the key on masters (and frees it for
// others); a release by another value is refused; a second release is
// harmless.
func TestRelease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, names("m", 3), nil, locker.Config{})
		ctx := ctxFor(t, time.Second)
		_, err := c.node("m1").Lock(ctx, "k", []byte("a"), time.Minute)
		require.NoError(t, err)
		_, err = c.node("m2").Release(ctx, "k", []byte("b"))
		require.ErrorIs(t, err, locker.ErrNotOwner)
		require.ErrorIs(t, err, locker.ErrNoQuorum)

		_, err = c.node("m2").Release(ctx, "k", []byte("a"))
		require.NoError(t, err)
		synctest.Wait()
		for _, m := range names("m", 3) {
			assert.True(t, c.absent(m, "k"), m)
		}
		_, err = c.node("m2").Release(ctx, "k", []byte("a"))
		require.NoError(t, err, "releasing a released key is harmless")
		_, err = c.node("m3").Lock(ctx, "k", []byte("c"), time.Minute)
		require.NoError(t, err)
	})
}

// Reference scenario: Update swaps the value, keeps the expiry and issues
// a new token; a wrong expected value or an absent key fails.
func TestUpdate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, names("m", 3), nil, locker.Config{})
		ctx := ctxFor(t, time.Second)
		n := c.node("m1")
		first, err := n.Lock(ctx, "k", []byte("a"), 300*time.Millisecond)
		require.NoError(t, err)
		upd, err := c.node("m2").Update(ctx, "k", []byte("a"), []byte("b"))
		require.NoError(t, err)
		assert.Greater(t, upd.Token, first.Token)
		synctest.Wait()
		assert.GreaterOrEqual(t, len(c.holders(names("m", 3), "k", []byte("b"))), 2, "on a quorum")
		assert.Less(t, len(c.holders(names("m", 3), "k", []byte("a"))), 2, "the old value is on no quorum")
		_, err = n.Update(ctx, "k", []byte("a"), []byte("c"))
		assert.ErrorIs(t, err, locker.ErrNotOwner)
		_, err = n.Update(ctx, "nothing", []byte("a"), []byte("c"))
		assert.ErrorIs(t, err, locker.ErrNotFound)
		assert.ErrorIs(t, err, locker.ErrNoQuorum)

		// The update kept the lock's expiry.
		time.Sleep(300*time.Millisecond + time.Millisecond)
		synctest.Wait()
		assert.True(t, c.absent("m1", "k"))
	})
}

// Every bad argument is an ErrInvalid before anything is sent.
func TestInvalidArguments(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, names("m", 1), nil, locker.Config{MaxLease: time.Minute})
		n, ctx := c.node("m1"), t.Context()
		for name, call := range map[string]func() error{
			"empty key":      func() error { _, err := n.Lock(ctx, "", []byte("v"), time.Second); return err },
			"nil value":      func() error { _, err := n.Lock(ctx, "k", nil, time.Second); return err },
			"zero lease":     func() error { _, err := n.Lock(ctx, "k", []byte("v"), 0); return err },
			"negative lease": func() error { _, err := n.ExtendLease(ctx, "k", []byte("v"), -1); return err },
			"lease too long": func() error { _, err := n.Lock(ctx, "k", []byte("v"), time.Hour); return err },
			"nil expected":   func() error { _, err := n.Update(ctx, "k", nil, []byte("v")); return err },
			"release no key": func() error { _, err := n.Release(ctx, "", []byte("v")); return err },
			"read no key":    func() error { _, err := n.Read(ctx, ""); return err },
			"wait no key":    func() error { _, err := n.WaitFor(ctx, ""); return err },
		} {
			assert.ErrorIs(t, call(), locker.ErrInvalid, name)
		}
		_, err := n.DirtyRead("")
		assert.True(t, errors.Is(err, locker.ErrNotFound))
	})
}
