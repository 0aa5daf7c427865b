package lease

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/protolocker/locker/messages"
)

func dumpReq(b uint64, after string, limit uint32) *messages.DumpRequest {
	return &messages.DumpRequest{ReqId: 5, Ballot: b, After: after, Limit: limit}
}

func dump(t testing.TB, a *Acceptor, now int64, req *messages.DumpRequest) *messages.DumpPage {
	t.Helper()
	return handle[*messages.DumpPage](t, a, now, req)
}

func install(t testing.TB, a *Acceptor, now int64, m *messages.Install) *messages.InstallAck {
	t.Helper()
	return handle[*messages.InstallAck](t, a, now, m)
}

func commit(t testing.TB, a *Acceptor, m *messages.ViewCommit) *messages.ViewAck {
	t.Helper()
	return handle[*messages.ViewAck](t, a, 0, m)
}

func viewAccept(t testing.TB, a *Acceptor, m *messages.ViewAccept) *messages.ViewAccepted {
	t.Helper()
	return viewAcceptAt(t, a, 0, m)
}

func viewAcceptAt(t testing.TB, a *Acceptor, now int64, m *messages.ViewAccept) *messages.ViewAccepted {
	t.Helper()
	return handle[*messages.ViewAccepted](t, a, now, m)
}

func TestSealPromisesOnlyForNextVersion(t *testing.T) {
	tests := []struct {
		name    string
		self    string
		version uint64
		want    messages.Status
	}{
		{"next version", self, 2, statusOK},
		{"current version", self, 1, statusWrongView},
		{"two ahead", self, 3, statusWrongView},
		{"version 0", self, 0, statusWrongView},
		{"to a replica", "r1", 2, statusWrongView},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAcceptor(t, func(c *Config) { c.Self = tt.self })
			r := handle[*messages.SealReply](t, a, 0, &messages.Seal{ReqId: 8, Version: tt.version, Ballot: 3})
			assert.Equal(t, tt.want, r.GetStatus())
			assert.Equal(t, uint64(8), r.GetReqId())
			assert.True(t, proto.Equal(a.View().Proto(), r.GetView()), "names its view")
			assert.Equal(t, uint64(selfInc), r.GetIncarnation())
			assert.Equal(t, tt.want == statusOK, a.Sealed())
		})
	}
}

func TestSealRejectsBallotNotAbovePromise(t *testing.T) {
	a := newAcceptor(t)
	r := seal(t, a, 0, 0)
	assert.Equal(t, statusRejected, r.GetStatus(), "ballot 0 is never above a promise")
	assert.False(t, a.Sealed())

	require.Equal(t, statusOK, seal(t, a, 0, 5).GetStatus())
	for _, b := range []uint64{4, 5} {
		r = seal(t, a, 0, b)
		assert.Equal(t, statusRejected, r.GetStatus(), "ballot %d", b)
		assert.Equal(t, uint64(5), r.GetPromised())
		assert.False(t, r.GetVoting(), "a refusal reports nothing else")
	}
	r = seal(t, a, 0, 6)
	assert.Equal(t, statusOK, r.GetStatus(), "a later coordinator takes over")
	assert.Zero(t, r.GetPromised())
}

func TestSealReportsVotingRecoveringTimeAndIncarnation(t *testing.T) {
	r := seal(t, newAcceptor(t), 4_000, 1)
	assert.True(t, r.GetVoting())
	assert.Zero(t, r.GetRecoveringNs())
	assert.Equal(t, uint64(selfInc), r.GetIncarnation())

	a := newAcceptor(t, notVoting, func(c *Config) { c.Now = 1_000 })
	hearAll(a)
	r = seal(t, a, 4_000, 1)
	assert.Equal(t, statusOK, r.GetStatus(), "a recovering master can be sealed")
	assert.False(t, r.GetVoting())
	assert.Equal(t, int64(3_000), r.GetRecoveringNs())
	assert.Zero(t, r.GetAcceptedBallot())
	assert.Nil(t, r.GetAccepted())
}

func TestSealReportsAcceptedView(t *testing.T) {
	a := newAcceptor(t)
	v2 := mkView(t, 2, "m1", "m2", "m4")
	require.Equal(t, statusOK, seal(t, a, 0, 5).GetStatus())
	require.Equal(t, statusOK, viewAccept(t, a, &messages.ViewAccept{Ballot: 5, View: v2.Proto(),
		Installed: []string{"m1", "m4"}, InstalledIncarnations: []uint64{7, 40}}).GetStatus())
	assert.True(t, a.Sealed(), "an accepted view seals")

	r := seal(t, a, 0, 6)
	require.Equal(t, statusOK, r.GetStatus())
	assert.Equal(t, uint64(5), r.GetAcceptedBallot())
	assert.True(t, proto.Equal(v2.Proto(), r.GetAccepted()))
	assert.Equal(t, []string{"m1", "m4"}, r.GetAcceptedInstalled())
	assert.Equal(t, []uint64{7, 40}, r.GetAcceptedIncarnations())
}

