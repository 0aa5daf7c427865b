package lease

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/protolocker/locker/messages"
)

func syncReq(a *Acceptor, after uint64, limit uint32) *messages.SyncRequest {
	return &messages.SyncRequest{ReqId: 9, Incarnation: selfInc, After: after, Limit: limit, ViewVersion: a.View().Version}
}

func serve(t testing.TB, a *Acceptor, now int64, req *messages.SyncRequest) *messages.SyncReply {
	t.Helper()
	r := handle[*messages.SyncReply](t, a, now, req)
	require.Equal(t, statusOK, r.GetStatus())
	return r
}

func entryKeys(r *messages.SyncReply) []string {
	var keys []string
	for _, e := range r.GetEntries() {
		keys = append(keys, e.GetKey())
	}
	return keys
}

func TestServeSyncReturnsChangedKeysInChangeOrderAfterCursor(t *testing.T) {
	a := newAcceptor(t)
	mustAccept(t, a, 0, "b", 1, free(1))              // 1
	mustAccept(t, a, 0, "a", 2, held("v", 2, 2, 100)) // 2
	require.Equal(t, statusOK, prepare(t, a, 0, "p", 3).GetStatus())
	mustAccept(t, a, 0, "c", 3, free(3)) // 3: a promise is no change
	mustAccept(t, a, 0, "b", 4, free(4)) // 4: b's first change is skipped

	r := serve(t, a, 40, syncReq(a, 0, 10))
	assert.Equal(t, uint64(9), r.GetReqId())
	assert.Equal(t, []string{"a", "c", "b"}, entryKeys(r))
	assert.Equal(t, uint64(4), r.GetLast())
	assert.False(t, r.GetMore())
	assert.Equal(t, uint64(selfInc), r.GetIncarnation())
	assert.Equal(t, uint64(1), r.GetViewVersion())
	assert.Nil(t, r.GetView(), "the requester's view is current")
	want := learned("a", 2, held("v", 2, 2, 60), false)
	assert.True(t, proto.Equal(want, r.GetEntries()[0]), "what is left is sent: %v", r.GetEntries()[0])

	r = serve(t, a, 0, syncReq(a, 2, 10))
	assert.Equal(t, []string{"c", "b"}, entryKeys(r))
	assert.Equal(t, uint64(4), r.GetLast())

	r = serve(t, a, 0, syncReq(a, 4, 10))
	assert.Empty(t, r.GetEntries())
	assert.Equal(t, uint64(4), r.GetLast(), "nothing new: the cursor stays")
	assert.False(t, r.GetMore())
}

func TestServeSyncPagesByLimit(t *testing.T) {
	a := newAcceptor(t)
	for i := range 5 {
		mustAccept(t, a, 0, fmt.Sprint("k", i), uint64(i+1), free(uint64(i+1)))
	}
	var got []string
	after, pages := uint64(0), 0
	for more := true; more; pages++ {
		r := serve(t, a, 0, syncReq(a, after, 2))
		assert.LessOrEqual(t, len(r.GetEntries()), 2)
		got = append(got, entryKeys(r)...)
		after, more = r.GetLast(), r.GetMore()
	}
	assert.Equal(t, []string{"k0", "k1", "k2", "k3", "k4"}, got)
	assert.Equal(t, 3, pages)
	assert.Equal(t, uint64(5), after)

	r := serve(t, a, 0, syncReq(a, 0, 0))
	assert.Len(t, r.GetEntries(), 1, "limit 0 is read as 1")
	assert.True(t, r.GetMore())
}

func TestServeSyncCapsLimitAtSyncLimit(t *testing.T) {
	a := newAcceptor(t)
	for i := range SyncLimit + 10 {
		mustAccept(t, a, 0, fmt.Sprint("k", i), 1, free(1))
	}
	r := serve(t, a, 0, syncReq(a, 0, 1<<31))
	assert.Len(t, r.GetEntries(), SyncLimit)
	assert.True(t, r.GetMore())
}

