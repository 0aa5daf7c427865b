//go:build !race

package remotetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	locker "github.com/protolocker/locker"
)

// TestLockAndRead locks a key from A and reads it back: locally on A
// (DirtyRead) and through a quorum from B (Read), with the same token.
func TestLockAndRead(t *testing.T) {
	ms := startCluster(t, 3, locker.Config{})
	a, b := ms[0].node, ms[1].node
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	start := time.Now()
	res, err := a.Lock(ctx, "k", []byte("va"), time.Minute)
	t.Logf("first Lock (connections set up on the way): %v, %+v", since(start), res)
	require.NoError(t, err)
	require.Equal(t, 2, res.W)
	require.GreaterOrEqual(t, res.Votes, 2)
	require.GreaterOrEqual(t, res.Commits, 2)
	require.Greater(t, res.Token, uint64(0))

	holders := func() int {
		n := 0
		for _, m := range ms {
			if v, err := m.node.DirtyRead("k"); err == nil && string(v) == "va" {
				n++
			}
		}
		return n
	}

	start = time.Now()
	e, err := b.Read(ctx, "k")
	t.Logf("Read from B: %v", since(start))
	require.NoError(t, err)
	require.Equal(t, []byte("va"), e.Value)
	require.Equal(t, res.Token, e.Token)

	// At least W masters hold it in their tables (the commit goes to the
	// masters that granted in time).
	require.Eventually(t, func() bool { return holders() >= 2 }, 2*time.Second, time.Millisecond)
}

// TestContention has 8 goroutines, spread over the 3 nodes, Lock the same
// free key at once with distinct values: exactly one wins; every loser's
// error matches ErrNoQuorum. Several rounds, one key each.
func TestContention(t *testing.T) {
	ms := startCluster(t, 3, locker.Config{})
	const (
		rounds  = 20
		lockers = 8
	)
	var locked, plain int
	var slowest time.Duration
	for round := range rounds {
		key := fmt.Sprintf("contended-%d", round)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		var (
			wg    sync.WaitGroup
			gate  = make(chan struct{})
			res   [lockers]locker.Result
			errs  [lockers]error
			took  [lockers]time.Duration
			value = func(i int) []byte { return fmt.Appendf(nil, "owner-%d", i) }
		)
		for i := range lockers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				start := time.Now()
				res[i], errs[i] = ms[i%len(ms)].node.Lock(ctx, key, value(i), time.Minute)
				took[i] = time.Since(start)
			}()
		}
		close(gate)
		wg.Wait()
		cancel()

		winner := -1
		for i, err := range errs {
			slowest = max(slowest, took[i])
			if err == nil {
				if winner != -1 {
					t.Fatalf("round %d: two Locks of %q succeeded: %d (%+v) and %d (%+v)", round, key, winner, res[winner], i, res[i])
				}
				winner = i
				continue
			}
			require.ErrorIs(t, err, locker.ErrNoQuorum, "round %d, locker %d", round, i)
			if errors.Is(err, locker.ErrLocked) {
				locked++
			} else {
				plain++
				t.Logf("round %d, locker %d failed without ErrLocked after %v: %v", round, i, took[i].Round(time.Microsecond), err)
			}
		}
		require.NotEqual(t, -1, winner, "round %d: no Lock of %q succeeded: %v", round, key, errs)
		require.Equal(t, 2, res[winner].W)
		require.GreaterOrEqual(t, res[winner].Commits, 2)

		// Every node reads the winner's value and token.
		for _, m := range ms {
			e, err := m.node.Read(context.Background(), key)
			require.NoError(t, err)
			require.Equal(t, value(winner), e.Value)
			require.Equal(t, res[winner].Token, e.Token)
		}
	}
	t.Logf("%d rounds × %d lockers: %d losers with ErrLocked, %d with ErrNoQuorum only; slowest Lock %v; dead letters %d",
		rounds, lockers, locked, plain, slowest.Round(time.Microsecond), deadLetters(ms))
}

// TestDeadMaster kills one of the three systems (its node, its gRPC server
// and its actor system) and locks, reads and releases new keys from a
// survivor, each within 3 s: W = 2 of the 2 live masters.
func TestDeadMaster(t *testing.T) {
	ms := startCluster(t, 3, locker.Config{})
	a, b, dead := ms[0], ms[1], ms[2]

	// Warm up every connection, as a running cluster would have.
	ctx := context.Background()
	for _, m := range ms {
		n, err := m.node.Ping(ctx)
		require.NoError(t, err)
		require.GreaterOrEqual(t, n, 2)
	}
	_, err := a.node.Lock(ctx, "before", []byte("a"), time.Minute)
	require.NoError(t, err)

	start := time.Now()
	deadPeer.Store(true)
	dead.kill()
	t.Logf("killed %s in %v", dead.Addr(), since(start))

	for i := range 3 {
		key := fmt.Sprintf("after-%d", i)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		start := time.Now()
		res, err := a.node.Lock(ctx, key, []byte("a"), time.Minute)
		lockTook := since(start)
		require.NoError(t, err, "Lock %d with a dead master, after %v", i, lockTook)
		require.Equal(t, locker.Result{W: 2, Votes: 2, Commits: 2, Token: res.Token}, res)
		require.Greater(t, res.Token, uint64(0))

		start = time.Now()
		e, err := b.node.Read(ctx, key)
		readTook := since(start)
		require.NoError(t, err)
		require.Equal(t, []byte("a"), e.Value)
		require.Equal(t, res.Token, e.Token)

		start = time.Now()
		rel, err := a.node.Release(ctx, key, []byte("a"))
		relTook := since(start)
		require.NoError(t, err, "Release %d with a dead master, after %v", i, relTook)
		require.Equal(t, 2, rel.Commits)
		cancel()
		t.Logf("with a dead master, round %d: Lock %v, Read from B %v, Release %v", i, lockTook, readTook, relTook)
	}

	// The key locked before the kill is still held: on W masters, which
	// may have included the dead one. One extension by its holder puts
	// it on every live master again, and a quorum read agrees.
	_, err = a.node.ExtendLease(ctx, "before", []byte("a"), time.Minute)
	require.NoError(t, err)
	e, err := b.node.Read(ctx, "before")
	require.NoError(t, err)
	require.Equal(t, []byte("a"), e.Value)
	_, err = a.node.Ping(ctx)
	require.NoError(t, err)
	t.Logf("dead letters: %d", deadLetters(ms))
}