func TestSealedAcceptorVotesOnNoKey(t *testing.T) {
	a := newAcceptor(t)
	mustAccept(t, a, 0, "k", 1, free(1))
	require.True(t, a.Votes())
	require.Equal(t, statusOK, seal(t, a, 0, 1).GetStatus())
	assert.True(t, a.Sealed())
	assert.False(t, a.Votes())
	assert.True(t, a.Voting(), "its memory is still complete")
	assert.Equal(t, statusSealed, prepare(t, a, 0, "k", 2).GetStatus())
	assert.Equal(t, statusSealed, accept(t, a, 0, "k", 2, free(2), false).GetStatus())
	assert.Equal(t, statusSealed, read(t, a, 0, "k").GetStatus())
}

func TestDumpAnswersOnlyAtPromisedViewBallot(t *testing.T) {
	a := newAcceptor(t)
	mustAccept(t, a, 0, "k", 1, free(1))
	assert.Equal(t, statusRejected, dump(t, a, 0, dumpReq(0, "", 10)).GetStatus(), "not sealed")
	require.Equal(t, statusOK, seal(t, a, 0, 5).GetStatus())
	for _, b := range []uint64{4, 6} {
		p := dump(t, a, 0, dumpReq(b, "", 10))
		assert.Equal(t, statusRejected, p.GetStatus(), "ballot %d", b)
		assert.Empty(t, p.GetEntries())
	}
	p := dump(t, a, 0, dumpReq(5, "", 10))
	assert.Equal(t, statusOK, p.GetStatus())
	assert.Equal(t, uint64(5), p.GetReqId())
	assert.Len(t, p.GetEntries(), 1)

	require.Equal(t, statusOK, seal(t, a, 0, 6).GetStatus())
	assert.Equal(t, statusRejected, dump(t, a, 0, dumpReq(5, "", 10)).GetStatus(), "sealed again by another coordinator")
	assert.Equal(t, statusOK, dump(t, a, 0, dumpReq(6, "", 10)).GetStatus())
}

func TestDumpPagesKeysInKeyOrderAfterCursor(t *testing.T) {
	a := newAcceptor(t)
	for _, k := range []string{"c", "a", "e", "b", "d"} {
		mustAccept(t, a, 0, k, 2, free(2))
	}
	require.Equal(t, statusOK, seal(t, a, 0, 1).GetStatus())

	var got []string
	after, pages := "", 0
	for done := false; !done; pages++ {
		p := dump(t, a, 0, dumpReq(1, after, 2))
		require.Equal(t, statusOK, p.GetStatus())
		assert.LessOrEqual(t, len(p.GetEntries()), 2)
		for _, e := range p.GetEntries() {
			got = append(got, e.GetKey())
			after = e.GetKey()
		}
		done = p.GetDone()
	}
	assert.Equal(t, []string{"a", "b", "c", "d", "e"}, got)
	assert.Equal(t, 3, pages)

	p := dump(t, a, 0, dumpReq(1, "bb", 2))
	assert.Equal(t, "c", p.GetEntries()[0].GetKey(), "a cursor between keys")
	p = dump(t, a, 0, dumpReq(1, "", 0))
	assert.Len(t, p.GetEntries(), 1, "limit 0 is read as 1")
	assert.False(t, p.GetDone())
	p = dump(t, a, 0, dumpReq(1, "e", 2))
	assert.Empty(t, p.GetEntries())
	assert.True(t, p.GetDone())
}

func TestDumpReportsPromisesAcceptedStatesAndFloor(t *testing.T) {
	a := newAcceptor(t, loneMaster)
	mustAccept(t, a, 0, "gone", 4, free(4))
	a.Expire(ttl)
	mustAccept(t, a, ttl, "h", 5, held("v", 5, 5, 1_000))
	require.Equal(t, statusOK, prepare(t, a, ttl, "h", 9).GetStatus())
	require.Equal(t, statusOK, prepare(t, a, ttl, "p", 6).GetStatus())
	require.Equal(t, statusOK, seal(t, a, ttl, 1).GetStatus())

	p := dump(t, a, ttl+400, dumpReq(1, "", 10))
	assert.Equal(t, uint64(4), p.GetFloor())
	assert.True(t, p.GetDone())
	require.Len(t, p.GetEntries(), 2)
	want := []*messages.DumpEntry{
		{Key: "h", Promised: 9, Accepted: 5, State: held("v", 5, 5, 600)},
		{Key: "p", Promised: 6},
	}
	for i := range want {
		assert.True(t, proto.Equal(want[i], p.GetEntries()[i]), "%v", p.GetEntries()[i])
	}
}

