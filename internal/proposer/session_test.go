package proposer_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker/internal/proposer"
	"github.com/protolocker/locker/lease"
	"github.com/protolocker/locker/messages"
)

const sessionID = 9

var sessionKey = lease.SessionKey(sessionID)

func attachedLock(key, value string) proposer.Request {
	return proposer.Request{Kind: proposer.Lock, Key: key, Value: []byte(value), Session: sessionID}
}

// openSession locks the session's register from n and attaches key to it
// for value.
func (c *cluster) openSession(n *node, key, value string) uint64 {
	c.t.Helper()
	c.mustLock(n, sessionKey, "owner")
	out, res, cl := c.do(n, attachedLock(key, value))
	require.Equal(c.t, proposer.OK, out, cl.op.Problem())
	return res.Token
}

// readsOf counts the read rounds of a call that read key.
func readsOf(cl *call, key string) int {
	seen := map[uint32]bool{}
	for _, m := range sentOf[readMsg](cl) {
		if m.GetKey() == key {
			seen[uint32(m.GetReqId())] = true
		}
	}
	return len(seen) / 3 // three masters per round
}

func TestAttachedTenureIsLockedWhileItsSessionLives(t *testing.T) {
	c := newCluster(t, 3)
	p1 := c.node("p1", 1)
	tok := c.openSession(p1, "k", "a")
	c.advance(4e9)
	out, _, _ := c.do(p1, extendReq(sessionKey, "owner", leaseNs))
	require.Equal(t, proposer.OK, out)
	c.advance(2e9) // past the session's first lease, within its renewal

	out, res, cl := c.do(c.node("p2", 2), lockReq("k", "b"))
	assert.Equal(t, proposer.Locked, out)
	assert.Equal(t, tok, res.Token)
	assert.Zero(t, readsOf(cl, sessionKey), "every answer reported the session")
}

// A master whose copy of the session missed a renewal reports the key's
// tenure with a session that expired there; the master that holds the
// renewal has no copy of the tenure. The call reads the session from W
// masters before it judges the tenure, and finds it live.
func TestAttachedTenureIsJudgedBySessionOnWMastersNotOne(t *testing.T) {
	c := newCluster(t, 3)
	p1 := c.node("p1", 1)
	c.mustLock(p1, sessionKey, "owner")
	c.net = dropTo[acceptMsg]("m3")
	out, _, _ := c.do(p1, attachedLock("k", "a")) // on m1, m2
	require.Equal(t, proposer.OK, out)
	c.advance(4e9)
	c.net = dropTo[acceptMsg]("m1")
	out, _, _ = c.do(p1, extendReq(sessionKey, "owner", leaseNs)) // on m2, m3
	require.Equal(t, proposer.OK, out)
	c.advance(2e9)
	_, st := c.state("m1", sessionKey)
	require.Zero(t, st.GetLeaseNs(), "m1's copy of the session expired")

	c.net = silence("m2") // the call hears m1 (tenure, stale session) and m3 (no tenure, live session)
	out, _, cl := c.do(c.node("p2", 2), lockReq("k", "b"))
	assert.Equal(t, proposer.Locked, out, cl.op.Problem())
	assert.Equal(t, 1, readsOf(cl, sessionKey), "it read the session on W masters")
}

func TestAttachedTenureEndsWithItsSession(t *testing.T) {
	c := newCluster(t, 3)
	p1 := c.node("p1", 1)
	tok := c.openSession(p1, "k", "a")
	c.advance(leaseNs + ms) // never renewed

	out, res, cl := c.do(c.node("p2", 2), lockReq("k", "b"))
	require.Equal(t, proposer.OK, out, cl.op.Problem())
	assert.Greater(t, res.Token, tok)
	c.requireHeld("k", "b", res.Token)
}

func TestReleasedSessionFreesItsTenures(t *testing.T) {
	c := newCluster(t, 3)
	p1 := c.node("p1", 1)
	c.openSession(p1, "k", "a")
	out, _, _ := c.do(p1, releaseReq(sessionKey, "owner"))
	require.Equal(t, proposer.OK, out)

	out, res, _ := c.do(p1, readReq("k"))
	require.Equal(t, proposer.OK, out)
	assert.False(t, res.Found, "its session is released")
	c.requireFree("k") // the read wrote the tenure's end
}

