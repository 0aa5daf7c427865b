package concurrency

import (
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker"
)

// checker records holds of a lock: no two at once, tokens rising.
type checker struct {
	mu      sync.Mutex
	holding bool
	holder  int
	last    uint64
	holds   int
}

func (k *checker) enter(t *testing.T, who int, token uint64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.holding {
		t.Errorf("locker %d holds while %d does", who, k.holder)
	}
	if token <= k.last {
		t.Errorf("locker %d holds with token %d, not above the last %d", who, token, k.last)
	}
	k.holding, k.holder, k.last = true, who, token
	k.holds++
}

func (k *checker) exit() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.holding = false
}

// Eight lockers on three nodes: never two holders, tokens strictly rising.
func TestMutexMutualExclusion(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, 3, locker.Config{})
		var k checker
		var wg sync.WaitGroup
		for i := range 8 {
			m := NewMutex(c.session(fmt.Sprintf("m%d", i%3+1), time.Second), "k")
			wg.Go(func() {
				for j := range 10 {
					if !assert.NoError(t, m.Lock(t.Context())) {
						return
					}
					k.enter(t, i, m.Token())
					time.Sleep(time.Duration(1+(i+j)%3) * time.Millisecond)
					k.exit()
					if !assert.NoError(t, m.Unlock(t.Context())) {
						return
					}
				}
			})
		}
		wg.Wait()
		assert.Equal(t, 80, k.holds)
	})
}

// Lockers on one node get the lock in the order they called Lock.
func TestMutexFIFOWithinANode(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, 3, locker.Config{})
		holder := NewMutex(c.session("m1", time.Second), "k")
		require.NoError(t, holder.Lock(t.Context()))
		var mu sync.Mutex
		var order []int
		var wg sync.WaitGroup
		for i := range 5 {
			m := NewMutex(c.session("m1", time.Second), "k")
			wg.Go(func() {
				if !assert.NoError(t, m.Lock(t.Context())) {
					return
				}
				mu.Lock()
				order = append(order, i)
				mu.Unlock()
				time.Sleep(time.Millisecond)
				assert.NoError(t, m.Unlock(t.Context()))
			})
			synctest.Wait() // i waits before i+1 calls Lock
		}
		require.Equal(t, 6, queued(c.node("m1"), "k"))
		require.NoError(t, holder.Unlock(t.Context()))
		wg.Wait()
		assert.Equal(t, []int{0, 1, 2, 3, 4}, order)
		assert.Zero(t, queued(c.node("m1"), "k"), "the queue is gone with its last waiter")
	})
}

// contender locks a Mutex and holds it until told to unlock.
type contender struct {
	m              *Mutex
	locked, unlock chan struct{}
}

func contend(t *testing.T, wg *sync.WaitGroup, m *Mutex) *contender {
	k := &contender{m: m, locked: make(chan struct{}), unlock: make(chan struct{})}
	wg.Go(func() {
		if !assert.NoError(t, m.Lock(t.Context())) {
			return
		}
		close(k.locked)
		<-k.unlock
		assert.NoError(t, m.Unlock(t.Context()))
	})
	return k
}

// nextHolder waits until one of ks holds the lock, and fails the test if
// two do or none does within a second.
func nextHolder(t *testing.T, ks []*contender) *contender {
	t.Helper()
	for end := time.Now().Add(time.Second); time.Now().Before(end); time.Sleep(time.Millisecond) {
		synctest.Wait()
		switch h := holding(ks); len(h) {
		case 0:
		case 1:
			return h[0]
		default:
			t.Fatalf("%d hold the lock at once", len(h))
		}
	}
	t.Fatal("no one holds the lock")
	return nil
}

// holding returns the contenders that hold the lock now.
func holding(ks []*contender) []*contender {
	var h []*contender
	for _, k := range ks {
		select {
		case <-k.unlock:
			continue // released
		default:
		}
		select {
		case <-k.locked:
			h = append(h, k)
		default:
		}
	}
	return h
}

// A release on a node wakes one waiter of that node: one Lock attempt,
// whatever the number of waiters.
func TestReleaseWakesOneLocalWaiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, 3, locker.Config{})
		holder := NewMutex(c.session("m1", time.Second), "k")
		require.NoError(t, holder.Lock(t.Context()))
		var wg sync.WaitGroup
		var ks []*contender
		var ms []*Mutex
		for range 5 {
			m := NewMutex(c.session("m1", time.Second), "k")
			ms = append(ms, m)
			ks = append(ks, contend(t, &wg, m))
			synctest.Wait()
		}
		assert.Zero(t, attempts(ms...), "waiters behind a local holder send nothing")
		require.NoError(t, holder.Unlock(t.Context()))
		for i := range ks {
			h := nextHolder(t, ks)
			assert.Equal(t, uint64(i+1), attempts(ms...), "one attempt per release")
			close(h.unlock)
		}
		wg.Wait()
	})
}

