package proposer_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker/internal/proposer"
)

// A refused one-round accept is decided lost after N-W+1 refusals, so
// the rule that drops a proposal every master refused from a newer
// state (onLost: t.above == len(Masters)) never applies when N > 1. The
// fallback prepare then reads a state whose own link does not jump over
// the one-round ballot (a release by another node, based on that node's
// lock), and the call ends Indeterminate although no master accepted its
// proposal.
func TestRefusedOneRoundLockAfterAnotherNodeLockedAndReleasedAnswersOK(t *testing.T) {
	c := newCluster(t, 3)
	p1, p2 := c.node("p1", 1), c.node("p2", 2)
	c.mustLock(p1, "k", "a")
	c.advance(ms)
	out, _, _ := c.do(p1, releaseReq("k", "a"))
	require.Equal(t, proposer.OK, out)
	c.advance(ms)
	c.mustLock(p2, "k", "b")
	c.advance(ms)
	out, _, _ = c.do(p2, releaseReq("k", "b"))
	require.Equal(t, proposer.OK, out)
	c.advance(ms)

	out, res, cl := c.do(p1, lockReq("k", "a")) // one-round path: refused by every master
	for _, m := range c.names {
		a, _ := c.state(m, "k")
		assert.NotEqual(t, sentOf[acceptMsg](cl)[0].GetBallot(), a, "%s never accepted the one-round proposal", m)
	}
	require.Equal(t, proposer.OK, out, cl.op.Problem())
	c.requireHeld("k", "a", res.Token)
}

// The same for a one-round Extend whose tenure another node released and
// replaced: the key is held by another value, so the answer is NotOwner.
func TestRefusedOneRoundExtendAfterAnotherTenureAnswersNotOwner(t *testing.T) {
	c := newCluster(t, 3)
	p1, p2 := c.node("p1", 1), c.node("p2", 2)
	c.mustLock(p1, "k", "a")
	c.advance(ms)
	out, _, _ := c.do(p2, releaseReq("k", "a"))
	require.Equal(t, proposer.OK, out)
	c.advance(ms)
	tok := c.mustLock(p2, "k", "b")
	c.advance(ms)

	out, res, cl := c.do(p1, extendReq("k", "a", leaseNs))
	require.Equal(t, proposer.NotOwner, out, cl.op.Problem())
	assert.Equal(t, tok, res.Token)
	c.requireHeld("k", "b", tok)
}
