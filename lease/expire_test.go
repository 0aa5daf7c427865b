package lease

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker/internal/view"
	"github.com/protolocker/locker/messages"
)

func TestExpireUnpublishesHeldKeysDueAtOrBeforeNowAndCountsThem(t *testing.T) {
	a := newAcceptor(t)
	mustAccept(t, a, 0, "a", 1, held("v", 1, 1, 100))
	mustAccept(t, a, 0, "b", 1, held("v", 1, 1, 200))
	mustAccept(t, a, 0, "c", 1, held("v", 1, 1, 200))
	mustAccept(t, a, 0, "d", 1, held("v", 1, 1, 300))
	mustAccept(t, a, 0, "f", 1, free(1))

	steps := []struct {
		now     int64
		want    int
		visible []string
	}{
		{99, 0, []string{"a", "b", "c", "d"}},
		{100, 1, []string{"b", "c", "d"}},
		{100, 0, []string{"b", "c", "d"}},
		{250, 2, []string{"d"}},
		{1_000, 1, nil},
	}
	for _, s := range steps {
		assert.Equal(t, s.want, a.Expire(s.now), "Expire(%d)", s.now)
		var visible []string
		for _, k := range []string{"a", "b", "c", "d", "f"} {
			if published(a, k) != nil {
				visible = append(visible, k)
			}
		}
		assert.Equal(t, s.visible, visible, "published after Expire(%d)", s.now)
	}
	assert.Equal(t, 5, a.Len(), "expiry drops no key")
}

func TestExpiredKeyKeepsAcceptedStateReportedWithNoLeaseLeft(t *testing.T) {
	a := newAcceptor(t)
	mustAccept(t, a, 0, "k", 4, held("v", 4, 4, 100))
	require.Equal(t, 1, a.Expire(100))
	acc, st := a.State(100, "k")
	assert.Equal(t, uint64(4), acc)
	assert.True(t, st.GetHeld())
	assert.Equal(t, []byte("v"), st.GetValue())
	assert.Equal(t, uint64(4), st.GetToken())
	assert.Zero(t, st.GetLeaseNs())

	v := prepare(t, a, 200, "k", 5)
	assert.Equal(t, uint64(4), v.GetAccepted())
	assert.Zero(t, v.GetState().GetLeaseNs())
	mustAccept(t, a, 200, "k", 5, free(5)) // a proposer writes the expiry
	_, st = a.State(200, "k")
	assert.False(t, st.GetHeld())
}

func TestExpireSkipsKeysExtendedOrReleasedBeforeTheirDeadline(t *testing.T) {
	a := newAcceptor(t)
	mustAccept(t, a, 0, "extended", 1, held("v", 1, 1, 100))
	mustAccept(t, a, 0, "released", 1, held("v", 1, 1, 100))
	mustAccept(t, a, 50, "extended", 2, held("v", 1, 2, 500))
	mustAccept(t, a, 50, "released", 2, free(2))

	assert.Zero(t, a.Expire(100), "the stale deadlines do nothing")
	e := published(a, "extended")
	require.NotNil(t, e)
	assert.Equal(t, int64(550), e.ExpiresAt)
	assert.Equal(t, 1, a.Expire(550))
	assert.Nil(t, published(a, "extended"))
}

func TestNextDeadlineIsEarliestLeaseEndOrTombstoneDrop(t *testing.T) {
	a := newAcceptor(t, loneMaster)
	_, ok := a.NextDeadline()
	assert.False(t, ok, "nothing kept")

	mustAccept(t, a, 10, "f", 1, free(1))
	next, ok := a.NextDeadline()
	assert.True(t, ok)
	assert.Equal(t, int64(10+ttl), next, "a free key is dropped TombstoneTTL after it was freed")

	mustAccept(t, a, 20, "h", 1, held("v", 1, 1, 300))
	next, _ = a.NextDeadline()
	assert.Equal(t, int64(320), next)

	a.Expire(320)
	next, _ = a.NextDeadline()
	assert.Equal(t, int64(10+ttl), next)
	a.Expire(20 + ttl)
	next, _ = a.NextDeadline()
	assert.Equal(t, int64(320+ttl), next, "the expired key counts as abandoned TombstoneTTL after its expiry")
	a.Expire(320 + ttl)
	_, ok = a.NextDeadline()
	assert.False(t, ok, "nothing left to do")
	assert.Equal(t, 1, a.Len())
}

