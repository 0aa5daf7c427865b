package lease

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker/messages"
)

func attached(value string, token, origin, session uint64) *messages.State {
	return &messages.State{Held: true, Value: []byte(value), Token: token, Origin: origin, Session: session}
}

func TestSessionKeyRoundTrip(t *testing.T) {
	for _, id := range []uint64{1, 0xabc, ^uint64(0)} {
		got, ok := SessionOf(SessionKey(id))
		assert.True(t, ok)
		assert.Equal(t, id, got)
	}
	for _, k := range []string{"k", SessionPrefix, SessionPrefix + "0", SessionPrefix + "zz", SessionPrefix + "0a"} {
		_, ok := SessionOf(k)
		assert.False(t, ok, "%q", k)
	}
}

func TestAttachedKeyLivesWithItsSession(t *testing.T) {
	a := newAcceptor(t)
	sk := SessionKey(9)
	mustAccept(t, a, 0, sk, 10, held("node", 10, 10, 500))
	mustAccept(t, a, 0, "a", 20, attached("x", 20, 20, 9))
	mustAccept(t, a, 0, "b", 21, attached("y", 21, 21, 9))
	require.NotNil(t, published(a, "a"))
	require.NotNil(t, published(a, "b"))
	assert.Equal(t, uint64(9), published(a, "a").Session)

	// A renewal changes nothing of the keys.
	mustAccept(t, a, 400, sk, 11, held("node", 10, 11, 500))
	a.Expire(600)
	require.NotNil(t, published(a, "a"), "the renewal runs to 900")

	// The session expires: its keys go with it.
	a.Expire(900)
	assert.Nil(t, published(a, sk))
	assert.Nil(t, published(a, "a"))
	assert.Nil(t, published(a, "b"))
	acc, st := a.State(900, "a")
	assert.Equal(t, uint64(20), acc, "the accepted state stays, to be written free")
	assert.Equal(t, uint64(9), st.GetSession())
	assert.Zero(t, st.GetLeaseNs(), "an attached state has no lease of its own")

	// A late renewal copied from another master brings them back.
	learn(t, a, 950, learned(sk, 12, held("node", 10, 12, 300), true))
	assert.NotNil(t, published(a, "a"))
}

func TestAttachedKeyOfAnUnknownSessionIsNotPublished(t *testing.T) {
	a := newAcceptor(t)
	mustAccept(t, a, 0, "a", 20, attached("x", 20, 20, 9))
	assert.Nil(t, published(a, "a"), "its session is not live here")
	mustAccept(t, a, 5, SessionKey(9), 10, held("node", 10, 10, 500))
	assert.NotNil(t, published(a, "a"), "published once the session is")
}

func TestClosedSessionUnpublishesItsKeys(t *testing.T) {
	a := newAcceptor(t)
	sk := SessionKey(3)
	mustAccept(t, a, 0, sk, 10, held("node", 10, 10, 500))
	mustAccept(t, a, 0, "a", 20, attached("x", 20, 20, 3))
	mustAccept(t, a, 1, sk, 30, free(30))
	assert.Nil(t, published(a, "a"))

	// A key re-attached elsewhere leaves the index of the old session.
	mustAccept(t, a, 2, SessionKey(4), 40, held("node", 40, 40, 500))
	mustAccept(t, a, 2, "a", 41, attached("x", 41, 41, 4))
	assert.NotNil(t, published(a, "a"))
	assert.NotContains(t, a.sessions, uint64(3))
	mustAccept(t, a, 3, "a", 42, free(42))
	assert.Empty(t, a.sessions, "a free key is attached to nothing")
}

func TestVoteOnAttachedKeyReportsItsSession(t *testing.T) {
	a := newAcceptor(t)
	sk := SessionKey(9)
	mustAccept(t, a, 0, sk, 10, held("node", 10, 10, 500))
	mustAccept(t, a, 0, "a", 20, attached("x", 20, 20, 9))
	for _, v := range []*messages.Vote{prepare(t, a, 100, "a", 30), read(t, a, 100, "a")} {
		assert.Equal(t, uint64(10), v.GetSessionAccepted())
		assert.Equal(t, int64(400), v.GetSessionState().GetLeaseNs())
		assert.Equal(t, uint64(9), v.GetState().GetSession())
	}
	assert.Zero(t, prepare(t, a, 100, sk, 31).GetSessionAccepted(), "a session itself is attached to nothing")
}

func TestAttachedProposalNeedsNoLease(t *testing.T) {
	a := newAcceptor(t)
	assert.Equal(t, statusOK, accept(t, a, 0, "a", 20, attached("x", 20, 20, 9), false).GetStatus())
	assert.Equal(t, statusBadRequest, accept(t, a, 0, "b", 21, held("x", 21, 21, 0), false).GetStatus(),
		"without a session, a held state needs a lease")
	assert.Equal(t, statusBadRequest, accept(t, a, 0, "c", 22, &messages.State{Held: true, Token: 22, Origin: 22, Session: 9}, false).GetStatus(),
		"a nil value is refused either way")
}

func TestAbandonedAttachedKeyIsReaped(t *testing.T) {
	a := newAcceptor(t)
	sk := SessionKey(9)
	mustAccept(t, a, 0, sk, 10, held("node", 10, 10, 500))
	mustAccept(t, a, 0, "a", 20, attached("x", 20, 20, 9))
	a.Expire(500)
	a.Expire(500 + ttl)
	// m1 is master 0 of 3: it reports the keys whose hash falls to it.
	want := []string{}
	for _, k := range []string{sk, "a"} {
		if hashKey(k)%3 == 0 {
			want = append(want, k)
		}
	}
	got := a.Abandoned(500 + ttl)
	if got == nil {
		got = []string{}
	}
	assert.ElementsMatch(t, want, got)
}