func TestInstallOnlyForHigherVersionAndOwnIncarnation(t *testing.T) {
	tests := []struct {
		name        string
		version     uint64
		incarnation uint64
		want        messages.Status
	}{
		{"next version, any incarnation", 2, 0, statusOK},
		{"next version, own incarnation", 2, selfInc, statusOK},
		{"a later version", 3, selfInc, statusOK},
		{"current version", 1, 0, statusWrongView},
		{"older version", 0, 0, statusWrongView},
		{"an earlier incarnation", 2, selfInc + 1, statusRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAcceptor(t, notVoting)
			ack := install(t, a, 0, &messages.Install{ReqId: 6, Version: tt.version, Ballot: 1, Incarnation: tt.incarnation,
				Page: 3, Floor: 4, Entries: []*messages.DumpEntry{{Key: "k", Promised: 2, Accepted: 2, State: free(2)}}})
			assert.Equal(t, tt.want, ack.GetStatus())
			assert.Equal(t, uint64(6), ack.GetReqId())
			assert.Equal(t, uint32(3), ack.GetPage())
			assert.Equal(t, uint64(selfInc), ack.GetIncarnation(), "names its incarnation")
			if tt.want == statusOK {
				assert.Equal(t, 1, a.Len())
				assert.Equal(t, uint64(4), a.Floor())
				assert.True(t, a.Sealed())
			} else {
				assert.Zero(t, a.Len())
				assert.Zero(t, a.Floor())
				assert.False(t, a.Sealed())
			}
		})
	}
}

func TestInstallReplacesEveryNamedKeysStateAndRaisesPromises(t *testing.T) {
	a := newAcceptor(t)
	mustAccept(t, a, 0, "lower", 5, free(5))
	mustAccept(t, a, 0, "higher", 9, free(9))
	mustAccept(t, a, 0, "promised", 5, free(5))
	require.Equal(t, statusOK, prepare(t, a, 0, "promised", 12).GetStatus())

	ack := install(t, a, 100, &messages.Install{Version: 2, Ballot: 1, Floor: 2, Entries: []*messages.DumpEntry{
		{Key: "lower", Promised: 8, Accepted: 7, State: held("v", 7, 7, 300)},
		{Key: "higher", Promised: 10, Accepted: 8, State: held("v", 8, 8, 300)},
		{Key: "promised", Promised: 6, Accepted: 5, State: free(5)},
		{Key: "new", Promised: 3, Accepted: 3, State: held("w", 3, 3, 0)},
		{Key: "promise-only", Promised: 15},
		{Key: "", Promised: 20, Accepted: 20, State: free(20)},
		{Key: "bad", Promised: 20, Accepted: 20},
		{Key: "too-long-lease", Promised: 20, Accepted: 20, State: held("v", 20, 20, maxLease+1)},
	}})
	require.Equal(t, statusOK, ack.GetStatus())

	tests := []struct {
		key                    string
		wantAccepted, wantProm uint64
		wantHeld               bool
	}{
		{"lower", 7, 8, true},
		{"higher", 8, 10, true}, // its own 9 was never chosen: the merge would hold it
		{"promised", 5, 12, false},
		{"new", 3, 3, true},
		{"promise-only", 0, 15, false},
	}
	for _, tt := range tests {
		acc, st := a.State(100, tt.key)
		p, chosen := a.Promise(tt.key)
		assert.Equal(t, tt.wantAccepted, acc, tt.key)
		assert.Equal(t, tt.wantProm, p, tt.key)
		assert.Equal(t, tt.wantHeld, st.GetHeld(), tt.key)
		assert.False(t, chosen, "%s: installed states are not known chosen", tt.key)
	}
	assert.ElementsMatch(t, []string{"lower", "higher", "promised", "new", "promise-only"}, a.Keys(),
		"malformed entries are skipped")
	e := published(a, "lower")
	require.NotNil(t, e)
	assert.Equal(t, int64(400), e.ExpiresAt, "the lease left counts from the install")
	assert.Nil(t, published(a, "new"), "nothing left: not published")
	assert.Equal(t, uint64(2), a.Floor())

	// Installed changes are logged for anti-entropy (a key only promised
	// carries nothing to send).
	r := serve(t, a, 100, syncReq(a, 3, 10))
	assert.Equal(t, []string{"lower", "higher", "new"}, entryKeys(r))
}

