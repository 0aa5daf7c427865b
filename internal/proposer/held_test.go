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
