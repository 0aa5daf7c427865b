package lease

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker/messages"
)

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestStoreGet(t *testing.T) {
	s := NewStore()
	_, ok := s.Get("k")
	assert.False(t, ok)
	e := &Entry{Value: []byte("v"), Token: 1, ExpiresAt: 10}
	s.setKey("k", e)
	got, ok := s.Get("k")
	require.True(t, ok)
	assert.Same(t, e, got)
	s.delKey("k")
	_, ok = s.Get("k")
	assert.False(t, ok)
}

func TestStoreGetDoesNotAllocate(t *testing.T) {
	s := NewStore()
	s.setKey("present", &Entry{Value: []byte("v")})
	assert.Zero(t, testing.AllocsPerRun(100, func() { s.Get("present") }), "hit")
	assert.Zero(t, testing.AllocsPerRun(100, func() { s.Get("absent") }), "miss")
}

func TestStoreRange(t *testing.T) {
	s := NewStore()
	for i := range 5 {
		s.setKey(fmt.Sprint(i), &Entry{Token: uint64(i)})
	}
	seen := map[string]uint64{}
	s.Range(func(k string, e *Entry) bool { seen[k] = e.Token; return true })
	assert.Equal(t, map[string]uint64{"0": 0, "1": 1, "2": 2, "3": 3, "4": 4}, seen)
	n := 0
	s.Range(func(string, *Entry) bool { n++; return n < 2 })
	assert.Equal(t, 2, n, "Range stops when f returns false")
}

// lock accepts a held state of value at ballot b with the given lease, as
// a Lock (or Update) would: token and origin are b.
func lock(t testing.TB, a *Acceptor, now int64, key, value string, b uint64, lease int64) {
	t.Helper()
	mustAccept(t, a, now, key, b, held(value, b, b, lease))
}

func TestWaitPresentReturnsEntryIfPresent(t *testing.T) {
	a := newAcceptor(t)
	lock(t, a, 0, "k", "v", 1, 1000)
	e, ch, cancel := a.Store().WaitPresent("k")
	require.NotNil(t, e)
	assert.Equal(t, "v", string(e.Value))
	assert.Nil(t, ch)
	require.NotNil(t, cancel)
	cancel() // harmless
	assert.Equal(t, 0, a.Store().Waiters())
}

func TestWaitPresentWokenOnlyByAcceptOfHeldStateOfItsKey(t *testing.T) {
	a := newAcceptor(t)
	s := a.Store()
	e, ch, cancel := s.WaitPresent("k")
	defer cancel()
	require.Nil(t, e)
	require.NotNil(t, ch)
	assert.Equal(t, 1, s.Waiters())
	assert.False(t, isClosed(ch))

	lock(t, a, 0, "other", "v", 1, 1000) // another key: no wake-up
	assert.False(t, isClosed(ch))
	require.Equal(t, statusOK, prepare(t, a, 0, "k", 2).GetStatus()) // a promise publishes nothing
	assert.False(t, isClosed(ch))
	mustAccept(t, a, 0, "k", 2, free(2)) // nor does a free state
	assert.False(t, isClosed(ch))
	require.Equal(t, statusRejected, accept(t, a, 0, "k", 1, held("v", 1, 1, 1000), false).GetStatus())
	assert.False(t, isClosed(ch), "nor a refused accept")

	lock(t, a, 0, "k", "v", 3, 1000)
	assert.True(t, isClosed(ch))
	assert.Equal(t, 0, s.Waiters())
	cancel() // after the wake-up: a no-op that must not drive the count negative
	assert.Equal(t, 0, s.Waiters())
}

