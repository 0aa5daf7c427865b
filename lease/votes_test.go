package lease

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/protolocker/locker/messages"
)

func TestPreparePromisesOnlyBallotAboveBothPromisedAndAccepted(t *testing.T) {
	// setup leaves key "k" with P = 8 and A = 5, or P = A = 8 ("accepted 8").
	tests := []struct {
		name         string
		acceptedHigh bool
		ballot       uint64
		want         messages.Status
		wantPromised uint64 // on REJECTED
		wantAccepted uint64
	}{
		{"below promise", false, 7, statusRejected, 8, 5},
		{"equal to promise", false, 8, statusRejected, 8, 5},
		{"above promise", false, 9, statusOK, 0, 5},
		{"equal to accepted", true, 8, statusRejected, 8, 8},
		{"above accepted", true, 9, statusOK, 0, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAcceptor(t)
			if tt.acceptedHigh {
				mustAccept(t, a, 0, "k", 8, free(8))
			} else {
				mustAccept(t, a, 0, "k", 5, free(5))
				require.Equal(t, statusOK, prepare(t, a, 0, "k", 8).GetStatus())
			}
			v := prepare(t, a, 0, "k", tt.ballot)
			assert.Equal(t, tt.want, v.GetStatus())
			assert.Equal(t, tt.wantPromised, v.GetPromised())
			assert.Equal(t, tt.wantAccepted, v.GetAccepted())
			_, p := ballots(a, "k")
			if tt.want == statusOK {
				assert.Equal(t, tt.ballot, p, "promised")
			} else {
				assert.Equal(t, uint64(8), p, "a refusal changes no promise")
			}
		})
	}
}

func TestPrepareOfUnknownKeyPromisesAndReportsNothingAccepted(t *testing.T) {
	a := newAcceptor(t)
	v := prepare(t, a, 0, "k", 3)
	require.Equal(t, statusOK, v.GetStatus())
	assert.Zero(t, v.GetAccepted())
	assert.Nil(t, v.GetState())
	assert.Equal(t, uint64(1), v.GetReqId())
	p, chosen := a.Promise("k")
	assert.Equal(t, uint64(3), p)
	assert.False(t, chosen)
	assert.Nil(t, published(a, "k"), "a promise publishes nothing")
}

func TestPrepareReportsAcceptedStateWithLeaseLeft(t *testing.T) {
	a := newAcceptor(t)
	st := held("v", 4, 4, 800)
	st.Base, st.TenureBase = 2, 1
	mustAccept(t, a, 100, "k", 4, st)

	v := prepare(t, a, 400, "k", 5)
	require.Equal(t, statusOK, v.GetStatus())
	assert.Equal(t, uint64(4), v.GetAccepted())
	want := &messages.State{Held: true, Value: []byte("v"), Token: 4, Origin: 4, LeaseNs: 500, Base: 2, TenureBase: 1}
	assert.True(t, proto.Equal(want, v.GetState()), "got %v", v.GetState())

	v = prepare(t, a, 900, "k", 6) // due at 900, Expire not called yet
	assert.Zero(t, v.GetState().GetLeaseNs(), "nothing left at the deadline")
	v = prepare(t, a, 5_000, "k", 7)
	assert.Zero(t, v.GetState().GetLeaseNs(), "nothing left past it: not negative")
	assert.True(t, v.GetState().GetHeld(), "an expired state is still reported as accepted")
}

func TestPrepareReportsFreeState(t *testing.T) {
	a := newAcceptor(t)
	st := free(6)
	st.Base = 5
	mustAccept(t, a, 0, "k", 6, st)
	v := prepare(t, a, 0, "k", 7)
	assert.True(t, proto.Equal(&messages.State{Origin: 6, Base: 5}, v.GetState()), "got %v", v.GetState())
}

