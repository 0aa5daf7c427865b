package locker_test

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker"
)

// Keys attached to a session outlive its TTL while it is renewed, are
// locked against every other caller, and are seen on every node.
func TestSessionKeepsItsKeys(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, names("m", 3), names("r", 1), locker.Config{})
		s, err := c.node("m1").NewSession(t.Context(), 300*time.Millisecond)
		require.NoError(t, err)
		res, err := s.Lock(t.Context(), "k", []byte("a"))
		require.NoError(t, err)

		time.Sleep(time.Second) // more than three TTLs
		synctest.Wait()
		require.NoError(t, s.Err())
		for _, a := range []string{"m1", "m2", "m3", "r1"} {
			assert.True(t, c.holds(a, "k", []byte("a")), "%s shows the key", a)
		}
		_, err = c.node("m2").Lock(t.Context(), "k", []byte("b"), time.Second)
		assert.ErrorIs(t, err, locker.ErrLocked)
		e, err := c.node("m3").Read(t.Context(), "k")
		require.NoError(t, err)
		assert.Equal(t, res.Token, e.Token)
		require.NoError(t, s.Close(t.Context()))
	})
}

// Renewing a session costs the same however many keys it carries.
func TestSessionRenewalIsIndependentOfItsKeys(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, names("m", 3), nil, locker.Config{ReplicationInterval: time.Hour})
		requests := func() uint64 {
			var n uint64
			for _, a := range names("m", 3) {
				n += c.node(a).Stats().Requests
			}
			return n
		}
		perPeriod := func(keys int) uint64 {
			s, err := c.node("m1").NewSession(t.Context(), 300*time.Millisecond)
			require.NoError(t, err)
			for i := range keys {
				_, err := s.Lock(t.Context(), fmt.Sprintf("k%d-%d", keys, i), []byte("v"))
				require.NoError(t, err)
			}
			synctest.Wait()
			before := requests()
			time.Sleep(time.Second) // ten renewals (every TTL/3)
			synctest.Wait()
			require.NoError(t, s.Err())
			s.Orphan()
			return requests() - before
		}
		one, many := perPeriod(1), perPeriod(500)
		assert.Equal(t, one, many, "messages to the masters over ten renewals, 1 key vs 500")
		// Each renewal: one accept round (the one-round path) and a learn,
		// to three masters.
		assert.LessOrEqual(t, many, uint64(10*2*3))
	})
}

// An orphaned session's keys end with its TTL, and its Done closes first.
func TestOrphanedSessionEndsWithItsTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, names("m", 3), nil, locker.Config{})
		ttl := 300 * time.Millisecond
		start := time.Now()
		s, err := c.node("m1").NewSession(t.Context(), ttl)
		require.NoError(t, err)
		_, err = s.Lock(t.Context(), "k", []byte("a"))
		require.NoError(t, err)
		s.Orphan()
		<-s.Done()
		assert.ErrorIs(t, s.Err(), locker.ErrSessionLost)
		assert.LessOrEqual(t, time.Since(start), ttl-locker.SessionMargin(ttl))
		synctest.Wait()
		assert.True(t, c.holds("m2", "k", []byte("a")), "Done closes before the masters expire the session")

		time.Sleep(time.Until(start.Add(ttl + 2*time.Millisecond)))
		synctest.Wait()
		for _, a := range names("m", 3) {
			assert.True(t, c.absent(a, "k"), "%s: the key ended with its session", a)
		}
		res, err := c.node("m2").Lock(t.Context(), "k", []byte("b"), time.Second)
		require.NoError(t, err)
		assert.NotZero(t, res.Token)
		_, err = s.Lock(t.Context(), "k2", []byte("a"))
		assert.ErrorIs(t, err, locker.ErrSessionLost)
	})
}

// Closing a session releases its keys at once, on every master.
func TestClosedSessionReleasesItsKeys(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, names("m", 3), nil, locker.Config{})
		s, err := c.node("m1").NewSession(t.Context(), 10*time.Second)
		require.NoError(t, err)
		first, err := s.Lock(t.Context(), "k", []byte("a"))
		require.NoError(t, err)
		require.NoError(t, s.Close(t.Context()))
		assert.ErrorIs(t, s.Err(), locker.ErrSessionClosed)
		synctest.Wait()
		for _, a := range names("m", 3) {
			assert.True(t, c.absent(a, "k"), a)
		}
		res, err := c.node("m3").Lock(t.Context(), "k", []byte("b"), time.Second)
		require.NoError(t, err)
		assert.Greater(t, res.Token, first.Token, "tokens only go up")
	})
}