func TestWaitPresentWokenByLearnSyncAndInstall(t *testing.T) {
	a := newAcceptor(t)
	s := a.Store()
	_, ch1, c1 := s.WaitPresent("a")
	defer c1()
	_, ch2, c2 := s.WaitPresent("b")
	defer c2()
	_, ch3, c3 := s.WaitPresent("c")
	defer c3()
	learn(t, a, 0, learned("a", 3, held("v", 3, 3, 10), true))
	assert.True(t, isClosed(ch1))
	assert.False(t, isClosed(ch2))
	a.ApplySync(0, "m2", syncReply(a, 1, learned("b", 4, held("v", 4, 4, 10), false)))
	assert.True(t, isClosed(ch2))
	assert.False(t, isClosed(ch3))
	install(t, a, 0, &messages.Install{Version: 2, Entries: []*messages.DumpEntry{
		{Key: "c", Promised: 5, Accepted: 5, State: held("v", 5, 5, 10)}}})
	assert.True(t, isClosed(ch3))
	assert.Equal(t, 0, s.Waiters())
}

func TestWaitPresentSeveralWaitersAllWoken(t *testing.T) {
	a := newAcceptor(t)
	s := a.Store()
	var chs []<-chan struct{}
	for range 5 {
		_, ch, cancel := s.WaitPresent("k")
		defer cancel()
		chs = append(chs, ch)
	}
	assert.Equal(t, 5, s.Waiters())
	lock(t, a, 0, "k", "v", 1, 1000)
	for i, ch := range chs {
		assert.True(t, isClosed(ch), "waiter %d", i)
	}
	assert.Equal(t, 0, s.Waiters())
}

func TestWaitPresentCancel(t *testing.T) {
	a := newAcceptor(t)
	s := a.Store()
	_, ch1, cancel1 := s.WaitPresent("k")
	_, ch2, cancel2 := s.WaitPresent("k")
	_, ch3, cancel3 := s.WaitPresent("j")
	assert.Equal(t, 3, s.Waiters())
	cancel1()
	assert.Equal(t, 2, s.Waiters())
	cancel1() // twice: no double count
	assert.Equal(t, 2, s.Waiters())
	cancel3()
	assert.Equal(t, 1, s.Waiters())
	assert.NotContains(t, s.present, "j", "an emptied waiter list is dropped")

	lock(t, a, 0, "k", "v", 1, 1000)
	assert.False(t, isClosed(ch1), "a cancelled waiter is not woken")
	assert.True(t, isClosed(ch2))
	lock(t, a, 0, "j", "v", 2, 1000)
	assert.False(t, isClosed(ch3))
	cancel2()
	assert.Equal(t, 0, s.Waiters())
	assert.Empty(t, s.present)
	assert.Empty(t, s.gone)
}

func TestWaitPresentNotWokenByDelete(t *testing.T) {
	a := newAcceptor(t)
	s := a.Store()
	_, ch, cancel := s.WaitPresent("k")
	defer cancel()
	mustAccept(t, a, 0, "k", 1, free(1)) // deletes an absent key
	s.delKey("k")                        // a raw delete of an absent key
	assert.False(t, isClosed(ch))
	assert.Equal(t, 1, s.Waiters())
}

func TestWaitGoneAbsent(t *testing.T) {
	s := newAcceptor(t).Store()
	held, ch, cancel := s.WaitGone("k")
	assert.False(t, held)
	assert.Nil(t, ch)
	require.NotNil(t, cancel)
	cancel()
	assert.Equal(t, 0, s.Waiters())
}

func TestWaitGoneWokenOnlyByAcceptOfFreeState(t *testing.T) {
	a := newAcceptor(t)
	s := a.Store()
	lock(t, a, 0, "k", "v", 1, 1000)
	isHeld, ch, cancel := s.WaitGone("k")
	defer cancel()
	require.True(t, isHeld)
	require.NotNil(t, ch)
	assert.Equal(t, 1, s.Waiters())

	// Writes that keep the key held do not wake it.
	mustAccept(t, a, 10, "k", 2, held("v", 1, 2, 1000)) // extend
	lock(t, a, 10, "k", "w", 3, 500)                    // update
	require.Equal(t, statusOK, prepare(t, a, 10, "k", 4).GetStatus())
	require.Equal(t, statusRejected, accept(t, a, 10, "k", 2, free(2), false).GetStatus(), "a stale release")
	assert.Equal(t, 0, a.Expire(509))
	assert.False(t, isClosed(ch))

	mustAccept(t, a, 10, "k", 4, free(4)) // release
	assert.True(t, isClosed(ch))
	assert.Equal(t, 0, s.Waiters())
}