func TestAcceptNeedsBallotAtLeastPromisedAndAccepted(t *testing.T) {
	tests := []struct {
		name         string
		promise      uint64 // prepared after accepting 5 (0: none)
		ballot       uint64
		want         messages.Status
		wantPromised uint64 // on REJECTED: max(P, A)
	}{
		{"below accepted", 0, 4, statusRejected, 5},
		{"above accepted", 0, 6, statusOK, 0},
		{"below promise", 9, 8, statusRejected, 9},
		{"equal to promise", 9, 9, statusOK, 0},
		{"above promise", 9, 10, statusOK, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAcceptor(t)
			mustAccept(t, a, 0, "k", 5, free(5))
			if tt.promise != 0 {
				require.Equal(t, statusOK, prepare(t, a, 0, "k", tt.promise).GetStatus())
			}
			v := accept(t, a, 0, "k", tt.ballot, held("w", tt.ballot, tt.ballot, 100), false)
			assert.Equal(t, tt.want, v.GetStatus())
			acc, p := ballots(a, "k")
			if tt.want == statusOK {
				assert.Equal(t, tt.ballot, v.GetAccepted())
				assert.Equal(t, tt.ballot, acc)
				assert.Equal(t, max(tt.promise, tt.ballot), p, "P rises to the accepted ballot")
				assert.NotNil(t, published(a, "k"))
			} else {
				assert.Equal(t, tt.wantPromised, v.GetPromised())
				assert.Equal(t, uint64(5), v.GetAccepted(), "a refusal names the accepted ballot")
				assert.Equal(t, uint64(5), acc, "a refusal changes nothing")
				assert.Nil(t, published(a, "k"))
			}
		})
	}
}

func TestAcceptOfUnknownKeyNeedsNoPrepare(t *testing.T) {
	a := newAcceptor(t)
	v := accept(t, a, 10, "k", 3, held("v", 3, 3, 100), false)
	require.Equal(t, statusOK, v.GetStatus())
	assert.Equal(t, uint64(3), v.GetAccepted())
	acc, p := ballots(a, "k")
	assert.Equal(t, uint64(3), acc)
	assert.Equal(t, uint64(3), p)
	e := published(a, "k")
	require.NotNil(t, e)
	assert.Equal(t, Entry{Value: []byte("v"), Token: 3, ExpiresAt: 110}, *e, "the lease counts from the accept")
}

func TestAcceptDuplicateOfAcceptedBallotIsAcknowledgedAgain(t *testing.T) {
	a := newAcceptor(t)
	mustAccept(t, a, 0, "k", 5, held("v", 5, 5, 100))
	require.Equal(t, statusOK, prepare(t, a, 0, "k", 9).GetStatus())
	before := published(a, "k")

	v := accept(t, a, 50, "k", 5, held("v", 5, 5, 100), false)
	assert.Equal(t, statusOK, v.GetStatus(), "even below a later promise")
	assert.Equal(t, uint64(5), v.GetAccepted())
	acc, p := ballots(a, "k")
	assert.Equal(t, uint64(5), acc)
	assert.Equal(t, uint64(9), p)
	assert.Same(t, before, published(a, "k"), "the duplicate does not restart the lease")
}

func TestAcceptWithNextPromisesBallotPlusOne(t *testing.T) {
	a := newAcceptor(t)
	require.Equal(t, statusOK, accept(t, a, 0, "k", 5, free(5), true).GetStatus())
	_, p := ballots(a, "k")
	assert.Equal(t, uint64(6), p)
	assert.Equal(t, statusRejected, prepare(t, a, 0, "k", 6).GetStatus(), "Prepare(b+1) comes too late")
	assert.Equal(t, statusOK, accept(t, a, 0, "k", 6, free(6), true).GetStatus(), "the one-round path")
	_, p = ballots(a, "k")
	assert.Equal(t, uint64(7), p)

	// A duplicate with next promises too.
	a = newAcceptor(t)
	mustAccept(t, a, 0, "j", 5, free(5))
	require.Equal(t, statusOK, accept(t, a, 0, "j", 5, free(5), true).GetStatus())
	_, p = ballots(a, "j")
	assert.Equal(t, uint64(6), p)

	// next never lowers a promise.
	require.Equal(t, statusOK, prepare(t, a, 0, "j", 20).GetStatus())
	require.Equal(t, statusOK, accept(t, a, 0, "j", 20, free(20), true).GetStatus())
	require.Equal(t, statusOK, prepare(t, a, 0, "j", 30).GetStatus())
	require.Equal(t, statusOK, accept(t, a, 0, "j", 20, free(20), true).GetStatus())
	_, p = ballots(a, "j")
	assert.Equal(t, uint64(30), p)
}