func TestServeSyncCursorOfAnotherIncarnationRestartsFromZero(t *testing.T) {
	a := newAcceptor(t)
	mustAccept(t, a, 0, "a", 1, free(1))
	mustAccept(t, a, 0, "b", 2, free(2))
	for _, inc := range []uint64{0, selfInc + 1} {
		req := syncReq(a, 2, 10)
		req.Incarnation = inc
		r := serve(t, a, 0, req)
		assert.Equal(t, []string{"a", "b"}, entryKeys(r), "incarnation %d", inc)
		assert.Equal(t, uint64(selfInc), r.GetIncarnation())
	}
}

func TestServeSyncSendsItsViewToOlderRequesterOnly(t *testing.T) {
	a := newAcceptor(t, func(c *Config) { c.View = mkView(t, 3) })
	for _, tt := range []struct {
		version  uint64
		wantView bool
	}{{2, true}, {3, false}, {4, false}} {
		req := syncReq(a, 0, 10)
		req.ViewVersion = tt.version
		r := serve(t, a, 0, req)
		assert.Equal(t, uint64(3), r.GetViewVersion())
		if tt.wantView {
			assert.True(t, proto.Equal(a.View().Proto(), r.GetView()), "requester at %d", tt.version)
		} else {
			assert.Nil(t, r.GetView(), "requester at %d", tt.version)
		}
	}
}

func TestServeSyncCarriesChosenMarksAndSkipsDroppedKeys(t *testing.T) {
	a := newAcceptor(t, loneMaster)
	mustAccept(t, a, 0, "k", 1, held("v", 1, 1, maxLease)) // 1
	mustAccept(t, a, 0, "gone", 2, free(2))                // 2
	learn(t, a, 0, learned("k", 1, held("v", 1, 1, maxLease), true))
	a.Expire(ttl) // drops "gone"
	r := serve(t, a, ttl, syncReq(a, 0, 10))
	require.Equal(t, []string{"k"}, entryKeys(r))
	assert.True(t, r.GetEntries()[0].GetChosen(), "marking it chosen is a change")
	assert.Equal(t, uint64(3), r.GetLast())
}

func TestSyncRequestNamesCursorOfThatMaster(t *testing.T) {
	a := newAcceptor(t)
	want := &messages.SyncRequest{ReqId: 5, Limit: SyncLimit, ViewVersion: 1}
	assert.True(t, proto.Equal(want, a.SyncRequest("m2", 5)), "nothing received yet")

	a.ApplySync(0, "m2", syncReply(a, 7))
	want = &messages.SyncRequest{ReqId: 6, Incarnation: 99, After: 7, Limit: SyncLimit, ViewVersion: 1}
	assert.True(t, proto.Equal(want, a.SyncRequest("m2", 6)))
	assert.Zero(t, a.SyncRequest("m3", 0).GetAfter(), "cursors are per master")
}

func TestApplySyncAppliesChosenByLearnRuleAndOthersByAcceptRule(t *testing.T) {
	a := newAcceptor(t)
	for _, k := range []string{"chosen", "relayed", "at-promise"} {
		mustAccept(t, a, 0, k, 5, free(5))
	}
	require.Equal(t, statusOK, prepare(t, a, 0, "chosen", 20).GetStatus())
	require.Equal(t, statusOK, prepare(t, a, 0, "relayed", 20).GetStatus())
	require.Equal(t, statusOK, prepare(t, a, 0, "at-promise", 7).GetStatus())

	more := a.ApplySync(10, "m2", syncReply(a, 4,
		learned("chosen", 6, held("v", 6, 6, 100), true),
		learned("relayed", 6, held("v", 6, 6, 100), false),
		learned("at-promise", 7, free(7), false),
		learned("new", 3, held("w", 3, 3, 100), false),
	))
	assert.False(t, more)

	tests := []struct {
		key                    string
		wantAccepted, wantProm uint64
		wantChosen             bool
	}{
		{"chosen", 6, 20, true},
		{"relayed", 5, 20, false},
		{"at-promise", 7, 7, false},
		{"new", 3, 3, false},
	}
	for _, tt := range tests {
		acc, p := ballots(a, tt.key)
		_, chosen := a.Promise(tt.key)
		assert.Equal(t, tt.wantAccepted, acc, tt.key)
		assert.Equal(t, tt.wantProm, p, tt.key)
		assert.Equal(t, tt.wantChosen, chosen, tt.key)
	}
	assert.Equal(t, int64(110), published(a, "new").ExpiresAt)
}