// The final page drops what no page named: a state of this acceptor's
// own that the N-W+1 sources do not hold was never chosen.
func TestInstallFinalPageDropsKeysNoPageNamed(t *testing.T) {
	a := newAcceptor(t)
	mustAccept(t, a, 0, "kept", 5, held("v", 5, 5, 300))
	mustAccept(t, a, 0, "stale", 9, held("w", 9, 9, 300))
	require.Equal(t, statusOK, install(t, a, 100, &messages.Install{Version: 2, Ballot: 1, Entries: []*messages.DumpEntry{
		{Key: "kept", Promised: 5, Accepted: 5, State: held("v", 5, 5, 200)}}}).GetStatus())
	assert.ElementsMatch(t, []string{"kept", "stale"}, a.Keys(), "not before the final page")
	require.Equal(t, statusOK, install(t, a, 100, &messages.Install{Version: 2, Ballot: 1, Page: 1, Incarnation: selfInc,
		Final: true}).GetStatus())
	assert.Equal(t, []string{"kept"}, a.Keys())
	assert.Nil(t, published(a, "stale"))
	assert.Equal(t, uint64(9), a.Floor(), "the dropped key's ballot is the floor")
	require.Equal(t, statusOK, install(t, a, 100, &messages.Install{Version: 2, Ballot: 1, Incarnation: selfInc,
		Entries: []*messages.DumpEntry{{Key: "late", Promised: 3, Accepted: 3, State: free(3)}}}).GetStatus())
	assert.Equal(t, []string{"kept"}, a.Keys(), "a duplicate page after the final one changes nothing")

	// A page of the coordinator another took over from is refused; the
	// newer one starts over.
	require.Equal(t, statusOK, install(t, a, 100, &messages.Install{Version: 2, Ballot: 3, Incarnation: selfInc}).GetStatus())
	assert.Equal(t, statusRejected, install(t, a, 100, &messages.Install{Version: 2, Ballot: 1, Page: 2,
		Incarnation: selfInc}).GetStatus())
	require.Equal(t, statusOK, install(t, a, 100, &messages.Install{Version: 2, Ballot: 3, Page: 1, Incarnation: selfInc,
		Final: true}).GetStatus())
	assert.Empty(t, a.Keys(), "the newer install named nothing")
}

// A key dropped on a source behaves there as promised at the source's
// floor: an install raises every key's promise to its floor, or a ballot
// below an old tenure's token could be accepted here.
func TestInstallFloorRaisesEveryKeysPromise(t *testing.T) {
	a := newAcceptor(t, notVoting)
	require.Equal(t, statusOK, install(t, a, 0, &messages.Install{Version: 2, Entries: []*messages.DumpEntry{
		{Key: "k", Promised: 5, Accepted: 5, State: free(5)}}}).GetStatus())
	require.Equal(t, statusOK, install(t, a, 0, &messages.Install{Version: 2, Page: 1, Floor: 10}).GetStatus())
	p, _ := a.Promise("k")
	assert.Equal(t, uint64(10), p, "the floor, not the key's own 5")
}

// A master that lost its memory does not accept a view before it votes
// again or has recovered for LockDelay: it may have promised another
// ballot before and forgotten it.
func TestRecoveringAcceptorAcceptsNoViewBeforeLockDelay(t *testing.T) {
	a := newAcceptor(t, notVoting, func(c *Config) { c.LockDelay = 1_000 })
	hearAll(a)
	require.Equal(t, statusOK, seal(t, a, 500, 5).GetStatus())
	v2 := mkView(t, 2).Proto()
	assert.Equal(t, statusNotReady, viewAcceptAt(t, a, 500, &messages.ViewAccept{Ballot: 5, View: v2}).GetStatus())
	assert.Equal(t, statusOK, viewAcceptAt(t, a, 1_000, &messages.ViewAccept{Ballot: 5, View: v2}).GetStatus())
}

func TestInstallRaisesFloorOnly(t *testing.T) {
	a := newAcceptor(t, notVoting)
	require.Equal(t, statusOK, install(t, a, 0, &messages.Install{Version: 2, Floor: 20}).GetStatus())
	assert.Equal(t, uint64(20), a.Floor())
	require.Equal(t, statusOK, install(t, a, 0, &messages.Install{Version: 2, Page: 1, Floor: 10}).GetStatus())
	assert.Equal(t, uint64(20), a.Floor())
	p, _ := a.Promise("any")
	assert.Equal(t, uint64(20), p)
}