func TestWaitGoneWokenOnExpire(t *testing.T) {
	a := newAcceptor(t)
	s := a.Store()
	lock(t, a, 0, "k", "v", 1, 1000)
	_, ch, cancel := s.WaitGone("k")
	defer cancel()
	a.Expire(999)
	assert.False(t, isClosed(ch))
	a.Expire(1000)
	assert.True(t, isClosed(ch))
	assert.Equal(t, 0, s.Waiters())
}

func TestWaitGoneWokenOnLearnedRelease(t *testing.T) {
	a := newAcceptor(t)
	s := a.Store()
	learn(t, a, 0, learned("k", 3, held("v", 3, 3, 1000), true))
	_, ch, cancel := s.WaitGone("k")
	defer cancel()
	learn(t, a, 0, learned("k", 4, free(4), true))
	assert.True(t, isClosed(ch))
}

func TestWaitGoneCancel(t *testing.T) {
	a := newAcceptor(t)
	s := a.Store()
	lock(t, a, 0, "k", "v", 1, 1000)
	_, ch, cancel := s.WaitGone("k")
	assert.Equal(t, 1, s.Waiters())
	cancel()
	assert.Equal(t, 0, s.Waiters())
	assert.Empty(t, s.gone)
	mustAccept(t, a, 0, "k", 2, free(2))
	assert.False(t, isClosed(ch), "a cancelled waiter is not woken")
}

// spinSink gives spin something the compiler cannot drop.
var spinSink atomic.Int64

// spin burns about n short steps, to shift one goroutine against another.
func spin(n int) {
	for range n {
		spinSink.Add(1)
	}
}

// missedWakeups races one writer against waiters goroutines for rounds
// rounds. In each round the key starts absent (gone=false: the writer sets
// it, the waiters call WaitPresent) or held (gone=true: the writer deletes
// it, the waiters call WaitGone). Writer and waiters are released together
// by an atomic round counter and each spins a round-dependent few steps
// first, so their relative timing sweeps across the waiters' check and
// registration. Once both sides have returned, every waiter must have seen
// the final state or hold a closed channel: an open channel at that point
// is a waiter that would sleep through the write it waited for. It returns
// how many such missed wake-ups it saw.
func missedWakeups(t *testing.T, waiters, rounds int, gone bool) int {
	t.Helper()
	s := NewStore()
	e := &Entry{Value: []byte("v"), Token: 1, ExpiresAt: 1}
	type result struct {
		ch     <-chan struct{} // nil if the waiter saw the final state
		cancel func()
	}
	var round atomic.Int64 // the round released, written by the writer
	results := make([][]result, waiters)
	acks := make([]atomic.Int64, waiters) // last round each waiter finished
	var wg sync.WaitGroup
	for w := range waiters {
		results[w] = make([]result, rounds+1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 1; r <= rounds; r++ {
				for round.Load() != int64(r) {
					runtime.Gosched()
				}
				spin((r/64 + 17*w) % 64)
				var res result
				if gone {
					held, ch, cancel := s.WaitGone("k")
					if held {
						res.ch = ch
					}
					res.cancel = cancel
				} else {
					got, ch, cancel := s.WaitPresent("k")
					if got == nil {
						res.ch = ch
					}
					res.cancel = cancel
				}
				results[w][r] = res
				acks[w].Store(int64(r))
			}
		}()
	}
	missed := 0
	for r := 1; r <= rounds; r++ {
		if gone {
			s.setKey("k", e)
		} else {
			s.delKey("k")
		}
		round.Store(int64(r))
		spin(r % 64)
		if gone {
			s.delKey("k")
		} else {
			s.setKey("k", e)
		}
		for w := range waiters {
			for acks[w].Load() != int64(r) {
				runtime.Gosched()
			}
			res := results[w][r]
			if res.ch != nil && !isClosed(res.ch) {
				missed++
			}
			res.cancel()
		}
		if s.Waiters() != 0 {
			t.Errorf("round %d: %d waiters left after cancel", r, s.Waiters())
		}
	}
	wg.Wait()
	return missed
}