func TestApplySyncAdvancesCursorAndReportsMore(t *testing.T) {
	a := newAcceptor(t)
	r := syncReply(a, 12, learned("k", 1, free(1), true))
	r.More = true
	assert.True(t, a.ApplySync(0, "m2", r))
	assert.Equal(t, uint64(12), a.SyncRequest("m2", 0).GetAfter())

	r = syncReply(a, 3) // a restarted master: new incarnation, its own numbering
	r.Incarnation = 100
	assert.False(t, a.ApplySync(0, "m2", r))
	req := a.SyncRequest("m2", 0)
	assert.Equal(t, uint64(100), req.GetIncarnation())
	assert.Equal(t, uint64(3), req.GetAfter())
}

func TestApplySyncAdoptsNewerViewCarriedInReply(t *testing.T) {
	a := newAcceptor(t)
	v2 := mkView(t, 2, "m1", "m2", "m4")
	r := &messages.SyncReply{Status: statusOK, Incarnation: 99, Last: 1, ViewVersion: 2, View: v2.Proto(),
		Entries: []*messages.Learned{learned("k", 1, free(1), true)}}
	a.ApplySync(0, "m2", r)
	assert.Equal(t, uint64(2), a.View().Version)
	assert.Equal(t, v2.Hash(), a.View().Hash())
	acc, _ := ballots(a, "k")
	assert.Equal(t, uint64(1), acc, "then applies the entries of that view")

	old := &messages.SyncReply{Status: statusOK, ViewVersion: 1, View: mkView(t, 1).Proto(),
		Entries: []*messages.Learned{learned("j", 1, free(1), true)}}
	a.ApplySync(0, "m3", old)
	assert.Equal(t, uint64(2), a.View().Version, "an older view is not adopted")
	assert.Equal(t, 1, a.Len(), "nor are the entries of another view applied")
}

func TestApplySyncOfRefusedOtherVersionOrSealedAppliesNothingAndKeepsCursor(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*Acceptor, *messages.SyncReply)
	}{
		{"refused", func(_ *Acceptor, r *messages.SyncReply) { r.Status = statusNotReady }},
		{"other view version", func(_ *Acceptor, r *messages.SyncReply) { r.ViewVersion = 2 }},
		{"sealed", func(a *Acceptor, _ *messages.SyncReply) { seal(t, a, 0, 1) }},
		{"invalid view attached", func(_ *Acceptor, r *messages.SyncReply) {
			r.ViewVersion, r.View = 2, &messages.View{Version: 2}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAcceptor(t)
			r := syncReply(a, 5, learned("k", 1, free(1), true))
			r.More = true
			tt.setup(a, r)
			assert.False(t, a.ApplySync(0, "m2", r))
			assert.Zero(t, a.Len())
			assert.Zero(t, a.SyncRequest("m2", 0).GetAfter())
			assert.Equal(t, uint64(1), a.View().Version)
		})
	}
}