func TestExpireDropsFreeKeysAfterTombstoneTTLAndRaisesFloorToTheirBallots(t *testing.T) {
	a := newAcceptor(t, loneMaster)
	mustAccept(t, a, 100, "free", 5, free(5))
	require.Equal(t, statusOK, prepare(t, a, 100, "free", 9).GetStatus())
	require.Equal(t, statusOK, prepare(t, a, 200, "promised", 7).GetStatus())
	mustAccept(t, a, 100, "refreed", 3, free(3))
	mustAccept(t, a, 5_000, "refreed", 4, free(4))

	a.Expire(100 + ttl - 1)
	assert.Equal(t, 3, a.Len())
	a.Expire(100 + ttl)
	assert.ElementsMatch(t, []string{"promised", "refreed"}, a.Keys())
	assert.Equal(t, uint64(9), a.Floor(), "the floor rises to the dropped key's promise")
	p, _ := a.Promise("free")
	assert.Equal(t, uint64(9), p, "an absent key behaves as P = floor")
	acc, st := a.State(0, "free")
	assert.Zero(t, acc)
	assert.Nil(t, st)

	a.Expire(200 + ttl)
	assert.Equal(t, []string{"refreed"}, a.Keys(), "a key never accepted is dropped too")
	assert.Equal(t, uint64(9), a.Floor(), "the floor never falls")
	a.Expire(5_000 + ttl)
	assert.Zero(t, a.Len(), "a key freed again is kept TombstoneTTL from then")
	assert.Equal(t, uint64(9), a.Floor())
}

func TestFloorRefusesPrepareAtOrBelowItAndAcceptBelowIt(t *testing.T) {
	tests := []struct {
		name         string
		msg          func(*Acceptor) any
		want         messages.Status
		wantPromised uint64
	}{
		{"prepare below", func(a *Acceptor) any { return prepareMsg(a, "k", 8) }, statusRejected, 9},
		{"prepare at", func(a *Acceptor) any { return prepareMsg(a, "k", 9) }, statusRejected, 9},
		{"prepare above", func(a *Acceptor) any { return prepareMsg(a, "k", 10) }, statusOK, 0},
		{"prepare of another key", func(a *Acceptor) any { return prepareMsg(a, "other", 9) }, statusRejected, 9},
		{"accept below", func(a *Acceptor) any { return acceptMsg(a, "k", 8, free(8), false) }, statusRejected, 9},
		// An absent key behaves as P = floor, and Accept needs b >= P.
		{"accept at", func(a *Acceptor) any { return acceptMsg(a, "k", 9, free(9), false) }, statusOK, 0},
		{"accept above", func(a *Acceptor) any { return acceptMsg(a, "k", 10, free(10), false) }, statusOK, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAcceptor(t, loneMaster)
			mustAccept(t, a, 0, "k", 9, free(9))
			a.Expire(ttl)
			require.Zero(t, a.Len())
			require.Equal(t, uint64(9), a.Floor())
			v := handle[*messages.Vote](t, a, ttl, tt.msg(a))
			assert.Equal(t, tt.want, v.GetStatus())
			assert.Equal(t, tt.wantPromised, v.GetPromised())
			if tt.want == statusRejected {
				assert.Zero(t, v.GetAccepted(), "an absent key has nothing accepted")
			}
		})
	}
}

func TestExpireNeverDropsHeldKeys(t *testing.T) {
	a := newAcceptor(t)
	mustAccept(t, a, 0, "k", 1, held("v", 1, 1, 100))
	a.Expire(100)
	a.Expire(100 * ttl)
	assert.Equal(t, 1, a.Len(), "an expired tenure is kept until a proposer writes it free")
	assert.Zero(t, a.Floor())
}

