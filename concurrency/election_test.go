package concurrency

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker"
)

// Campaign blocks while another leads, and wins when it resigns.
func TestCampaignBlocksUntilTheLeaderResigns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, 3, locker.Config{})
		one := NewElection(c.session("m1", time.Second), "lead")
		two := NewElection(c.session("m2", time.Second), "lead")
		require.NoError(t, one.Campaign(t.Context(), []byte("one")))
		won := make(chan error, 1)
		go func() { won <- two.Campaign(t.Context(), []byte("two")) }()
		time.Sleep(3 * time.Second)
		synctest.Wait()
		select {
		case err := <-won:
			t.Fatalf("won while another leads: %v", err)
		default:
		}
		l, err := two.Leader(t.Context())
		require.NoError(t, err)
		assert.Equal(t, Leader{Value: []byte("one"), Token: one.Token()}, l)
		assert.Zero(t, two.Token())

		require.NoError(t, one.Resign(t.Context()))
		require.NoError(t, <-won)
		l, err = one.Leader(t.Context())
		require.NoError(t, err)
		assert.Equal(t, Leader{Value: []byte("two"), Token: two.Token()}, l)
		assert.Zero(t, one.Token())
		assert.NoError(t, one.Resign(t.Context()), "resigning when not leading does nothing")
		require.NoError(t, two.Resign(t.Context()))
	})
}

func TestLeaderWhenNoneLeads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, 3, locker.Config{})
		e := NewElection(c.session("m1", time.Second), "lead")
		_, err := e.Leader(t.Context())
		assert.ErrorIs(t, err, ErrNoLeader)
		assert.ErrorIs(t, err, locker.ErrNotFound)
		require.NoError(t, e.Campaign(t.Context(), []byte("v")))
		require.NoError(t, e.Resign(t.Context()))
		_, err = NewElection(c.session("m3", time.Second), "lead").Leader(t.Context())
		assert.ErrorIs(t, err, ErrNoLeader)
	})
}

// Proclaim changes the leader's value with a new, greater token, and
// keeps its leadership.
func TestProclaim(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, 3, locker.Config{})
		a := NewElection(c.session("m1", time.Second), "lead")
		b := NewElection(c.session("m2", time.Second), "lead")
		assert.ErrorIs(t, a.Proclaim(t.Context(), []byte("x")), ErrNotLeader, "not leading yet")
		require.NoError(t, a.Campaign(t.Context(), []byte("a")))
		won := make(chan error, 1)
		go func() { won <- b.Campaign(t.Context(), []byte("b")) }()
		synctest.Wait()

		first := a.Token()
		require.NoError(t, a.Proclaim(t.Context(), []byte("a2")))
		assert.Greater(t, a.Token(), first)
		l, err := b.Leader(t.Context())
		require.NoError(t, err)
		assert.Equal(t, Leader{Value: []byte("a2"), Token: a.Token()}, l)
		second := a.Token()
		require.NoError(t, a.Campaign(t.Context(), []byte("a3")), "a Campaign of the leader proclaims")
		assert.Greater(t, a.Token(), second)
		l, err = b.Leader(t.Context())
		require.NoError(t, err)
		assert.Equal(t, []byte("a3"), l.Value)
		assert.ErrorIs(t, b.Proclaim(t.Context(), []byte("y")), ErrNotLeader)

		synctest.Wait()
		select {
		case <-won:
			t.Fatal("Proclaim handed leadership over")
		default:
		}
		require.NoError(t, a.Resign(t.Context()))
		require.NoError(t, <-won)
		assert.Greater(t, b.Token(), a.Token())
		require.NoError(t, b.Resign(t.Context()))
	})
}