func TestApplySyncAppliesBlockedRelayVouchedByWMastersAsChosen(t *testing.T) {
	relay := func(b uint64) *messages.Learned { return learned("k", b, held("v", b, b, 100), false) }
	setup := func(t *testing.T) *Acceptor {
		a := newAcceptor(t)
		mustAccept(t, a, 0, "k", 5, free(5))
		require.Equal(t, statusOK, prepare(t, a, 0, "k", 20).GetStatus())
		return a
	}
	tests := []struct {
		name    string
		from    []string
		ballots []uint64
		applied bool
	}{
		{"one master", []string{"m2"}, []uint64{6}, false},
		{"one master twice", []string{"m2", "m2"}, []uint64{6, 6}, false},
		{"a replica does not count", []string{"m2", "r1"}, []uint64{6, 6}, false},
		{"different ballots", []string{"m2", "m3"}, []uint64{6, 7}, false},
		{"W masters, same ballot", []string{"m2", "m3"}, []uint64{6, 6}, true},
		{"W masters after a replica", []string{"r1", "m2", "m3"}, []uint64{6, 6, 6}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := setup(t)
			for i, from := range tt.from {
				a.ApplySync(10, from, syncReply(a, 1, relay(tt.ballots[i])))
			}
			acc, p := ballots(a, "k")
			_, chosen := a.Promise("k")
			if tt.applied {
				assert.Equal(t, uint64(6), acc)
				assert.True(t, chosen, "applied as chosen")
				assert.Equal(t, uint64(20), p, "the promise is kept")
				assert.NotNil(t, published(a, "k"))
				assert.Empty(t, a.Suspects(), "the change clears the suspicion")
			} else {
				assert.Equal(t, uint64(5), acc)
				assert.False(t, chosen)
				assert.Equal(t, []string{"k"}, a.Suspects())
			}
		})
	}
}

func TestSuspectsListsKeyWhereChosenCopyArrivedBelowUnchosenAccepted(t *testing.T) {
	a := newAcceptor(t)
	mustAccept(t, a, 0, "k", 8, free(8))
	mustAccept(t, a, 0, "known", 8, free(8))
	learn(t, a, 0, learned("known", 8, free(8), true))
	assert.Empty(t, a.Suspects())

	learn(t, a, 0, learned("k", 6, free(6), true), learned("known", 6, free(6), true))
	assert.Equal(t, []string{"k"}, a.Suspects(), "below a state known chosen, a copy is just old")
	acc, _ := ballots(a, "k")
	assert.Equal(t, uint64(8), acc, "the suspect keeps its state")

	a.ApplySync(0, "m2", syncReply(a, 1, learned("j", 2, free(2), false)))
	learn(t, a, 0, learned("j", 1, free(1), false))
	assert.Equal(t, []string{"k"}, a.Suspects(), "an older relayed accept is no sign")
}

func TestSuspectsListsKeyWhereBlockedRelayWasNewerThanAccepted(t *testing.T) {
	a := newAcceptor(t)
	for _, k := range []string{"b", "a"} {
		mustAccept(t, a, 0, k, 5, free(5))
		require.Equal(t, statusOK, prepare(t, a, 0, k, 20).GetStatus())
	}
	require.Equal(t, statusOK, prepare(t, a, 0, "promised-only", 20).GetStatus())
	a.ApplySync(0, "m2", syncReply(a, 3,
		learned("b", 6, free(6), false), learned("a", 6, free(6), false), learned("promised-only", 6, free(6), false)))
	assert.Equal(t, []string{"a", "b", "promised-only"}, a.Suspects(), "sorted")
}

func TestKeyStaysSuspectUntilItsAcceptedStateChangesOrIsLearnedChosen(t *testing.T) {
	for _, end := range []string{"write", "learned chosen"} {
		a := newAcceptor(t)
		mustAccept(t, a, 0, "k", 8, free(8))
		learn(t, a, 0, learned("k", 6, free(6), true))
		require.Equal(t, []string{"k"}, a.Suspects())

		require.Equal(t, statusOK, prepare(t, a, 0, "k", 9).GetStatus())
		read(t, a, 0, "k")
		a.ApplySync(0, "m2", syncReply(a, 1, learned("k", 7, free(7), false)))
		assert.Equal(t, []string{"k"}, a.Suspects(), "a failed repair is tried again")

		if end == "write" {
			mustAccept(t, a, 0, "k", 9, free(9)) // the repair's write-back
		} else {
			// Its state is chosen: masters with older ones take it from
			// syncs, and a repair would only write it again at a newer
			// ballot, whose accept, crossed by a late copy of the older
			// chosen state, would make it a suspect again (seed lin5
			// 410333683751: a replica never caught up with the repairs).
			learn(t, a, 0, learned("k", 8, free(8), true))
		}
		assert.Empty(t, a.Suspects(), end)
	}
}