func TestExpireDropsNothingWhileSealed(t *testing.T) {
	a := newAcceptor(t, loneMaster)
	mustAccept(t, a, 0, "f", 3, free(3))
	mustAccept(t, a, 0, "h", 3, held("v", 3, 3, 100))
	a.Expire(200) // h expired, its deadline gone
	require.Equal(t, statusOK, seal(t, a, 0, 1).GetStatus())

	next, ok := a.NextDeadline()
	assert.True(t, ok)
	assert.Equal(t, int64(100+ttl), next, "the drop of f at ttl is not a deadline while sealed")
	a.Expire(10 * ttl)
	assert.Equal(t, 2, a.Len(), "the state is frozen for the dumps")
	assert.Zero(t, a.Floor())

	assert.Equal(t, statusSealed, accept(t, a, 0, "x", 4, free(4), false).GetStatus())
	handle[*messages.ViewAck](t, a, 0, &messages.ViewCommit{View: mkView(t, 2, self).Proto()})
	require.False(t, a.Sealed())
	next, ok = a.NextDeadline()
	assert.True(t, ok)
	assert.Equal(t, int64(ttl), next)
	a.Expire(10 * ttl)
	assert.Equal(t, []string{"h"}, a.Keys(), "dropped once the change ends")
	assert.Equal(t, uint64(3), a.Floor())
}

func TestExpireUnpublishesHeldKeysWhileSealed(t *testing.T) {
	a := newAcceptor(t)
	mustAccept(t, a, 0, "h", 3, held("v", 3, 3, 100))
	seal(t, a, 0, 1)
	next, ok := a.NextDeadline()
	assert.True(t, ok)
	assert.Equal(t, int64(100), next)
	assert.Equal(t, 1, a.Expire(100))
	assert.Nil(t, published(a, "h"))
}

func TestExpireCompactsChangeLogToOneChangePerKey(t *testing.T) {
	a := newAcceptor(t)
	mustAccept(t, a, 0, "a", 1, free(1))
	for b := uint64(2); b < 6000; b++ {
		mustAccept(t, a, 0, "b", b, free(b))
	}
	a.Expire(1)
	assert.Len(t, a.log.changes, 2)

	r := serve(t, a, 1, syncReq(a, 0, 10))
	assert.Equal(t, []string{"a", "b"}, entryKeys(r))
	assert.Equal(t, uint64(5999), r.GetLast())
	r = serve(t, a, 1, syncReq(a, 3000, 10))
	assert.Equal(t, []string{"b"}, entryKeys(r), "an old cursor still gets what changed after it")

	mustAccept(t, a, 2, "a", 2, free(2))
	r = serve(t, a, 2, syncReq(a, 5999, 10))
	assert.Equal(t, []string{"a"}, entryKeys(r), "numbering continues")
	assert.Equal(t, uint64(6000), r.GetLast())
}

func TestExpireKeepsChangeLogOfFewChanges(t *testing.T) {
	a := newAcceptor(t)
	for i := range 100 {
		mustAccept(t, a, 0, fmt.Sprint("k", i%10), uint64(i+1), free(uint64(i+1)))
	}
	a.Expire(1)
	assert.Len(t, a.log.changes, 100, "under the slack: no compaction")
}

// A free key is dropped only once every other master of the view is known,
// from its sync replies, to hold that state or a newer one: a master left
// with an older state would be the newest of a quorum once the tombstone
// is gone. Until then the acceptor announces the key again, so that the
// others' announcements come back.
func TestFreeKeyIsDroppedOnlyOnceEveryMasterHoldsIt(t *testing.T) {
	a := newAcceptor(t) // m1 of m1, m2, m3
	mustAccept(t, a, 0, "k", 9, free(9))
	before := len(a.serveSync(0, &messages.SyncRequest{Incarnation: selfInc}).GetEntries())
	a.Expire(ttl)
	require.Equal(t, 1, a.Len(), "m2 and m3 are not known to hold it")
	after := a.serveSync(0, &messages.SyncRequest{Incarnation: selfInc, After: 1})
	assert.Len(t, after.GetEntries(), before, "announced again")

	hold := func(from string, b uint64) {
		a.ApplySync(ttl, from, &messages.SyncReply{Status: statusOK, Incarnation: 3, Last: 1, ViewVersion: 1,
			Entries: []*messages.Learned{{Key: "k", Ballot: b, State: free(b), Chosen: true}}})
	}
	hold("m2", 8) // older: no evidence
	hold("m2", 9)
	a.Expire(2 * ttl)
	require.Equal(t, 1, a.Len(), "m3 is not known to hold it")
	hold("m3", 9)
	a.Expire(3 * ttl)
	assert.Zero(t, a.Len(), "dropped once every other master holds it")
	assert.Equal(t, uint64(9), a.Floor())
}