// Observe reports the leader and every change, in order, and its channel
// closes when ctx ends.
func TestObserveSeesEveryChange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, 3, locker.Config{})
		ctx, cancel := context.WithCancel(t.Context())
		var got []Leader
		done := make(chan struct{})
		go func() {
			defer close(done)
			for l := range NewElection(c.session("m3", time.Second), "lead").Observe(ctx) {
				got = append(got, l)
			}
		}()
		settle := func() {
			time.Sleep(100 * time.Millisecond)
			synctest.Wait()
		}
		var want []Leader
		expect := func(e *Election, v string) {
			want = append(want, Leader{Value: []byte(v), Token: e.Token()})
		}

		a := NewElection(c.session("m1", time.Second), "lead")
		b := NewElection(c.session("m2", time.Second), "lead")
		d := NewElection(c.session("m1", time.Second), "lead")
		require.NoError(t, a.Campaign(ctx, []byte("a")))
		expect(a, "a")
		settle()
		require.NoError(t, a.Proclaim(ctx, []byte("a2")))
		expect(a, "a2")
		settle()
		bWon := make(chan error, 1)
		go func() { bWon <- b.Campaign(ctx, []byte("b")) }()
		settle()
		require.NoError(t, a.Resign(ctx))
		require.NoError(t, <-bWon)
		expect(b, "b")
		settle()
		dWon := make(chan error, 1)
		go func() { dWon <- d.Campaign(ctx, []byte("d")) }()
		settle()
		require.NoError(t, b.Resign(ctx))
		require.NoError(t, <-dWon)
		expect(d, "d")
		settle()
		require.NoError(t, d.Resign(ctx))
		settle()

		cancel()
		<-done
		assert.Equal(t, want, got)
		for i := 1; i < len(got); i++ {
			assert.Greater(t, got[i].Token, got[i-1].Token)
		}
	})
}

// When the leader's session is lost, its Done closes first, then the next
// campaigner takes over.
func TestLeaderSessionLossHandsOver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, 3, locker.Config{})
		ttl := time.Second
		ls := c.session("m1", ttl)
		a := NewElection(ls, "lead")
		require.NoError(t, a.Campaign(t.Context(), []byte("a")))
		b := NewElection(c.session("m2", ttl), "lead")
		won := make(chan time.Time, 1)
		go func() {
			assert.NoError(t, b.Campaign(t.Context(), []byte("b")))
			won <- time.Now()
		}()
		synctest.Wait()

		orphaned := time.Now()
		ls.Orphan() // the leader's node can no longer renew it
		<-ls.Done()
		lost := time.Now()
		took := <-won
		assert.True(t, took.After(lost), "the old leader learns of its loss before the new one leads")
		assert.LessOrEqual(t, took.Sub(orphaned), ttl+locker.DefaultConfig().RoundTimeout)
		assert.Greater(t, b.Token(), a.Token())
		l, err := b.Leader(t.Context())
		require.NoError(t, err)
		assert.Equal(t, []byte("b"), l.Value)
		assert.ErrorIs(t, a.Proclaim(t.Context(), []byte("a2")), locker.ErrSessionLost)
		assert.ErrorIs(t, a.Campaign(t.Context(), []byte("a3")), locker.ErrSessionLost)
		assert.ErrorIs(t, a.Resign(t.Context()), locker.ErrSessionLost)
		require.NoError(t, b.Resign(t.Context()))
	})
}

func TestElectionBadInput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, 1, locker.Config{})
		s := c.session("m1", time.Second)
		for _, e := range []*Election{NewElection(nil, "lead"), NewElection(s, ""), NewElection(s, "\x00locker/lead")} {
			assert.ErrorIs(t, e.Campaign(t.Context(), []byte("v")), locker.ErrInvalid)
			assert.ErrorIs(t, e.Proclaim(t.Context(), []byte("v")), locker.ErrInvalid)
			assert.ErrorIs(t, e.Resign(t.Context()), locker.ErrInvalid)
			_, err := e.Leader(t.Context())
			assert.ErrorIs(t, err, locker.ErrInvalid)
			_, open := <-e.Observe(t.Context())
			assert.False(t, open)
		}
		e := NewElection(s, "lead")
		require.NoError(t, e.Campaign(t.Context(), nil), "an empty value")
		l, err := e.Leader(t.Context())
		require.NoError(t, err)
		assert.Empty(t, l.Value)
		assert.Equal(t, "lead", e.Key())
		require.NoError(t, e.Resign(t.Context()))
	})
}