func TestSuspectsIsEmptyWhenNotVoting(t *testing.T) {
	a := newAcceptor(t, notVoting)
	learn(t, a, 0, learned("k", 8, free(8), false))
	learn(t, a, 0, learned("k", 6, free(6), true))
	assert.Empty(t, a.Suspects(), "non-voting")

	a = newAcceptor(t)
	mustAccept(t, a, 0, "k", 8, free(8))
	learn(t, a, 0, learned("k", 6, free(6), true))
	require.NotEmpty(t, a.Suspects())
	seal(t, a, 0, 1)
	assert.Empty(t, a.Suspects(), "sealed")
}

func TestSyncBetweenAcceptorsConverges(t *testing.T) {
	m2 := newAcceptor(t, func(c *Config) { c.Self, c.Incarnation = "m2", 22 })
	m1 := newAcceptor(t)
	for i := range 3000 {
		mustAccept(t, m2, 0, fmt.Sprint("k", i), uint64(i+1), held("v", uint64(i+1), uint64(i+1), 500))
	}
	mustAccept(t, m2, 0, "k0", 5000, free(5000))
	rounds := 0
	for more := true; more; rounds++ {
		r := handle[*messages.SyncReply](t, m2, 100, m1.SyncRequest("m2", uint64(rounds)))
		reply, known := m1.Handle(100, "m2", r)
		require.True(t, known)
		require.Nil(t, reply)
		more = r.GetMore()
	}
	assert.Equal(t, 3, rounds)
	require.Equal(t, m2.Len(), m1.Len())
	for _, k := range m2.Keys() {
		wantA, wantS := m2.State(100, k)
		gotA, gotS := m1.State(100, k)
		assert.Equal(t, wantA, gotA, k)
		assert.True(t, proto.Equal(wantS, gotS), "%s: %v != %v", k, wantS, gotS)
	}
	r := handle[*messages.SyncReply](t, m2, 100, m1.SyncRequest("m2", 0))
	assert.Empty(t, r.GetEntries(), "nothing new")
}

// A reply that does not continue the cursor (a late answer to a request
// sent before this acceptor restarted, or before the master did) applies
// its entries but leaves the cursor, which would skip the changes in
// between.
func TestApplySyncMovesTheCursorOnlyOnAReplyThatContinuesIt(t *testing.T) {
	a := newAcceptor(t)
	late := syncReply(a, 117, learned("k", 5, free(5), true))
	late.After = 116
	assert.False(t, a.ApplySync(0, "m2", late), "no chase after a reply out of line")
	assert.Zero(t, a.SyncRequest("m2", 0).GetAfter(), "a fresh cursor starts from the beginning")
	assert.Equal(t, []string{"k"}, a.Keys(), "its entries are chosen states: applied")

	first := syncReply(a, 7)
	first.More = true
	assert.True(t, a.ApplySync(0, "m2", first))
	assert.Equal(t, uint64(7), a.SyncRequest("m2", 0).GetAfter())

	next := syncReply(a, 9)
	next.After = 7
	a.ApplySync(0, "m2", next)
	assert.Equal(t, uint64(9), a.SyncRequest("m2", 0).GetAfter())

	dup := syncReply(a, 7) // the first reply again, from the start
	dup.After = 3
	a.ApplySync(0, "m2", dup)
	assert.Equal(t, uint64(9), a.SyncRequest("m2", 0).GetAfter(), "an overlapping reply never moves it back")

	other := syncReply(a, 4) // the master restarted: its new incarnation's reply
	other.Incarnation, other.After = 100, 2
	a.ApplySync(0, "m2", other)
	assert.Equal(t, uint64(9), a.SyncRequest("m2", 0).GetAfter(), "another incarnation's reply continues nothing")
}