func TestInstallSealsCurrentViewUntilCommit(t *testing.T) {
	a := newAcceptor(t)
	require.Equal(t, statusOK, install(t, a, 0, &messages.Install{Version: 2, Entries: []*messages.DumpEntry{
		{Key: "k", Promised: 4, Accepted: 4, State: free(4)}}}).GetStatus())
	assert.True(t, a.Sealed())
	assert.Equal(t, statusSealed, prepare(t, a, 0, "k", 5).GetStatus())
	a.Expire(10 * ttl)
	assert.Equal(t, 1, a.Len(), "frozen: not dropped")

	commit(t, a, &messages.ViewCommit{View: mkView(t, 2).Proto()})
	assert.False(t, a.Sealed())
	assert.Equal(t, statusOK, prepare(t, a, 0, "k", 5).GetStatus())
}

// A master accepts a view only at the very ballot it was sealed at in
// this incarnation: a master that forgot a promise (a restart) must not
// accept another coordinator's view (two views would be chosen for one
// version).
func TestViewAcceptOnlyAtTheSealedBallot(t *testing.T) {
	v2 := mkView(t, 2).Proto()
	tests := []struct {
		name   string
		sealed uint64 // 0: not sealed
		ballot uint64
		want   messages.Status
	}{
		{"not sealed", 0, 3, statusRejected},
		{"below the promise", 5, 4, statusRejected},
		{"at the promise", 5, 5, statusOK},
		{"above the promise", 5, 6, statusRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAcceptor(t)
			if tt.sealed != 0 {
				require.Equal(t, statusOK, seal(t, a, 0, tt.sealed).GetStatus())
			}
			r := viewAccept(t, a, &messages.ViewAccept{ReqId: 9, Ballot: tt.ballot, View: v2})
			assert.Equal(t, tt.want, r.GetStatus())
			assert.Equal(t, uint64(9), r.GetReqId())
			if tt.want == statusOK {
				assert.True(t, a.Sealed())
				assert.Equal(t, statusRejected, seal(t, a, 0, tt.ballot).GetStatus(), "accepting promises its ballot")
				s := seal(t, a, 0, tt.ballot+1)
				require.Equal(t, statusOK, s.GetStatus())
				assert.Equal(t, tt.ballot, s.GetAcceptedBallot(), "and is reported to the next coordinator")
			} else {
				s := seal(t, a, 0, tt.sealed+1)
				require.Equal(t, statusOK, s.GetStatus())
				assert.Zero(t, s.GetAcceptedBallot())
			}
		})
	}
}

func TestViewAcceptNeedsValidViewOfNextVersion(t *testing.T) {
	tests := []struct {
		name string
		self string
		view *messages.View
		want messages.Status
	}{
		{"no view", self, nil, statusBadRequest},
		{"invalid view", self, &messages.View{Version: 2, Masters: []string{"m1"}, W: 5}, statusBadRequest},
		{"current version", self, mkView(t, 1, "m1", "m2").Proto(), statusWrongView},
		{"two ahead", self, mkView(t, 3).Proto(), statusWrongView},
		{"to a replica", "r1", mkView(t, 2).Proto(), statusWrongView},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAcceptor(t, func(c *Config) { c.Self = tt.self })
			assert.Equal(t, tt.want, viewAccept(t, a, &messages.ViewAccept{Ballot: 1, View: tt.view}).GetStatus())
			assert.False(t, a.Sealed())
		})
	}
}

func TestViewCommitAdoptsNewerViewAndEndsViewChange(t *testing.T) {
	a := newAcceptor(t)
	require.Equal(t, statusOK, seal(t, a, 0, 5).GetStatus())
	v2 := mkView(t, 2, "m1", "m2", "m4")
	ack := commit(t, a, &messages.ViewCommit{ReqId: 4, View: v2.Proto(), Ballot: 5})
	assert.Equal(t, uint64(4), ack.GetReqId())
	assert.Equal(t, uint64(2), ack.GetVersion())
	assert.True(t, ack.GetVoting())
	assert.Equal(t, v2.Hash(), a.View().Hash())
	assert.False(t, a.Sealed())
	assert.True(t, a.Votes())
	assert.Equal(t, statusOK, seal(t, a, 0, 1).GetStatus(), "the view register starts afresh for version 3")
}

func TestViewCommitOfOlderEqualOrInvalidViewChangesNothing(t *testing.T) {
	a := newAcceptor(t, func(c *Config) { c.View = mkView(t, 3) })
	require.Equal(t, statusOK, seal(t, a, 0, 5).GetStatus())
	for _, v := range []*messages.View{mkView(t, 2).Proto(), mkView(t, 3, "m1", "m2").Proto(), {Version: 9}, nil} {
		ack := commit(t, a, &messages.ViewCommit{View: v})
		assert.Equal(t, uint64(3), ack.GetVersion(), "%v", v)
		assert.True(t, a.Sealed())
	}
}