func TestAcceptOfMalformedProposalIsBadRequest(t *testing.T) {
	long := strings.Repeat("x", MaxKeyLen+1)
	tests := []struct {
		name   string
		key    string
		ballot uint64
		st     *messages.State
	}{
		{"nil state", "k", 1, nil},
		{"free without origin", "k", 1, free(0)},
		{"held without origin", "k", 1, held("v", 1, 0, 10)},
		{"held without value", "k", 1, &messages.State{Held: true, Token: 1, Origin: 1, LeaseNs: 10}},
		{"held without token", "k", 1, held("v", 0, 1, 10)},
		{"held with zero lease", "k", 1, held("v", 1, 1, 0)},
		{"held with negative lease", "k", 1, held("v", 1, 1, -1)},
		{"held above MaxLease", "k", 1, held("v", 1, 1, maxLease+1)},
		{"empty key", "", 1, free(1)},
		{"key too long", long, 1, free(1)},
		{"ballot 0", "k", 0, free(1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAcceptor(t)
			v := handle[*messages.Vote](t, a, 0, acceptMsg(a, tt.key, tt.ballot, tt.st, true))
			assert.Equal(t, statusBadRequest, v.GetStatus())
			assert.Equal(t, uint64(2), v.GetReqId())
			assert.Zero(t, a.Len(), "nothing kept")
		})
	}
}

func TestAcceptTakesBoundaryProposals(t *testing.T) {
	tests := []struct {
		name string
		key  string
		st   *messages.State
	}{
		{"lease of exactly MaxLease", "k", held("v", 1, 1, maxLease)},
		{"key of MaxKeyLen bytes", strings.Repeat("x", MaxKeyLen), free(1)},
		{"empty but non-nil value", "k", &messages.State{Held: true, Value: []byte{}, Token: 1, Origin: 1, LeaseNs: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAcceptor(t)
			assert.Equal(t, statusOK, accept(t, a, 0, tt.key, 1, tt.st, false).GetStatus())
		})
	}
}

func TestMaxLeaseZeroBoundsLeasesByLeaseCapOnly(t *testing.T) {
	a := newAcceptor(t, func(c *Config) { c.MaxLease = 0 })
	assert.Equal(t, statusOK, accept(t, a, 10, "k", 1, held("v", 1, 1, LeaseCap), false).GetStatus())
	assert.Equal(t, 10+LeaseCap, published(a, "k").ExpiresAt)
	assert.Equal(t, statusBadRequest, accept(t, a, 10, "j", 1, held("v", 1, 1, LeaseCap+1), false).GetStatus())
	assert.Equal(t, statusBadRequest, accept(t, a, 10, "j", 1, held("v", 1, 1, math.MaxInt64), false).GetStatus(),
		"a deadline that would overflow")
	learn(t, a, 10, learned("j", 1, held("v", 1, 1, math.MaxInt64), true))
	assert.Equal(t, 1, a.Len(), "nor is such a copy learned")
}

func TestPrepareAndReadOfMalformedRequestAreBadRequest(t *testing.T) {
	long := strings.Repeat("x", MaxKeyLen+1)
	a := newAcceptor(t)
	for _, msg := range []any{
		prepareMsg(a, "", 1), prepareMsg(a, long, 1), prepareMsg(a, "k", 0),
		readMsg(a, ""), readMsg(a, long),
	} {
		v := handle[*messages.Vote](t, a, 0, msg)
		assert.Equal(t, statusBadRequest, v.GetStatus(), "%v", msg)
	}
	assert.Zero(t, a.Len())
}

// keyVotes returns one request of each key vote for key "k" at ballot 9,
// stamped with view version and hash.
func keyVotes(version, hash uint64) []any {
	return []any{
		&messages.Prepare{Key: "k", Ballot: 9, ViewVersion: version, ViewHash: hash},
		&messages.Accept{Key: "k", Ballot: 9, State: free(9), ViewVersion: version, ViewHash: hash},
		&messages.ReadRequest{Key: "k", ViewVersion: version, ViewHash: hash},
	}
}

func TestKeyVoteNamingAnotherViewIsWrongViewWithAcceptorsView(t *testing.T) {
	cur := mkView(t, 1)
	tests := []struct {
		name          string
		self          string
		version, hash uint64
	}{
		{"older version", self, 0, mkView(t, 0).Hash()},
		{"newer version", self, 2, mkView(t, 2).Hash()},
		{"same version, other masters", self, 1, mkView(t, 1, "m1", "m2", "m4").Hash()},
		{"no hash", self, 1, 0},
		{"sent to a replica", "r1", 1, cur.Hash()},
		{"sent to a stranger", "x9", 1, cur.Hash()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAcceptor(t, func(c *Config) { c.Self = tt.self })
			for _, msg := range keyVotes(tt.version, tt.hash) {
				v := handle[*messages.Vote](t, a, 0, msg)
				assert.Equal(t, statusWrongView, v.GetStatus(), "%T", msg)
				assert.True(t, proto.Equal(cur.Proto(), v.GetView()), "%T carries the acceptor's view", msg)
			}
			assert.Zero(t, a.Len())
		})
	}
}