// loneMaster is a single-master view: every key's abandonment falls to m1.
func loneMaster(c *Config) {
	v, _ := view.NewView(1, []string{self}, nil, 1)
	c.View = v
}

func TestAbandonedReportsKeysExpiredTombstoneTTLAgoAndNotWrittenSince(t *testing.T) {
	a := newAcceptor(t, loneMaster)
	for _, k := range []string{"b", "a", "rewritten", "freed"} {
		lock(t, a, 0, k, "v", 1, 100)
	}
	a.Expire(100)
	lock(t, a, 200, "rewritten", "w", 2, 100) // expires again at 300
	mustAccept(t, a, 200, "freed", 2, free(2))
	a.Expire(300)

	a.Expire(100 + ttl - 1)
	assert.Empty(t, a.Abandoned(100+ttl-1))
	a.Expire(100 + ttl)
	assert.Equal(t, []string{"a", "b"}, a.Abandoned(100+ttl), "sorted; written keys count from their last expiry")
	assert.Empty(t, a.Abandoned(100+ttl), "reported once")
	a.Expire(300 + ttl)
	assert.Equal(t, []string{"rewritten"}, a.Abandoned(300+ttl))
	assert.ElementsMatch(t, []string{"a", "b", "rewritten"}, a.Keys(), "reporting drops nothing; the free key is dropped")

	mustAccept(t, a, 100+2*ttl-1, "b", 3, free(3)) // the repair of b
	a.Expire(100 + 2*ttl)
	assert.Equal(t, []string{"a"}, a.Abandoned(100+2*ttl), "still abandoned TombstoneTTL later: reported again")
}

func TestAbandonedReportsAtMostMaxReapsAtOnce(t *testing.T) {
	a := newAcceptor(t, loneMaster)
	for i := range MaxReaps + 10 {
		lock(t, a, 0, fmt.Sprint("k", i), "v", 1, 100)
	}
	a.Expire(100)
	a.Expire(100 + ttl)
	assert.Len(t, a.Abandoned(100+ttl), MaxReaps)
	assert.Len(t, a.Abandoned(100+ttl), 10)
	assert.Empty(t, a.Abandoned(100+ttl))
}

func TestAbandonedKeysAreSharedOutAmongMasters(t *testing.T) {
	seen := map[string]string{}
	for _, m := range []string{"m1", "m2", "m3"} {
		a := newAcceptor(t, func(c *Config) { c.Self = m })
		for i := range 30 {
			lock(t, a, 0, fmt.Sprint("k", i), "v", 1, 100)
		}
		a.Expire(100)
		a.Expire(100 + ttl)
		for _, k := range a.Abandoned(100 + ttl) {
			assert.NotContains(t, seen, k, "%s reported by %s and %s", k, seen[k], m)
			seen[k] = m
		}
	}
	assert.Len(t, seen, 30, "every key falls to one master")
}

func TestAbandonedIsEmptyWhenNotVoting(t *testing.T) {
	for _, tt := range []struct {
		name string
		opt  func(*Config)
		then func(*Acceptor)
	}{
		{"recovering", func(c *Config) { loneMaster(c); c.Voting = false }, func(*Acceptor) {}},
		{"sealed", loneMaster, func(a *Acceptor) { seal(t, a, 0, 1) }},
	} {
		a := newAcceptor(t, tt.opt)
		learn(t, a, 0, learned("k", 1, held("v", 1, 1, 100), true))
		a.Expire(100)
		a.Expire(100 + ttl)
		tt.then(a)
		assert.Empty(t, a.Abandoned(100+ttl), tt.name)
	}
}

// Abandoned reports keys that expired at least TombstoneTTL ago and were
// not written since: a write after the mark unmarks the key.
func TestAbandonedSkipsKeysWrittenSinceTheyWereMarked(t *testing.T) {
	a := newAcceptor(t, loneMaster)
	lock(t, a, 0, "held", "v", 1, 100)
	lock(t, a, 0, "freed", "v", 1, 100)
	a.Expire(100)
	a.Expire(100 + ttl)
	lock(t, a, 100+ttl, "held", "w", 2, 1000)
	mustAccept(t, a, 100+ttl, "freed", 2, free(2))
	assert.Empty(t, a.Abandoned(100+ttl))
}