// A session that cannot reach W masters closes Done before it could have
// expired on any of them.
func TestSessionLostWithoutAQuorum(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, names("m", 3), nil, locker.Config{})
		ttl := 300 * time.Millisecond
		s, err := c.node("m1").NewSession(t.Context(), ttl)
		require.NoError(t, err)
		_, err = s.Lock(t.Context(), "k", []byte("a"))
		require.NoError(t, err)
		time.Sleep(50 * time.Millisecond)
		c.net.Isolate("m1")
		cut := time.Now()
		<-s.Done()
		assert.ErrorIs(t, s.Err(), locker.ErrSessionLost)
		assert.Less(t, time.Since(cut), ttl, "lost within the TTL")
		synctest.Wait()
		assert.True(t, c.holds("m2", "k", []byte("a")), "the masters still hold it when Done closes")
	})
}

func TestSessionReleaseOfAKey(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, names("m", 3), nil, locker.Config{})
		s, err := c.node("m1").NewSession(t.Context(), time.Second)
		require.NoError(t, err)
		other, err := c.node("m2").NewSession(t.Context(), time.Second)
		require.NoError(t, err)
		_, err = s.Lock(t.Context(), "k", []byte("a"))
		require.NoError(t, err)
		_, err = other.Release(t.Context(), "k")
		assert.ErrorIs(t, err, locker.ErrNotOwner, "attached to another session")
		_, err = s.Release(t.Context(), "k")
		require.NoError(t, err)
		_, err = other.Lock(t.Context(), "k", []byte("b"))
		require.NoError(t, err)
		require.NoError(t, s.Close(t.Context()))
		require.NoError(t, other.Close(t.Context()))
	})
}

func TestSessionBadInput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, names("m", 1), nil, locker.Config{})
		n := c.node("m1")
		for _, ttl := range []time.Duration{0, -time.Second, time.Hour} {
			_, err := n.NewSession(t.Context(), ttl)
			assert.ErrorIs(t, err, locker.ErrInvalid, "%v", ttl)
		}
		s, err := n.NewSession(t.Context(), time.Second)
		require.NoError(t, err)
		_, err = s.Lock(t.Context(), "", []byte("a"))
		assert.ErrorIs(t, err, locker.ErrInvalid)
		_, err = s.Lock(t.Context(), "k", nil)
		assert.ErrorIs(t, err, locker.ErrInvalid)
		_, err = s.Release(t.Context(), "\x00locker/x")
		assert.ErrorIs(t, err, locker.ErrInvalid)
		assert.NotZero(t, s.ID())
		assert.Equal(t, time.Second, s.TTL())
		n.Stop()
		<-s.Done()
		assert.ErrorIs(t, s.Err(), locker.ErrStopped)
	})
}

// Concurrent Locks from one node to a master travel many to a message.
func TestConcurrentLocksTravelTogether(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, names("m", 3), nil, locker.Config{})
		n := c.node("m1")
		s, err := n.NewSession(t.Context(), 10*time.Second)
		require.NoError(t, err)
		req0, frames0 := locker.Batching(n)
		const keys = 2000
		errs := make(chan error, keys)
		for i := range keys {
			go func() {
				_, err := s.Lock(t.Context(), fmt.Sprintf("k%d", i), []byte("v"))
				errs <- err
			}()
		}
		for range keys {
			require.NoError(t, <-errs)
		}
		req, frames := locker.Batching(n)
		req, frames = req-req0, frames-frames0
		t.Logf("%d requests in %d messages", req, frames)
		assert.GreaterOrEqual(t, req, uint64(keys*2*3), "a prepare and an accept to each of three masters per key")
		assert.Less(t, frames*10, req, "at least ten requests per message on average")
		require.NoError(t, s.Close(t.Context()))
	})
}

// A key attached to a session is waited for like any other: a waiter on
// another node sees it go when the session ends.
func TestWaitForReleaseOfAnAttachedKey(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, names("m", 3), names("r", 1), locker.Config{})
		s, err := c.node("m1").NewSession(t.Context(), 300*time.Millisecond)
		require.NoError(t, err)
		_, err = s.Lock(t.Context(), "k", []byte("a"))
		require.NoError(t, err)
		got, err := c.node("r1").WaitFor(t.Context(), "k")
		require.NoError(t, err)
		assert.Equal(t, "a", string(got))

		released := make(chan error, 1)
		go func() { released <- c.node("r1").WaitForRelease(t.Context(), "k") }()
		time.Sleep(time.Second)
		synctest.Wait()
		require.Empty(t, released, "held while the session is renewed")
		s.Orphan()
		start := time.Now()
		require.NoError(t, <-released)
		assert.Less(t, time.Since(start), 300*time.Millisecond+50*time.Millisecond, "gone within the TTL of the last renewal")
	})
}