func TestViewCommitToViewWithoutSelfStopsItsVotes(t *testing.T) {
	a := newAcceptor(t)
	commit(t, a, &messages.ViewCommit{View: mkView(t, 2, "m2", "m3", "m4").Proto()})
	assert.True(t, a.Voting())
	assert.False(t, a.Votes())
	assert.Equal(t, statusWrongView, prepare(t, a, 0, "k", 1).GetStatus())
}

func TestViewCommitMakesRecoveringAcceptorVoteOnlyWhenNamedWithItsIncarnation(t *testing.T) {
	tests := []struct {
		name         string
		installed    uint64 // version of an install before the commit; 0: none
		addrs        []string
		incarnations []uint64
		want         bool
		wantVotes    bool // votes in version 2 at once
	}{
		{"named with its incarnation", 2, []string{"m2", "m1"}, []uint64{8, selfInc}, true, true},
		{"installed a later version", 3, []string{"m1"}, []uint64{selfInc}, true, false},
		{"named with another incarnation", 2, []string{"m1"}, []uint64{selfInc + 1}, false, false},
		{"not named", 2, []string{"m2", "m3"}, []uint64{selfInc, selfInc}, false, false},
		{"named without incarnation", 2, []string{"m2", "m1"}, []uint64{8}, false, false},
		{"named but installed nothing", 0, []string{"m1"}, []uint64{selfInc}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAcceptor(t, notVoting)
			if tt.installed != 0 {
				require.Equal(t, statusOK, install(t, a, 0, &messages.Install{Version: tt.installed}).GetStatus())
			}
			ack := commit(t, a, &messages.ViewCommit{View: mkView(t, 2).Proto(), Installed: tt.addrs,
				InstalledIncarnations: tt.incarnations})
			assert.Equal(t, uint64(2), ack.GetVersion())
			assert.Equal(t, tt.want, ack.GetVoting())
			assert.Equal(t, tt.want, a.Voting())
			assert.Equal(t, tt.wantVotes, a.Votes(), "an install for a later version still seals")
		})
	}
}

func TestRecoveringAcceptorRejoinsThroughSealInstallAcceptCommit(t *testing.T) {
	a := newAcceptor(t, notVoting)
	assert.Equal(t, statusNotReady, prepare(t, a, 0, "k", 1).GetStatus())
	require.Equal(t, statusOK, seal(t, a, 0, 3).GetStatus())
	require.Equal(t, statusOK, install(t, a, 0, &messages.Install{Version: 2, Ballot: 3, Floor: 4,
		Entries: []*messages.DumpEntry{{Key: "k", Promised: 6, Accepted: 6, State: held("v", 6, 6, 500)}}}).GetStatus())
	v2 := mkView(t, 2)
	require.Equal(t, statusOK, viewAccept(t, a, &messages.ViewAccept{Ballot: 3, View: v2.Proto()}).GetStatus())
	ack := commit(t, a, &messages.ViewCommit{View: v2.Proto(), Ballot: 3, Installed: []string{"m1"},
		InstalledIncarnations: []uint64{selfInc}})
	require.True(t, ack.GetVoting())
	v := prepare(t, a, 100, "k", 7)
	require.Equal(t, statusOK, v.GetStatus())
	assert.Equal(t, uint64(6), v.GetAccepted())
	assert.Equal(t, int64(400), v.GetState().GetLeaseNs())
	assert.Equal(t, statusRejected, prepare(t, a, 100, "other", 4).GetStatus(), "the installed floor holds")
}

func TestAdoptOnlyMovesToHigherVersions(t *testing.T) {
	a := newAcceptor(t, func(c *Config) { c.View = mkView(t, 2) })
	assert.False(t, a.Adopt(mkView(t, 1)))
	assert.False(t, a.Adopt(mkView(t, 2, "m1", "m2")), "same version, other masters")
	assert.Equal(t, mkView(t, 2).Hash(), a.View().Hash())
	assert.True(t, a.Adopt(mkView(t, 4)), "versions may be skipped")
	assert.Equal(t, uint64(4), a.View().Version)
	assert.False(t, a.Adopt(mkView(t, 3)))
	assert.Equal(t, uint64(4), a.View().Version)
}