// stressRounds bounds the missed-wake-up stress tests.
const stressRounds = 5000

// TestStoreWaitPresentNoMissedWakeup: a waiter that finds the key absent
// must be woken by the next set. It is the regression test of a lost
// wake-up: WaitPresent used to count itself in s.waiting only after its
// check, so a set landing between the two read waiting == 0, skipped the
// wake-up, and the waiter then registered for a write already done.
func TestStoreWaitPresentNoMissedWakeup(t *testing.T) {
	for _, waiters := range []int{1, 3} {
		missed := missedWakeups(t, waiters, stressRounds, false)
		assert.Zero(t, missed, "%d waiters: WaitPresent callers that found the key absent and were never woken by its set", waiters)
	}
}

// TestStoreWaitGoneNoMissedWakeup is the mirror image for WaitGone and del.
func TestStoreWaitGoneNoMissedWakeup(t *testing.T) {
	for _, waiters := range []int{1, 3} {
		missed := missedWakeups(t, waiters, stressRounds, true)
		assert.Zero(t, missed, "%d waiters: WaitGone callers that found the key held and were never woken by its delete", waiters)
	}
}

// TestStoreWaitersStressWithAcceptor runs an acceptor's writer that locks,
// releases and expires a key in a loop while readers wait for it to
// appear and to go, with -race checking the Store's synchronisation. Each
// reader waits with a generous timeout, bounded, so a lost wake-up shows
// as a failure rather than a hang; the writer keeps writing until every
// reader is done, so a reader that registered in time is always woken.
func TestStoreWaitersStressWithAcceptor(t *testing.T) {
	const readers, waits = 4, 300
	a := newAcceptor(t)
	s := a.Store()
	done := make(chan struct{})
	writerDone := make(chan struct{})
	lock, release := acceptMsg(a, "k", 0, nil, true), acceptMsg(a, "k", 0, nil, true)
	go func() {
		defer close(writerDone)
		now := int64(0)
		b := uint64(0)
		for {
			select {
			case <-done:
				return
			default:
			}
			now += 10
			b++
			lock.Ballot, lock.State = b, held("v", b, b, 5)
			a.Handle(now, "m2", lock)
			if b%2 == 0 {
				b++
				release.Ballot, release.State = b, free(b)
				a.Handle(now, "m2", release)
			} else {
				a.Expire(now + 5)
			}
		}
	}()

	var wg sync.WaitGroup
	timeouts := make(chan string, readers*waits)
	for r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range waits {
				var ch <-chan struct{}
				var cancel func()
				if (i+r)%2 == 0 {
					var e *Entry
					e, ch, cancel = s.WaitPresent("k")
					if e != nil {
						cancel()
						continue
					}
				} else {
					var held bool
					held, ch, cancel = s.WaitGone("k")
					if !held {
						cancel()
						continue
					}
				}
				select {
				case <-ch:
				case <-time.After(5 * time.Second):
					timeouts <- fmt.Sprintf("reader %d wait %d", r, i)
				}
				cancel()
			}
		}()
	}
	wg.Wait()
	close(done)
	<-writerDone
	close(timeouts)
	var stuck []string
	for s := range timeouts {
		stuck = append(stuck, s)
	}
	assert.Empty(t, stuck, "waits never woken while the writer kept writing")
	assert.Equal(t, 0, s.Waiters())
}

// setKey publishes e under key, as the acceptor does through its record.
func (s *Store) setKey(key string, e *Entry) {
	r := s.t.get(key)
	if r == nil {
		r = &record{key: key}
		s.t.put(r)
	}
	s.set(r, e)
}

// delKey unpublishes key, present or not.
func (s *Store) delKey(key string) {
	r := s.t.get(key)
	if r == nil {
		r = &record{key: key}
	}
	s.del(r)
}