// A release wakes the head waiter of each node, no more: the attempts per
// release are bounded by the nodes, not the waiters.
func TestReleaseWakesOneWaiterPerNode(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, 3, locker.Config{})
		holder := NewMutex(c.session("m1", time.Second), "k")
		require.NoError(t, holder.Lock(t.Context()))
		var wg sync.WaitGroup
		var ks []*contender
		var ms []*Mutex
		for i := range 8 {
			m := NewMutex(c.session(fmt.Sprintf("m%d", 2+i%2), time.Second), "k")
			ms = append(ms, m)
			ks = append(ks, contend(t, &wg, m))
			synctest.Wait()
		}
		before := attempts(ms...)
		assert.Equal(t, uint64(2), before, "each node's head tried once")
		require.NoError(t, holder.Unlock(t.Context()))
		for i := range ks {
			h := nextHolder(t, ks)
			now := attempts(ms...)
			assert.LessOrEqual(t, now-before, uint64(3), "attempts after release %d", i)
			before = now
			close(h.unlock)
		}
		wg.Wait()
	})
}

// delayAll delays every message between two nodes by d each way.
func delayAll(c *testCluster, d time.Duration) {
	c.net.DelayIf(func(from, to string, _ any) time.Duration {
		if from == to {
			return 0
		}
		return d
	})
}

// After Unlock the next waiter holds the lock with one Lock call: two
// rounds (its prepare and accept), plus, on another node, the time the
// release takes to reach it. (Anti-entropy is off: its repairs of a
// lagging master would run their own rounds on the key.)
func TestHandoverAfterUnlock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, 3, locker.Config{ReplicationInterval: time.Hour})
		const oneWay = 10 * time.Millisecond
		delayAll(c, oneWay)
		round := 2 * oneWay
		for _, addr := range []string{"m1", "m2", "m1", "m3"} {
			holder := NewMutex(c.session("m1", time.Second), "k")
			require.NoError(t, holder.Lock(t.Context()))
			next := NewMutex(c.session(addr, time.Second), "k")
			locked := make(chan time.Time, 1)
			go func() {
				assert.NoError(t, next.Lock(t.Context()))
				locked <- time.Now()
			}()
			time.Sleep(4 * round) // its first attempt (refused: held) is over; it waits for the release
			synctest.Wait()
			before := attempts(next)
			require.NoError(t, holder.Unlock(t.Context()))
			released := time.Now()
			took := (<-locked).Sub(released)
			limit := 2 * round
			if addr != "m1" {
				limit += oneWay
			}
			assert.LessOrEqual(t, took, limit, "waiter on %s", addr)
			assert.Equal(t, before+1, attempts(next), "waiter on %s: one Lock call", addr)
			assert.Greater(t, next.Token(), holder.Token())
			require.NoError(t, next.Unlock(t.Context()))
		}
	})
}

// When the holder's node dies, a waiter elsewhere holds the lock once the
// session's TTL has passed, one round later at most, and not before the
// session could have ended on the masters.
func TestHandoverWhenTheHoldersNodeDies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := locker.Config{}
		c := newCluster(t, 3, cfg)
		ttl := time.Second
		holder := NewMutex(c.session("m1", ttl), "k")
		require.NoError(t, holder.Lock(t.Context()))
		next := NewMutex(c.session("m2", ttl), "k")
		locked := make(chan time.Time, 1)
		go func() {
			assert.NoError(t, next.Lock(t.Context()))
			locked <- time.Now()
		}()
		time.Sleep(1500 * time.Millisecond)
		synctest.Wait()
		require.Zero(t, next.Token(), "waits while the holder's session lives")
		c.kill("m1")
		killed := time.Now()
		took := (<-locked).Sub(killed)
		assert.LessOrEqual(t, took, ttl+locker.DefaultConfig().RoundTimeout)
		assert.GreaterOrEqual(t, took, ttl-ttl/3-locker.SessionMargin(ttl), "the last renewal was at most TTL/3 before the kill")
		assert.Greater(t, next.Token(), holder.Token())
		require.NoError(t, next.Unlock(t.Context()))
	})
}