func TestAdoptEndsSealButMakesNoRecoveringAcceptorVote(t *testing.T) {
	a := newAcceptor(t)
	seal(t, a, 0, 1)
	require.True(t, a.Adopt(mkView(t, 2)))
	assert.False(t, a.Sealed())
	assert.False(t, a.Votes(), "not before it knows the commit")
	assert.True(t, a.SyncRequest("m2", 0).GetNeedCommit(), "its syncs ask for it")
	commit(t, a, &messages.ViewCommit{View: mkView(t, 2).Proto()})
	assert.True(t, a.Votes(), "a change that carried no state: it votes on")
	assert.False(t, a.SyncRequest("m2", 0).GetNeedCommit())

	a = newAcceptor(t, notVoting)
	require.Equal(t, statusOK, install(t, a, 0, &messages.Install{Version: 2}).GetStatus())
	require.True(t, a.Adopt(mkView(t, 2)))
	assert.False(t, a.Voting(), "only a commit naming its install makes it vote")
}

func TestAdoptKeepsInstallForLaterVersion(t *testing.T) {
	a := newAcceptor(t, notVoting)
	require.Equal(t, statusOK, install(t, a, 0, &messages.Install{Version: 3}).GetStatus())
	require.True(t, a.Adopt(mkView(t, 2)))
	assert.True(t, a.Sealed(), "the install for version 3 still seals version 2")
	ack := commit(t, a, &messages.ViewCommit{View: mkView(t, 3).Proto(), Installed: []string{"m1"},
		InstalledIncarnations: []uint64{selfInc}})
	assert.True(t, ack.GetVoting())
	assert.False(t, a.Sealed())
}

// A recovering master that installed the merge for version 2 and then
// adopted view 2 from a peer (a SyncReply carrying it, or Adopt after a
// WRONG_VIEW) before the commit arrived votes when the commit names it.
func TestViewCommitOfAdoptedViewMakesInstalledAcceptorVote(t *testing.T) {
	a := newAcceptor(t, notVoting)
	require.Equal(t, statusOK, install(t, a, 0, &messages.Install{Version: 2}).GetStatus())
	v2 := mkView(t, 2)
	a.ApplySync(0, "m2", &messages.SyncReply{Status: statusOK, ViewVersion: 2, View: v2.Proto()})
	require.Equal(t, uint64(2), a.View().Version)
	ack := commit(t, a, &messages.ViewCommit{View: v2.Proto(), Installed: []string{"m1"},
		InstalledIncarnations: []uint64{selfInc}})
	assert.True(t, ack.GetVoting())
}

// hearAll answers the acceptor's syncs from every master it knows of.
func hearAll(a *Acceptor) {
	for _, m := range a.Unheard() {
		a.ApplySync(0, m, &messages.SyncReply{Status: statusOK, ViewVersion: a.View().Version})
	}
}

// A recovering master vouches for no view until every master it knows of
// has answered its sync: one of them may hold a newer view it accepted
// and forgot.
func TestRecoveringAcceptorIsTrustedOnlyOnceEveryKnownMasterAnswered(t *testing.T) {
	a := newAcceptor(t, notVoting, func(c *Config) { c.LockDelay = 1_000 })
	unheard := a.Unheard()
	require.NotEmpty(t, unheard)
	assert.NotContains(t, unheard, a.cfg.Self)
	for _, m := range unheard[1:] {
		a.ApplySync(0, m, &messages.SyncReply{Status: statusOK, ViewVersion: a.View().Version})
	}
	require.Equal(t, []string{unheard[0]}, a.Unheard())
	require.Equal(t, statusOK, seal(t, a, 5_000, 5).GetStatus())
	assert.Zero(t, seal(t, a, 5_000, 6).GetRecoveringNs(), "not trusted: a master is unheard")
	v2 := mkView(t, 2).Proto()
	assert.Equal(t, statusNotReady, viewAcceptAt(t, a, 5_000, &messages.ViewAccept{Ballot: 6, View: v2}).GetStatus())

	// The last master holds view 2: its reply brings it, and the change
	// to version 2 is refused.
	a.ApplySync(0, unheard[0], &messages.SyncReply{Status: statusOK, ViewVersion: 2, View: v2})
	assert.Empty(t, a.Unheard())
	assert.Equal(t, uint64(2), a.View().Version)
	r := handle[*messages.SealReply](t, a, 5_000, &messages.Seal{ReqId: 4, Version: 2, Ballot: 7})
	assert.Equal(t, statusWrongView, r.GetStatus())
}