// A replica keeps copies of chosen states only: a relayed state one
// master accepted may never be chosen, and would then hide the chosen
// one for good (no replica runs repairs).
func TestReplicaAppliesOnlyChosenOrVouchedStates(t *testing.T) {
	r := newAcceptor(t, func(c *Config) { c.Self = "r1" })
	relay := learned("k", 6, free(6), false)
	r.ApplySync(10, "m2", syncReply(r, 1, relay))
	acc, _ := ballots(r, "k")
	assert.Zero(t, acc, "one master's accepted state is not applied")

	r.ApplySync(10, "m3", syncReply(r, 1, relay))
	acc, _ = ballots(r, "k")
	assert.Equal(t, uint64(6), acc, "W masters vouch for it")
	_, chosen := r.Promise("k")
	assert.True(t, chosen)

	r.ApplySync(10, "m2", syncReply(r, 2, learned("k", 5, held("v", 5, 5, 100), true)))
	acc, _ = ballots(r, "k")
	assert.Equal(t, uint64(6), acc, "an older chosen state changes nothing")
}

// A state a node kept from when it was a master, not known chosen, gives
// way to a lower chosen one once it is a replica.
func TestReplicaReplacesAStateNotKnownChosenByALowerChosenOne(t *testing.T) {
	a := newAcceptor(t)
	mustAccept(t, a, 0, "k", 8, free(8))
	v2 := mkView(t, 2, "m2", "m3", "m4") // m1 is no master of view 2
	a.ApplySync(0, "m2", &messages.SyncReply{Status: statusOK, ViewVersion: 2, View: v2.Proto()})
	require.Equal(t, uint64(2), a.View().Version)
	a.ApplySync(10, "m2", syncReply(a, 1, learned("k", 7, held("v", 7, 7, 100), true)))
	acc, _ := ballots(a, "k")
	assert.Equal(t, uint64(7), acc)
	assert.NotNil(t, published(a, "k"))
}

// A master that accepted a ballot no one marked chosen marks it once W
// masters, itself among them, are known to hold it; syncs carry the mark
// on to the replicas.
func TestMasterMarksAStateChosenOnceWMastersHoldIt(t *testing.T) {
	a := newAcceptor(t)
	mustAccept(t, a, 0, "k", 6, free(6))
	_, chosen := a.Promise("k")
	require.False(t, chosen)
	a.ApplySync(10, "r1", syncReply(a, 1, learned("k", 6, free(6), false)))
	_, chosen = a.Promise("k")
	assert.False(t, chosen, "a replica vouches for nothing")
	a.ApplySync(10, "m2", syncReply(a, 1, learned("k", 6, free(6), false)))
	_, chosen = a.Promise("k")
	assert.True(t, chosen, "m1 and m2 hold it: W of three")
	r := serve(t, a, 10, syncReq(a, 1, 10))
	require.Equal(t, []string{"k"}, entryKeys(r))
	assert.True(t, r.GetEntries()[0].GetChosen())
}

// Vouches for a newer ballot survive the arrival of an older chosen
// state.
func TestReplicaVouchesSurviveAnOlderChosenState(t *testing.T) {
	r := newAcceptor(t, func(c *Config) { c.Self = "r1" })
	relay := learned("k", 9, free(9), false)
	r.ApplySync(10, "m2", syncReply(r, 1, relay))
	r.ApplySync(10, "m1", syncReply(r, 1, learned("k", 5, held("v", 5, 5, 100), true)))
	acc, _ := ballots(r, "k")
	require.Equal(t, uint64(5), acc)
	r.ApplySync(10, "m3", syncReply(r, 2, relay))
	acc, _ = ballots(r, "k")
	assert.Equal(t, uint64(9), acc, "m2 and m3 vouched for 9")
}
