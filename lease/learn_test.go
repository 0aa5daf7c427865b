package lease

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker/messages"
)

func TestLearnReplacesLowerAcceptedBallotRegardlessOfPromise(t *testing.T) {
	tests := []struct {
		name         string
		promise      uint64 // prepared after accepting 5
		ballot       uint64
		wantPromised uint64
	}{
		{"no promise above", 0, 6, 6},
		{"below the promise", 20, 6, 20},
		{"at the promise", 20, 20, 20},
		{"above the promise", 20, 30, 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAcceptor(t)
			mustAccept(t, a, 0, "k", 5, free(5))
			if tt.promise != 0 {
				require.Equal(t, statusOK, prepare(t, a, 0, "k", tt.promise).GetStatus())
			}
			learn(t, a, 10, learned("k", tt.ballot, held("v", tt.ballot, tt.ballot, 100), true))
			acc, p := ballots(a, "k")
			assert.Equal(t, tt.ballot, acc)
			assert.Equal(t, tt.wantPromised, p, "P = max(P, b)")
			_, chosen := a.Promise("k")
			assert.True(t, chosen)
			e := published(a, "k")
			require.NotNil(t, e)
			assert.Equal(t, int64(110), e.ExpiresAt, "the lease left counts from the learn")
		})
	}
}

func TestLearnOfUnknownKeyInstallsIt(t *testing.T) {
	a := newAcceptor(t, notVoting) // a learner need not vote
	learn(t, a, 0, learned("k", 4, held("v", 4, 4, 100), true))
	acc, p := ballots(a, "k")
	assert.Equal(t, uint64(4), acc)
	assert.Equal(t, uint64(4), p)
	assert.NotNil(t, published(a, "k"))
}

func TestLearnAtOrBelowAcceptedBallotChangesNothingButEqualMarksChosen(t *testing.T) {
	a := newAcceptor(t)
	mustAccept(t, a, 0, "k", 5, held("v", 5, 5, 100))
	e := published(a, "k")

	learn(t, a, 50, learned("k", 4, free(4), true))
	acc, _ := ballots(a, "k")
	assert.Equal(t, uint64(5), acc, "lower: ignored")
	_, chosen := a.Promise("k")
	assert.False(t, chosen)

	learn(t, a, 50, learned("k", 5, held("v", 5, 5, 100), true))
	acc, p := ballots(a, "k")
	assert.Equal(t, uint64(5), acc)
	assert.Equal(t, uint64(5), p)
	_, chosen = a.Promise("k")
	assert.True(t, chosen, "equal: now known chosen")
	assert.Same(t, e, published(a, "k"), "equal: the lease is not restarted")
}

func TestLearnWithReqIDGetsLearnAck(t *testing.T) {
	a := newAcceptor(t)
	ack := handle[*messages.LearnAck](t, a, 0, &messages.Learn{ReqId: 42, Entries: []*messages.Learned{
		learned("k", 1, free(1), true)}})
	assert.Equal(t, uint64(42), ack.GetReqId())

	reply, known := a.Handle(0, "m2", &messages.Learn{Entries: []*messages.Learned{learned("j", 1, free(1), true)}})
	assert.True(t, known)
	assert.Nil(t, reply, "no req_id: no ack")
}

func TestSealedAcceptorIgnoresLearnsButAcksThem(t *testing.T) {
	a := newAcceptor(t)
	mustAccept(t, a, 0, "k", 5, free(5))
	require.Equal(t, statusOK, seal(t, a, 0, 1).GetStatus())
	ack := handle[*messages.LearnAck](t, a, 0, &messages.Learn{ReqId: 3, Entries: []*messages.Learned{
		learned("k", 6, held("v", 6, 6, 100), true), learned("j", 6, free(6), true)}})
	assert.Equal(t, uint64(3), ack.GetReqId())
	acc, _ := ballots(a, "k")
	assert.Equal(t, uint64(5), acc)
	assert.Equal(t, 1, a.Len())
	assert.Nil(t, published(a, "k"))
}

func TestLearnEntryNotMarkedChosenFollowsAcceptRule(t *testing.T) {
	a := newAcceptor(t)
	mustAccept(t, a, 0, "k", 5, free(5))
	require.Equal(t, statusOK, prepare(t, a, 0, "k", 20).GetStatus())
	learn(t, a, 0, learned("k", 6, free(6), false), learned("j", 6, free(6), false))
	acc, _ := ballots(a, "k")
	assert.Equal(t, uint64(5), acc, "blocked by the promise")
	acc, p := ballots(a, "j")
	assert.Equal(t, uint64(6), acc, "nothing promised: taken")
	assert.Equal(t, uint64(6), p)
	_, chosen := a.Promise("j")
	assert.False(t, chosen)
}

func TestLearnIgnoresMalformedEntries(t *testing.T) {
	a := newAcceptor(t)
	learn(t, a, 0,
		nil,
		learned("", 1, free(1), true),
		learned("k", 0, free(1), true),
		learned("k", 1, nil, true),
		learned("k", 1, free(0), true),
		learned("k", 1, held("v", 1, 1, -1), true),
		learned("k", 1, held("v", 1, 1, maxLease+1), true),
		learned("k", 1, held("v", 0, 1, 10), true),
		learned("k", 1, &messages.State{Held: true, Token: 1, Origin: 1, LeaseNs: 10}, true),
	)
	assert.Zero(t, a.Len())
}

func TestLearnedHeldCopyWithNothingLeftIsKeptUnpublished(t *testing.T) {
	a := newAcceptor(t)
	learn(t, a, 0, learned("k", 3, held("v", 3, 3, 0), true))
	acc, st := a.State(0, "k")
	assert.Equal(t, uint64(3), acc)
	assert.True(t, st.GetHeld())
	assert.Zero(t, st.GetLeaseNs())
	assert.Nil(t, published(a, "k"))
	a.Expire(10 * ttl)
	assert.Equal(t, 1, a.Len(), "a held state is never dropped, expired or not")
}

func TestLearnOfDroppedKeyAtOrBelowFloorIsIgnored(t *testing.T) {
	a := newAcceptor(t, loneMaster)
	mustAccept(t, a, 0, "k", 5, free(5))
	a.Expire(ttl)
	require.Zero(t, a.Len())
	require.Equal(t, uint64(5), a.Floor())
	learn(t, a, ttl, learned("k", 5, free(5), true), learned("k", 4, held("v", 4, 4, 100), true))
	assert.Zero(t, a.Len(), "a stale learn does not resurrect a dropped key")
	learn(t, a, ttl, learned("k", 6, free(6), true))
	acc, _ := ballots(a, "k")
	assert.Equal(t, uint64(6), acc)
}