// After a change that carried state, only the masters that installed all
// of it vote: a state of another's own may outrank what the new quorums
// hold.
func TestAfterAChangeThatCarriedStateOnlyInstalledMastersVote(t *testing.T) {
	v2 := mkView(t, 2, "m1", "m2", "m4").Proto()
	a := newAcceptor(t)
	ack := commit(t, a, &messages.ViewCommit{View: v2, Installed: []string{"m2", "m4"}, InstalledIncarnations: []uint64{1, 2}})
	assert.False(t, ack.GetVoting(), "m1 installed nothing: it rejoins")

	a = newAcceptor(t)
	require.Equal(t, statusOK, install(t, a, 0, &messages.Install{Version: 2, Final: true}).GetStatus())
	ack = commit(t, a, &messages.ViewCommit{View: v2, Installed: []string{"m1", "m2"}, InstalledIncarnations: []uint64{selfInc, 1}})
	assert.True(t, ack.GetVoting())

	// A sync reply brings the view with its commit.
	a = newAcceptor(t)
	require.Equal(t, statusOK, install(t, a, 0, &messages.Install{Version: 2, Final: true}).GetStatus())
	a.ApplySync(0, "m2", &messages.SyncReply{Status: statusOK, ViewVersion: 2, View: v2,
		Commit: &messages.ViewCommit{View: v2, Installed: []string{"m1"}, InstalledIncarnations: []uint64{selfInc}}})
	assert.True(t, a.Voting())
}

// A master that missed changes votes on if none since the view it voted
// in carried state.
func TestAMasterThatMissedChangesVotesOnOnlyIfNoneCarriedState(t *testing.T) {
	v3 := mkView(t, 3).Proto()
	a := newAcceptor(t)
	commit(t, a, &messages.ViewCommit{View: v3, Carried: 0})
	assert.True(t, a.Voting(), "versions 2 and 3 carried nothing")
	assert.Zero(t, a.Carried())

	a = newAcceptor(t)
	commit(t, a, &messages.ViewCommit{View: v3, Carried: 2})
	assert.False(t, a.Voting(), "version 2 carried state it never installed")
	assert.Equal(t, uint64(2), a.Carried())

	a = newAcceptor(t)
	a.Adopt(mkView(t, 2))
	assert.Equal(t, uint64(2), a.Carried(), "not knowing the commit, it assumes the change carried state")
}

// A view accept needs a seal at exactly its ballot: ballot 0 matches no
// seal.
func TestViewAcceptWithoutASealIsRefused(t *testing.T) {
	a := newAcceptor(t)
	r := viewAcceptAt(t, a, 0, &messages.ViewAccept{Ballot: 0, View: mkView(t, 2).Proto()})
	assert.Equal(t, statusRejected, r.GetStatus())
	_, ok := a.AcceptedView()
	assert.False(t, ok)
	assert.True(t, a.Votes())
}

// A key an install leaves with nothing accepted is dropped like any idle
// key once the view change is over.
func TestAKeyAnInstallEmptiesIsDropped(t *testing.T) {
	a := newAcceptor(t)
	mustAccept(t, a, 0, "k", 5, held("v", 5, 5, maxLease))
	a.Expire(2 * ttl) // its first idle deadline passes while it is held
	require.Equal(t, statusOK, install(t, a, 2*ttl, &messages.Install{Version: 2, Ballot: 1, Final: true,
		Entries: []*messages.DumpEntry{{Key: "k", Promised: 6}}}).GetStatus())
	commit(t, a, &messages.ViewCommit{View: mkView(t, 2).Proto(), Installed: []string{self}, InstalledIncarnations: []uint64{selfInc}})
	a.Expire(4 * ttl)
	assert.Empty(t, a.Keys())
}

// A held state copied in with nothing left is reported abandoned after
// TombstoneTTL, as one that expired here.
func TestAStateCopiedInExpiredIsAbandoned(t *testing.T) {
	a := newAcceptor(t, loneMaster) // it reads every abandoned key
	learn(t, a, 0, learned("k", 5, held("v", 5, 5, 0), true))
	a.Expire(ttl)
	assert.Contains(t, a.Abandoned(ttl), "k")
}

// Vouches count masters of one view: a view change forgets them.
func TestAdoptForgetsVouches(t *testing.T) {
	r := newAcceptor(t, func(c *Config) { c.Self = "r1" })
	r.ApplySync(10, "m2", syncReply(r, 1, learned("k", 6, free(6), false)))
	require.True(t, r.Adopt(mkView(t, 2)))
	r.ApplySync(10, "m3", &messages.SyncReply{Status: statusOK, Incarnation: 99, Last: 1, ViewVersion: 2,
		Entries: []*messages.Learned{learned("k", 6, free(6), false)}})
	acc, _ := ballots(r, "k")
	assert.Zero(t, acc, "m2's vouch from view 1 no longer counts")
}