func TestAttachedLockTakesNoOneRoundPathOverItsOwnTenure(t *testing.T) {
	c := newCluster(t, 3)
	p1 := c.node("p1", 1)
	tok := c.openSession(p1, "k", "a")
	// p1 wrote k last, but whether its tenure lives only W masters say.
	out, res, cl := c.do(p1, lockReq("k", "b"))
	assert.Equal(t, proposer.Locked, out)
	assert.Equal(t, tok, res.Token)
	assert.Equal(t, 1, rounds[prepareMsg](cl))
}

func TestUpdateKeepsTheTenureAttached(t *testing.T) {
	c := newCluster(t, 3)
	p1 := c.node("p1", 1)
	c.openSession(p1, "k", "a")
	out, res, _ := c.do(p1, updateReq("k", "a", "b"))
	require.Equal(t, proposer.OK, out)
	for _, m := range c.names {
		_, st := c.state(m, "k")
		assert.Equal(t, uint64(sessionID), st.GetSession(), m)
		assert.Equal(t, res.Token, st.GetToken(), m)
	}
}

func TestReleaseBySessionActsOnTheAttachedTenure(t *testing.T) {
	c := newCluster(t, 3)
	p1 := c.node("p1", 1)
	c.openSession(p1, "k", "a")
	rel := proposer.Request{Kind: proposer.Release, Key: "k", Session: sessionID + 1}
	out, _, _ := c.do(p1, rel)
	assert.Equal(t, proposer.NotOwner, out, "attached to another session")

	rel.Session = sessionID
	out, _, cl := c.do(p1, rel)
	require.Equal(t, proposer.OK, out, cl.op.Problem())
	c.requireFree("k")
}

func TestReleaseBySessionTakesOneRoundFromTheLastWriter(t *testing.T) {
	c := newCluster(t, 3)
	p1 := c.node("p1", 1)
	c.openSession(p1, "k", "a")
	rel := proposer.Request{Kind: proposer.Release, Key: "k", Session: sessionID}
	out, _, cl := c.do(p1, rel)
	require.Equal(t, proposer.OK, out, cl.op.Problem())
	assert.Zero(t, rounds[prepareMsg](cl), "one round")
	assert.Equal(t, 1, rounds[acceptMsg](cl))
	c.requireFree("k")

	// Another session's release of a tenure p1 wrote takes two rounds,
	// and refuses.
	out, _, _ = c.do(p1, attachedLock("j", "a"))
	require.Equal(t, proposer.OK, out)
	out, _, cl = c.do(p1, proposer.Request{Kind: proposer.Release, Key: "j", Session: sessionID + 1})
	assert.Equal(t, proposer.NotOwner, out)
	assert.Equal(t, 1, rounds[prepareMsg](cl))
}

func TestLocalBoundsTheLastWritesOfAttachedTenuresApart(t *testing.T) {
	l := proposer.NewLocal(1, func() int64 { return 1 }, nil, nil, 1)
	attached := &messages.State{Held: true, Value: []byte("v"), Token: 1, Origin: 1, Session: 9}
	for i := range proposer.MaxLastAttached + 10 {
		l.Wrote(fmt.Sprint("a", i), proposer.Last{Version: 1, Next: 2, State: attached})
	}
	assert.Equal(t, proposer.MaxLastAttached, l.Keeps(), "attached tenures are kept to their own bound")
	l.Wrote("plain", proposer.Last{Version: 1, Next: 2, State: &messages.State{Origin: 1}})
	assert.Equal(t, proposer.MaxLastAttached+1, l.Keeps(), "other writes are not evicted for them")
	w, ok := l.Take("plain")
	require.True(t, ok)
	assert.Equal(t, uint64(2), w.Next)

	// A key written attached, then free, is kept once.
	l.Wrote("k", proposer.Last{Version: 1, Next: 3, State: attached})
	l.Wrote("k", proposer.Last{Version: 1, Next: 4, State: &messages.State{Origin: 3}})
	w, ok = l.Take("k")
	require.True(t, ok)
	assert.Equal(t, uint64(4), w.Next)
	_, ok = l.Take("k")
	assert.False(t, ok)
}