// A waiter of a node stops waiting when its session ends; when a holder's
// session ends, the next waiter on its node takes over.
func TestSessionEndsOnTheQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, 3, locker.Config{})
		ttl := time.Second
		hs := c.session("m1", ttl)
		holder := NewMutex(hs, "k")
		require.NoError(t, holder.Lock(t.Context()))

		ls := c.session("m1", ttl)
		lost := NewMutex(ls, "k")
		lostErr := make(chan error, 1)
		go func() { lostErr <- lost.Lock(t.Context()) }()
		synctest.Wait()
		next := NewMutex(c.session("m1", ttl), "k")
		locked := make(chan error, 1)
		go func() { locked <- next.Lock(t.Context()) }()
		synctest.Wait()

		ls.Orphan()
		err := <-lostErr
		assert.ErrorIs(t, err, locker.ErrSessionLost, "a waiter fails with its session's error")
		assert.Less(t, time.Duration(0), time.Until(ls.Deadline().Add(time.Millisecond)))

		hs.Orphan()
		<-hs.Done()
		select {
		case <-locked:
			t.Fatal("locked before the holder's session could have ended on the masters")
		default:
		}
		require.NoError(t, <-locked)
		assert.Greater(t, next.Token(), holder.Token())
		assert.ErrorIs(t, holder.Unlock(t.Context()), locker.ErrSessionLost)
		assert.Zero(t, holder.Token())
		require.NoError(t, next.Unlock(t.Context()))
	})
}

// Lock fails at once with the session's error once it has ended.
func TestLockFailsFastOnAnEndedSession(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, 3, locker.Config{})
		s := c.session("m1", time.Second)
		m := NewMutex(s, "k")
		require.NoError(t, s.Close(t.Context()))
		start := time.Now()
		assert.ErrorIs(t, m.Lock(t.Context()), locker.ErrSessionClosed)
		assert.ErrorIs(t, m.TryLock(t.Context()), locker.ErrSessionClosed)
		assert.Equal(t, start, time.Now())
		assert.Zero(t, attempts(m))
		assert.ErrorIs(t, m.Unlock(t.Context()), ErrNotHeld)
	})
}

func TestTryLock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, 3, locker.Config{})
		a := NewMutex(c.session("m1", time.Second), "k")
		b := NewMutex(c.session("m2", time.Second), "k")
		local := NewMutex(c.session("m1", time.Second), "k")
		require.NoError(t, a.TryLock(t.Context()))
		assert.NotZero(t, a.Token())
		assert.Equal(t, "k", a.Key())
		assert.ErrorIs(t, b.TryLock(t.Context()), locker.ErrLocked, "held on another node")
		assert.ErrorIs(t, local.TryLock(t.Context()), locker.ErrLocked, "held on this node")
		assert.Equal(t, uint64(2), attempts(a, b, local), "a local holder costs no attempt")
		require.NoError(t, a.Unlock(t.Context()))
		assert.ErrorIs(t, a.Unlock(t.Context()), ErrNotHeld)
		assert.ErrorIs(t, a.Unlock(t.Context()), locker.ErrNotOwner)
		synctest.Wait()
		require.NoError(t, b.TryLock(t.Context()))
		assert.Greater(t, b.Token(), uint64(0))
		require.NoError(t, b.Unlock(t.Context()))
	})
}

// One Mutex used by several goroutines is held by one at a time, as a
// sync.Mutex.
func TestOneMutexSharedByGoroutines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, 3, locker.Config{})
		m := NewMutex(c.session("m1", time.Second), "k")
		require.NoError(t, m.Lock(t.Context()))
		first := m.Token()
		locked := make(chan struct{})
		go func() {
			assert.NoError(t, m.Lock(t.Context()))
			close(locked)
		}()
		synctest.Wait()
		select {
		case <-locked:
			t.Fatal("a held Mutex locked again")
		default:
		}
		require.NoError(t, m.Unlock(t.Context()))
		<-locked
		assert.Greater(t, m.Token(), first)
		require.NoError(t, m.Unlock(t.Context()))
	})
}

func TestMutexBadInput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, 1, locker.Config{})
		s := c.session("m1", time.Second)
		for _, m := range []*Mutex{NewMutex(nil, "k"), NewMutex(s, ""), NewMutex(s, "\x00locker/x"), NewMutex(s, string(make([]byte, 1<<20)))} {
			assert.ErrorIs(t, m.Lock(t.Context()), locker.ErrInvalid)
			assert.ErrorIs(t, m.TryLock(t.Context()), locker.ErrInvalid)
			assert.ErrorIs(t, m.Unlock(t.Context()), locker.ErrInvalid)
			assert.Zero(t, m.Token())
		}
		assert.Zero(t, queued(c.node("m1"), ""))
	})
}

func TestNodeOf(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, 2, locker.Config{})
		n, err := nodeOf(c.session("m2", time.Second))
		require.NoError(t, err)
		assert.Same(t, c.node("m2"), n)
		_, err = nodeOf(nil)
		assert.ErrorIs(t, err, locker.ErrInvalid)
	})
}