func TestKeyVoteToNonVotingAcceptorIsNotReady(t *testing.T) {
	a := newAcceptor(t, notVoting)
	for _, msg := range keyVotes(a.View().Version, a.View().Hash()) {
		v := handle[*messages.Vote](t, a, 0, msg)
		assert.Equal(t, statusNotReady, v.GetStatus(), "%T", msg)
		assert.Nil(t, v.GetView())
	}
	assert.False(t, a.Votes())
	assert.Zero(t, a.Len())
}

func TestKeyVoteToSealedAcceptorIsSealed(t *testing.T) {
	for _, voting := range []bool{true, false} {
		a := newAcceptor(t, func(c *Config) { c.Voting = voting })
		require.Equal(t, statusOK, seal(t, a, 0, 1).GetStatus())
		for _, msg := range keyVotes(a.View().Version, a.View().Hash()) {
			v := handle[*messages.Vote](t, a, 0, msg)
			assert.Equal(t, statusSealed, v.GetStatus(), "voting=%v %T", voting, msg)
		}
		assert.Zero(t, a.Len())
	}
}

func TestWrongViewIsCheckedBeforeSealAndNotReady(t *testing.T) {
	a := newAcceptor(t, notVoting)
	require.Equal(t, statusOK, seal(t, a, 0, 1).GetStatus())
	for _, msg := range keyVotes(5, 0) {
		assert.Equal(t, statusWrongView, handle[*messages.Vote](t, a, 0, msg).GetStatus(), "%T", msg)
	}
}

func TestReadChangesNothing(t *testing.T) {
	a := newAcceptor(t)
	v := read(t, a, 0, "absent")
	assert.Equal(t, statusOK, v.GetStatus())
	assert.Zero(t, v.GetAccepted())
	assert.Nil(t, v.GetState())
	assert.Zero(t, a.Len(), "a read of an unknown key keeps no record")

	mustAccept(t, a, 0, "k", 5, held("v", 5, 5, 100))
	require.Equal(t, statusOK, prepare(t, a, 0, "k", 8).GetStatus())
	e := published(a, "k")
	v = read(t, a, 30, "k")
	assert.Equal(t, statusOK, v.GetStatus())
	assert.Equal(t, uint64(5), v.GetAccepted())
	assert.Equal(t, int64(70), v.GetState().GetLeaseNs())
	assert.Zero(t, v.GetPromised())
	acc, p := ballots(a, "k")
	assert.Equal(t, uint64(5), acc)
	assert.Equal(t, uint64(8), p)
	assert.Same(t, e, published(a, "k"))
	assert.Equal(t, statusRejected, prepare(t, a, 0, "k", 8).GetStatus(), "the promise is still 8")
}

func TestHandleReportsUnknownMessageTypes(t *testing.T) {
	a := newAcceptor(t)
	for _, msg := range []any{nil, "prepare", &messages.Ping{}, &messages.Vote{}} {
		reply, known := a.Handle(0, "m2", msg)
		assert.False(t, known, "%T", msg)
		assert.Nil(t, reply)
	}
}

func TestHandleOfTypedNilMessagesRefusesWithoutPanic(t *testing.T) {
	a := newAcceptor(t)
	for _, msg := range []any{
		(*messages.Prepare)(nil), (*messages.Accept)(nil), (*messages.ReadRequest)(nil),
		(*messages.Learn)(nil), (*messages.SyncRequest)(nil), (*messages.SyncReply)(nil),
		(*messages.Seal)(nil), (*messages.DumpRequest)(nil), (*messages.Install)(nil),
		(*messages.ViewAccept)(nil), (*messages.ViewCommit)(nil),
	} {
		assert.NotPanics(t, func() {
			_, known := a.Handle(0, "m2", msg)
			assert.True(t, known, "%T", msg)
		}, "%T", msg)
	}
	assert.Zero(t, a.Len())
	assert.False(t, a.Sealed())
	assert.Equal(t, uint64(1), a.View().Version)
}