// TestReleaseThenRelock releases A's lock; B then locks the key for
// another value, with a greater token.
func TestReleaseThenRelock(t *testing.T) {
	ms := startCluster(t, 3, locker.Config{})
	a, b, c := ms[0].node, ms[1].node, ms[2].node
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	first, err := a.Lock(ctx, "k", []byte("a"), time.Minute)
	require.NoError(t, err)

	_, err = b.Lock(ctx, "k", []byte("b"), time.Minute)
	require.ErrorIs(t, err, locker.ErrLocked, "B must not take A's key")
	require.ErrorIs(t, err, locker.ErrNoQuorum)

	_, err = b.Release(ctx, "k", []byte("b"))
	require.ErrorIs(t, err, locker.ErrNotOwner, "B must not release A's key")

	rel, err := a.Release(ctx, "k", []byte("a"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, rel.Commits, 2)
	_, err = a.Read(ctx, "k")
	require.ErrorIs(t, err, locker.ErrNotFound)

	second, err := b.Lock(ctx, "k", []byte("b"), time.Minute)
	require.NoError(t, err)
	require.Greater(t, second.Token, first.Token)

	e, err := c.Read(ctx, "k")
	require.NoError(t, err)
	require.Equal(t, []byte("b"), e.Value)
	require.Equal(t, second.Token, e.Token)

	// B releases its key; releasing it again, now that it is gone,
	// succeeds too.
	_, err = b.Release(ctx, "k", []byte("b"))
	require.NoError(t, err)
	_, err = b.Release(ctx, "k", []byte("b"))
	require.NoError(t, err)
}

// TestExtendLease locks a key for 300ms and extends it twice, by 500ms
// at 100ms and at 300ms: it is still held at 600ms, twice its first
// lease, while a key locked alongside and not extended is gone. Then the
// extended key expires too.
func TestExtendLease(t *testing.T) {
	ms := startCluster(t, 3, locker.Config{})
	a, b := ms[0].node, ms[1].node
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	const (
		lease    = 300 * time.Millisecond
		extended = 500 * time.Millisecond
		checkAt  = 600 * time.Millisecond
	)

	t0 := time.Now()
	_, err := a.Lock(ctx, "extended", []byte("a"), lease)
	require.NoError(t, err)
	_, err = a.Lock(ctx, "control", []byte("a"), lease)
	require.NoError(t, err)

	// An extension sets the expiry to its receipt on each master plus
	// its lease: at least sent + extended. The first one must land
	// before the first lease ends, or no master holds the key any more.
	var (
		lastSent time.Time
		history  []string // for failure messages
	)
	for _, at := range []time.Duration{100 * time.Millisecond, 300 * time.Millisecond} {
		time.Sleep(time.Until(t0.Add(at)))
		lastSent = time.Now()
		res, err := a.ExtendLease(ctx, "extended", []byte("a"), extended)
		history = append(history, fmt.Sprintf("extension sent at %v took %v: %+v", lastSent.Sub(t0), since(lastSent), res))
		require.NoError(t, err, "extension sent at %v", lastSent.Sub(t0))
		require.GreaterOrEqual(t, res.Commits, 2)
	}

	// A sleep waiting for the first lease to pass (twice over).
	time.Sleep(time.Until(t0.Add(checkAt)))
	readSent := time.Now()
	require.True(t, readSent.Before(lastSent.Add(extended)),
		"the test ran late: read sent %v after the last extension", readSent.Sub(lastSent))
	e, err := b.Read(ctx, "extended")
	history = append(history, fmt.Sprintf("read sent at %v took %v", readSent.Sub(t0), since(readSent)))
	if err != nil {
		for i, m := range ms {
			v, err := m.node.DirtyRead("extended")
			history = append(history, fmt.Sprintf("node %d DirtyRead now: %q %v, stats %+v", i, v, err, m.node.Stats()))
		}
	}
	require.NoError(t, err, "extended key gone at %v:\n%s", readSent.Sub(t0), strings.Join(history, "\n"))
	require.Equal(t, []byte("a"), e.Value)
	v, err := a.DirtyRead("extended")
	require.NoError(t, err)
	require.Equal(t, []byte("a"), v)

	// The control key, not extended, is gone on every master; the
	// extended one follows once its last lease has passed.
	for _, key := range []string{"control", "extended"} {
		require.Eventually(t, func() bool {
			for _, m := range ms {
				if _, err := m.node.DirtyRead(key); !errors.Is(err, locker.ErrNotFound) {
					return false
				}
			}
			_, err := b.Read(ctx, key)
			return errors.Is(err, locker.ErrNotFound)
		}, 2*time.Second, time.Millisecond, "%s still held", key)
		t.Logf("%s gone everywhere at %v", key, since(t0))
	}
	require.Greater(t, time.Since(lastSent), extended, "the extended key expired before its last lease ended")
}
