package proposer_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker/internal/proposer"
)

func TestLockOfAKeyTheTableShowsHeldAnswersLockedFromAReadPromisingNothing(t *testing.T) {
	c := newCluster(t, 3)
	tok := c.mustLock(c.node("p1", 1), "k", "a")
	c.advance(ms)
	p2 := c.node("p2", 2)
	p2.held["k"] = true

	out, res, cl := c.do(p2, lockReq("k", "b"))
	assert.Equal(t, proposer.Locked, out)
	assert.Equal(t, tok, res.Token)
	assert.Equal(t, 1, rounds[readMsg](cl))
	assert.Zero(t, rounds[prepareMsg](cl), "a read promises nothing")
	assert.Zero(t, rounds[acceptMsg](cl))

	// The holder's one-round release still lands: nothing was promised
	// above its last ballot.
	_, _, rel := c.do(c.node("p1", 1), releaseReq("k", "a"))
	assert.Equal(t, 1, rounds[acceptMsg](rel))
	assert.Zero(t, rounds[prepareMsg](rel), "one round")
	c.requireFree("k")
}

func TestLockOfAKeyTheTableWronglyShowsHeldPreparesAfterTheRead(t *testing.T) {
	c := newCluster(t, 3)
	p2 := c.node("p2", 2)
	p2.held["k"] = true // stale: the key is free

	out, res, cl := c.do(p2, lockReq("k", "b"))
	require.Equal(t, proposer.OK, out)
	assert.Equal(t, 1, rounds[readMsg](cl))
	assert.Equal(t, 1, rounds[prepareMsg](cl))
	assert.Equal(t, 1, rounds[acceptMsg](cl))
	c.requireHeld("k", "b", res.Token)
}

func TestLockOfAKeyHeldOnFewerThanWFromTheTableWritesBackBeforeAnsweringLocked(t *testing.T) {
	c := newCluster(t, 3)
	c.net = dropTo[acceptMsg]("m3") // chosen on m1, m2 only
	tok := c.mustLock(c.node("p1", 1), "k", "a")
	c.advance(ms)
	c.net = silence("m1") // p2 reads m2 (held) and m3 (nothing)
	p2 := c.node("p2", 2)
	p2.held["k"] = true

	out, res, cl := c.do(p2, lockReq("k", "b"))
	assert.Equal(t, proposer.Locked, out)
	assert.Equal(t, tok, res.Token)
	assert.Equal(t, 1, rounds[readMsg](cl))
	assert.Equal(t, 1, rounds[prepareMsg](cl), "replies differ: read again with a prepare")
	assert.Equal(t, 1, rounds[acceptMsg](cl), "and write back")
	c.requireHeld("k", "a", tok, "m2", "m3")
}

// A Lock whose proposal lost to another tenure that began and ended since
// learns from the free state which tenure it ended: that tenure started
// from a state below the proposal, so the proposal is not behind it, and
// the Lock goes on instead of ending indeterminate.
func TestALockThatLostToATenureSinceEndedGoesOn(t *testing.T) {
	c := newCluster(t, 3)
	phase := 0
	c.net = func(e env) verdict {
		_, accept := e.msg.(acceptMsg)
		switch {
		case phase == 0 && accept && e.from == "p1" && e.to != "m1":
			return hold // p1's proposal reaches m1 only, for now
		case phase == 1 && e.from == "p2" && e.to == "m1":
			return drop // p2 locks and releases on m2, m3
		}
		return deliver
	}
	cl := c.start(c.node("p1", 1), lockReq("k", "a"))
	c.settle()
	phase = 1
	p2 := c.node("p2", 2)
	out, lockRes, _ := c.do(p2, lockReq("k", "b"))
	require.Equal(t, proposer.OK, out)
	out, _, _ = c.do(p2, releaseReq("k", "b"))
	require.Equal(t, proposer.OK, out)
	_, st := c.state("m2", "k")
	assert.Equal(t, lockRes.Token, st.GetToken(), "the free state names the tenure it ended")
	phase = 2
	c.release(nil)
	c.drive(cl)
	o, res := cl.op.Outcome()
	require.Equal(t, proposer.OK, o, cl.op.Problem())
	c.requireHeld("k", "a", res.Token, "m2", "m3")
}

// The chosen state a call reports for learning is the accepted one,
// field for field: a read does not restamp its base.
func TestTheChosenStateOfAReadIsTheAcceptedOne(t *testing.T) {
	c := newCluster(t, 3)
	c.mustLock(c.node("p1", 1), "k", "a")
	c.advance(ms)
	_, _, cl := c.do(c.node("p2", 2), readReq("k"))
	chosen, _ := cl.op.Chosen()
	require.NotNil(t, chosen)
	a, st := c.state("m1", "k")
	assert.Equal(t, a, chosen.GetBallot())
	assert.Equal(t, st.GetBase(), chosen.GetState().GetBase())
	assert.Equal(t, st.GetTenureBase(), chosen.GetState().GetTenureBase())
	assert.Equal(t, st.GetToken(), chosen.GetState().GetToken())
}
