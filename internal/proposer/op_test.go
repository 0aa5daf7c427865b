package proposer_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker/internal/proposer"
	"github.com/protolocker/locker/internal/view"
	"github.com/protolocker/locker/messages"
)

type (
	prepareMsg = *messages.Prepare
	acceptMsg  = *messages.Accept
	readMsg    = *messages.ReadRequest
)

const ms = int64(1e6)

// dropTo drops every message of type T to the named acceptors.
func dropTo[T any](names ...string) func(env) verdict {
	return func(e env) verdict {
		for _, n := range names {
			if e.to == n && is[T](e) {
				return drop
			}
		}
		return deliver
	}
}

// silence drops everything to and from the named acceptors.
func silence(names ...string) func(env) verdict {
	return func(e env) verdict {
		for _, n := range names {
			if e.to == n || e.from == n {
				return drop
			}
		}
		return deliver
	}
}

func TestLockOfFreeKeyTakesPrepareThenAcceptAndItsTokenIsTheAcceptBallot(t *testing.T) {
	c := newCluster(t, 3)
	out, res, cl := c.do(c.node("p1", 1), lockReq("k", "a"))

	require.Equal(t, proposer.OK, out, cl.op.Problem())
	assert.Equal(t, 1, rounds[prepareMsg](cl), "one prepare round")
	assert.Equal(t, 1, rounds[acceptMsg](cl), "one accept round")
	assert.Zero(t, rounds[readMsg](cl))
	accepts := sentOf[acceptMsg](cl)
	require.NotEmpty(t, accepts)
	assert.Equal(t, accepts[0].GetBallot(), res.Token, "the token is the accept's ballot")
	assert.Equal(t, sentOf[prepareMsg](cl)[0].GetBallot(), accepts[0].GetBallot(), "accepted at the promised ballot")
	assert.Equal(t, 2, res.W)
	assert.GreaterOrEqual(t, res.Commits, 2)
	c.requireHeld("k", "a", res.Token)
}

func TestLockOfHeldKeyAnswersLockedInOneRoundWhenQuorumAgrees(t *testing.T) {
	c := newCluster(t, 3)
	tok := c.mustLock(c.node("p1", 1), "k", "a")
	c.advance(ms)

	out, res, cl := c.do(c.node("p2", 2), lockReq("k", "b"))
	assert.Equal(t, proposer.Locked, out)
	assert.Equal(t, tok, res.Token, "names the holder's token")
	assert.Equal(t, 1, rounds[prepareMsg](cl))
	assert.Zero(t, rounds[acceptMsg](cl), "no write: W replies agree")
	c.requireHeld("k", "a", tok)
}

func TestLockOfHeldKeyAnswersLockedAfterWriteBackWhenRepliesDiffer(t *testing.T) {
	c := newCluster(t, 3)
	c.net = dropTo[acceptMsg]("m3") // the lock is chosen on m1, m2 only
	tok := c.mustLock(c.node("p1", 1), "k", "a")
	a3, _ := c.state("m3", "k")
	require.Zero(t, a3)
	c.advance(ms)

	c.net = silence("m1") // p2's quorum is m2 (holds) and m3 (nothing)
	out, res, cl := c.do(c.node("p2", 2), lockReq("k", "b"))
	assert.Equal(t, proposer.Locked, out)
	assert.Equal(t, tok, res.Token)
	assert.Equal(t, 1, rounds[prepareMsg](cl))
	require.Equal(t, 1, rounds[acceptMsg](cl), "wrote the newest state back before answering")
	wb := sentOf[acceptMsg](cl)[0]
	assert.Equal(t, tok, wb.GetState().GetToken(), "the write-back copies the tenure")
	assert.Equal(t, "a", string(wb.GetState().GetValue()))
	assert.Equal(t, tok, wb.GetState().GetOrigin(), "a write-back keeps the origin")
	c.requireHeld("k", "a", tok, "m2", "m3")
}

func TestReadAnswersInOneRoundWhenQuorumAgrees(t *testing.T) {
	c := newCluster(t, 3)
	p2 := c.node("p2", 2)

	out, res, cl := c.do(p2, readReq("k"))
	require.Equal(t, proposer.OK, out)
	assert.False(t, res.Found, "never written")
	assert.Equal(t, 1, rounds[readMsg](cl))
	assert.Len(t, cl.sent, 3, "nothing but the read")

	tok := c.mustLock(c.node("p1", 1), "k", "a")
	out, res, cl = c.do(p2, readReq("k"))
	require.Equal(t, proposer.OK, out)
	assert.True(t, res.Found)
	assert.Equal(t, "a", string(res.Value))
	assert.Equal(t, tok, res.Token)
	assert.Equal(t, 1, rounds[readMsg](cl))
	assert.Zero(t, rounds[prepareMsg](cl))
	assert.Zero(t, rounds[acceptMsg](cl))
	chosen, _ := cl.op.Chosen()
	require.NotNil(t, chosen, "the answer rests on a chosen state")
	assert.Equal(t, tok, chosen.GetBallot())
}

func TestReadWritesTheNewestStateBackBeforeAnsweringWhenRepliesDiffer(t *testing.T) {
	c := newCluster(t, 3)
	c.net = dropTo[acceptMsg]("m3")
	tok := c.mustLock(c.node("p1", 1), "k", "a")
	c.advance(ms)

	// m1's read and prepare are held: the read's quorum is m2 (holds)
	// and m3 (nothing). m1 still gets the write-back.
	c.net = func(e env) verdict {
		if e.to == "m1" && (is[readMsg](e) || is[prepareMsg](e)) {
			return hold
		}
		return deliver
	}
	out, res, cl := c.do(c.node("p2", 2), readReq("k"))
	require.Equal(t, proposer.OK, out, cl.op.Problem())
	assert.True(t, res.Found)
	assert.Equal(t, "a", string(res.Value))
	assert.Equal(t, tok, res.Token)
	assert.Equal(t, 1, rounds[readMsg](cl))
	assert.Equal(t, 1, rounds[prepareMsg](cl), "prepared when the replies differed")
	require.Equal(t, 1, rounds[acceptMsg](cl), "wrote back")

	wb := sentOf[acceptMsg](cl)[0].GetBallot()
	assert.Greater(t, wb, tok)
	for _, m := range c.names {
		a, st := c.state(m, "k")
		assert.Equal(t, wb, a, "%s converged on the write-back", m)
		assert.Equal(t, "a", string(st.GetValue()), m)
		assert.Equal(t, tok, st.GetToken(), m)
	}
	chosen, _ := cl.op.Chosen()
	require.NotNil(t, chosen)
	assert.Equal(t, wb, chosen.GetBallot())

	c.net = nil
	c.release(nil) // the held read and prepare change nothing now
	c.settle()
	a, _ := c.state("m1", "k")
	assert.Equal(t, wb, a)
}

func TestReadOfAnExpiredTenureWritesItFreeAndAnswersNotFound(t *testing.T) {
	c := newCluster(t, 3)
	c.mustLock(c.node("p1", 1), "k", "a")
	c.advance(leaseNs + ms)

	out, res, cl := c.do(c.node("p2", 2), readReq("k"))
	require.Equal(t, proposer.OK, out)
	assert.False(t, res.Found)
	assert.Equal(t, 1, rounds[acceptMsg](cl), "expiry is written, never answered from local judgement")
	c.requireFree("k")
}

func TestOwnExtendReleaseAndRelockAfterLockTakeOneAcceptRound(t *testing.T) {
	c := newCluster(t, 3)
	p1 := c.node("p1", 1)
	_, res, lock := c.do(p1, lockReq("k", "a"))
	require.Equal(t, 1, rounds[prepareMsg](lock))
	require.Equal(t, 1, rounds[acceptMsg](lock))
	tok := res.Token
	c.advance(ms)

	out, res, ext := c.do(p1, extendReq("k", "a", 2*leaseNs/3))
	require.Equal(t, proposer.OK, out, ext.op.Problem())
	assert.Equal(t, tok, res.Token)
	assert.Zero(t, rounds[prepareMsg](ext), "no prepare")
	assert.Equal(t, 1, rounds[acceptMsg](ext), "one accept round")
	assert.Equal(t, tok+1, sentOf[acceptMsg](ext)[0].GetBallot(), "at the ballot the lock's quorum promised next")
	c.requireHeld("k", "a", tok)
	c.advance(ms)

	out, _, rel := c.do(p1, releaseReq("k", "a"))
	require.Equal(t, proposer.OK, out, rel.op.Problem())
	assert.Zero(t, rounds[prepareMsg](rel))
	assert.Equal(t, 1, rounds[acceptMsg](rel))
	c.requireFree("k")
	c.advance(ms)

	out, res, relock := c.do(p1, lockReq("k", "b"))
	require.Equal(t, proposer.OK, out, relock.op.Problem())
	assert.Zero(t, rounds[prepareMsg](relock), "a re-lock of the key it released last")
	assert.Equal(t, 1, rounds[acceptMsg](relock))
	assert.Greater(t, res.Token, tok)
	c.requireHeld("k", "b", res.Token)
}

func TestOneRoundPathFallsBackToTwoRoundsWhenAnotherNodeWroteInBetween(t *testing.T) {
	t.Run("extend after another node's write-back", func(t *testing.T) {
		c := newCluster(t, 3)
		p1 := c.node("p1", 1)
		tok := c.mustLock(p1, "k", "a")
		c.advance(ms)
		out, _, _ := c.do(c.node("p2", 2), proposer.Request{Kind: proposer.Read, Key: "k", Repair: true})
		require.Equal(t, proposer.OK, out)
		c.advance(ms)

		out, res, ext := c.do(p1, extendReq("k", "a", leaseNs))
		require.Equal(t, proposer.OK, out, ext.op.Problem())
		assert.Equal(t, tok, res.Token)
		assert.Equal(t, 1, rounds[prepareMsg](ext), "fell back to a prepare")
		assert.Equal(t, 2, rounds[acceptMsg](ext), "the refused one-round accept, then the real one")
		c.requireHeld("k", "a", tok)
		_, st := c.state("m1", "k")
		assert.Equal(t, leaseNs, st.GetLeaseNs(), "extended")
	})
	t.Run("relock after another node locked", func(t *testing.T) {
		c := newCluster(t, 3)
		p1, p2 := c.node("p1", 1), c.node("p2", 2)
		c.mustLock(p1, "k", "a")
		c.advance(ms)
		out, _, _ := c.do(p1, releaseReq("k", "a"))
		require.Equal(t, proposer.OK, out)
		c.advance(ms)
		tok2 := c.mustLock(p2, "k", "b")
		c.advance(ms)

		out, res, relock := c.do(p1, lockReq("k", "a"))
		assert.Equal(t, proposer.Locked, out, relock.op.Problem())
		assert.Equal(t, tok2, res.Token)
		assert.Equal(t, 1, rounds[prepareMsg](relock))
		assert.Equal(t, 1, rounds[acceptMsg](relock), "only the refused one-round accept")
		c.requireHeld("k", "b", tok2)
	})
}

func TestExtendLeaseKeepsTheTokenAndRenewsTheLease(t *testing.T) {
	c := newCluster(t, 3)
	tok := c.mustLock(c.node("p1", 1), "k", "a")
	c.advance(2e9)

	// From a node that did not write the key: the two-round path.
	out, res, cl := c.do(c.node("p2", 2), extendReq("k", "a", 8e9))
	require.Equal(t, proposer.OK, out, cl.op.Problem())
	assert.Equal(t, tok, res.Token)
	assert.Equal(t, 1, rounds[prepareMsg](cl))
	c.requireHeld("k", "a", tok)
	for _, m := range c.names {
		_, st := c.state(m, "k")
		assert.Equal(t, int64(8e9), st.GetLeaseNs(), m)
	}

	c.advance(7e9) // past the lock's first lease, within the extension
	out, res, _ = c.do(c.node("p3", 3), readReq("k"))
	require.Equal(t, proposer.OK, out)
	assert.True(t, res.Found)
	assert.Equal(t, tok, res.Token)
}

func TestReleaseFreesTheKey(t *testing.T) {
	c := newCluster(t, 3)
	p1, p2 := c.node("p1", 1), c.node("p2", 2)
	tok := c.mustLock(p1, "k", "a")
	c.advance(ms)

	out, _, cl := c.do(p2, releaseReq("k", "a")) // by value, from another node
	require.Equal(t, proposer.OK, out, cl.op.Problem())
	assert.Equal(t, 1, rounds[acceptMsg](cl))
	c.requireFree("k")
	c.advance(ms)

	out, res, _ := c.do(p2, readReq("k"))
	require.Equal(t, proposer.OK, out)
	assert.False(t, res.Found)
	tok2 := c.mustLock(p2, "k", "b")
	assert.Greater(t, tok2, tok)
}

func TestReleaseOfAFreeKeyAnswersOKWithoutWriting(t *testing.T) {
	c := newCluster(t, 3)
	p1 := c.node("p1", 1)
	out, _, cl := c.do(p1, releaseReq("never", "a"))
	assert.Equal(t, proposer.OK, out, cl.op.Problem())
	assert.Zero(t, rounds[acceptMsg](cl))

	c.mustLock(p1, "k", "a")
	out, _, _ = c.do(p1, releaseReq("k", "a"))
	require.Equal(t, proposer.OK, out)
	c.advance(ms)
	out, _, cl = c.do(c.node("p2", 2), releaseReq("k", "a"))
	assert.Equal(t, proposer.OK, out, cl.op.Problem())
	assert.Zero(t, rounds[acceptMsg](cl))
}

func TestReleaseAndExtendByAnotherValueAnswerNotOwner(t *testing.T) {
	c := newCluster(t, 3)
	p1, p2 := c.node("p1", 1), c.node("p2", 2)
	tok := c.mustLock(p1, "k", "a")
	c.advance(ms)

	for _, x := range []struct {
		name string
		n    *node
	}{{"another node", p2}, {"the holder's node", p1}} {
		name, n := x.name, x.n
		out, res, cl := c.do(n, releaseReq("k", "b"))
		assert.Equal(t, proposer.NotOwner, out, "release from %s", name)
		assert.Equal(t, tok, res.Token)
		assert.Zero(t, rounds[acceptMsg](cl))

		out, res, cl = c.do(n, extendReq("k", "b", leaseNs))
		assert.Equal(t, proposer.NotOwner, out, "extend from %s", name)
		assert.Equal(t, tok, res.Token)
		assert.Zero(t, rounds[acceptMsg](cl))
	}
	c.requireHeld("k", "a", tok)
}

func TestUpdateReplacesTheValueWithANewTokenAndKeepsTheLeaseLeft(t *testing.T) {
	c := newCluster(t, 3)
	p1 := c.node("p1", 1)
	tok := c.mustLock(p1, "k", "a")
	c.advance(1e9)

	// One round: p1 wrote the key last.
	out, res, cl := c.do(p1, updateReq("k", "a", "b"))
	require.Equal(t, proposer.OK, out, cl.op.Problem())
	assert.Zero(t, rounds[prepareMsg](cl))
	tok2 := res.Token
	assert.Greater(t, tok2, tok, "an update starts a new tenure")
	assert.Equal(t, sentOf[acceptMsg](cl)[0].GetBallot(), tok2)
	c.requireHeld("k", "b", tok2)
	for _, m := range c.names {
		_, st := c.state(m, "k")
		assert.Equal(t, leaseNs-1e9, st.GetLeaseNs(), "%s: the lease left is kept", m)
	}
	c.advance(1e9)

	// Two rounds, from another node.
	out, res, cl = c.do(c.node("p2", 2), updateReq("k", "b", "c"))
	require.Equal(t, proposer.OK, out, cl.op.Problem())
	assert.Equal(t, 1, rounds[prepareMsg](cl))
	assert.Greater(t, res.Token, tok2)
	c.requireHeld("k", "c", res.Token)
	for _, m := range c.names {
		_, st := c.state(m, "k")
		assert.Equal(t, leaseNs-2e9, st.GetLeaseNs(), "%s: the lease left is kept", m)
	}

	out, _, _ = c.do(c.node("p3", 3), updateReq("k", "b", "d"))
	assert.Equal(t, proposer.NotOwner, out, "the expected value no longer holds the key")
}

func TestUpdateOfAFreeKeyAnswersNotFound(t *testing.T) {
	c := newCluster(t, 3)
	p1 := c.node("p1", 1)
	out, _, cl := c.do(p1, updateReq("k", "a", "b"))
	assert.Equal(t, proposer.NotFound, out)
	assert.Zero(t, rounds[acceptMsg](cl))

	c.mustLock(p1, "k", "a")
	out, _, _ = c.do(p1, releaseReq("k", "a"))
	require.Equal(t, proposer.OK, out)
	out, _, _ = c.do(p1, updateReq("k", "a", "b"))
	assert.Equal(t, proposer.NotFound, out, "released")

	c.mustLock(p1, "x", "a")
	c.advance(leaseNs + ms)
	out, _, _ = c.do(c.node("p2", 2), updateReq("x", "a", "b"))
	assert.Equal(t, proposer.NotFound, out, "expired")
	out, _, _ = c.do(p1, extendReq("x", "a", leaseNs))
	assert.Equal(t, proposer.NotFound, out, "an expired tenure cannot be extended")
}

func TestAcceptOnFewerThanWThenSilenceEndsIndeterminateAndALaterReadCompletesIt(t *testing.T) {
	c := newCluster(t, 3)
	// The prepare reaches everyone, the accept only m1; then silence.
	accepted := false
	c.net = func(e env) verdict {
		switch {
		case accepted:
			return drop
		case is[acceptMsg](e) && e.to != "m1":
			return drop
		case e.from == "m1" && is[*messages.Vote](e) && e.msg.(*messages.Vote).GetAccepted() != 0:
			accepted = true
		}
		return deliver
	}
	out, _, cl := c.do(c.node("p1", 1), lockReq("k", "a"))
	assert.Equal(t, proposer.Indeterminate, out, cl.op.Problem())
	first := sentOf[acceptMsg](cl)[0].GetBallot()
	a1, _ := c.state("m1", "k")
	require.Equal(t, first, a1)

	c.net = nil
	c.advance(ms)
	out, res, rd := c.do(c.node("p2", 2), readReq("k"))
	require.Equal(t, proposer.OK, out, rd.op.Problem())
	assert.True(t, res.Found, "the read completed the lock")
	assert.Equal(t, "a", string(res.Value))
	assert.Equal(t, first, res.Token)
	c.requireHeld("k", "a", first)
}

func TestCallThatFindsItsOwnProposalNewestCompletesItAndAnswersOK(t *testing.T) {
	c := newCluster(t, 3)
	var first uint64
	c.net = func(e env) verdict {
		if a, ok := e.msg.(acceptMsg); ok && e.to != "m1" && (first == 0 || a.GetBallot() == first) {
			first = a.GetBallot()
			return drop // the first accept is lost everywhere but at m1
		}
		return deliver
	}
	out, res, cl := c.do(c.node("p1", 1), lockReq("k", "a"))
	require.Equal(t, proposer.OK, out, cl.op.Problem())
	assert.Equal(t, first, res.Token, "its first proposal took effect")
	assert.Equal(t, 2, rounds[prepareMsg](cl), "re-read")
	assert.Equal(t, 2, rounds[acceptMsg](cl), "and completed")
	c.requireHeld("k", "a", first, "m1", "m2", "m3")
}

func TestCallWhoseLostProposalIsOutsideTheNextQuorumWritesAfresh(t *testing.T) {
	c := newCluster(t, 3)
	var first uint64
	c.net = func(e env) verdict {
		switch m := e.msg.(type) {
		case acceptMsg:
			if e.to != "m1" && (first == 0 || m.GetBallot() == first) {
				first = m.GetBallot()
				return drop
			}
		case prepareMsg:
			if first != 0 && e.to == "m1" {
				return hold // the re-read's quorum is m2, m3: it does not see the first proposal
			}
		}
		return deliver
	}
	out, res, cl := c.do(c.node("p1", 1), lockReq("k", "a"))
	require.Equal(t, proposer.OK, out, cl.op.Problem())
	second := sentOf[acceptMsg](cl)[len(sentOf[acceptMsg](cl))-1].GetBallot()
	assert.Greater(t, second, first)
	assert.Equal(t, second, res.Token, "the tenure is the one chosen")
	c.requireHeld("k", "a", second)
}

func TestTokensStrictlyIncreaseAcrossLockAndReleaseFromDifferentNodes(t *testing.T) {
	c := newCluster(t, 3)
	nodes := []*node{c.node("p1", 1), c.node("p2", 2), c.node("p3", 3)}
	nodes[1].skew = -2e9 // its wall clock is 2 s behind
	nodes[2].skew = 1e9
	releaser := c.node("p0", 4)
	var last uint64
	lock := func(i int, n *node, v string) {
		t.Helper()
		out, res, cl := c.do(n, lockReq("k", v))
		require.Equal(t, proposer.OK, out, "lock %d by %s: %s", i, n.addr, cl.op.Problem())
		require.Greater(t, res.Token, last, "lock %d by %s", i, n.addr)
		last = res.Token
		c.advance(ms)
	}
	release := func(i int, n *node, v string) {
		t.Helper()
		out, _, cl := c.do(n, releaseReq("k", v))
		require.Equal(t, proposer.OK, out, "release %d by %s: %s", i, n.addr, cl.op.Problem())
		c.advance(ms)
	}
	// Two-round locks by nodes whose clocks differ, released by another
	// node (by value).
	for i := range 9 {
		v := string(rune('a' + i))
		lock(i, nodes[i%3], v)
		release(i, releaser, v)
	}
	// Each node in turn locks, releases its own lock and locks again (the
	// one-round path), and releases.
	for i, n := range nodes {
		v := string(rune('A' + i))
		lock(i, n, v)
		release(i, n, v)
		lock(i, n, v+"2")
		release(i, n, v+"2")
	}
}

func TestConcurrentLocksOfOneKeyChooseOneHolder(t *testing.T) {
	c := newCluster(t, 3)
	a := c.start(c.node("p1", 1), lockReq("k", "a"))
	b := c.start(c.node("p2", 2), lockReq("k", "b"))
	c.drive(a, b)
	require.True(t, a.op.Done())
	require.True(t, b.op.Done())
	outA, resA := a.op.Outcome()
	outB, resB := b.op.Outcome()
	assert.ElementsMatch(t, []proposer.Outcome{proposer.OK, proposer.Locked}, []proposer.Outcome{outA, outB})
	assert.Equal(t, resA.Token, resB.Token, "the loser names the winner's token")
	winner := "a"
	if outB == proposer.OK {
		winner = "b"
	}
	c.requireHeld("k", winner, resA.Token)
}

func TestFewerThanWAnsweringTwiceInARowEndsNoQuorumPromptly(t *testing.T) {
	for _, kind := range []proposer.Request{lockReq("k", "a"), readReq("k"), releaseReq("k", "a")} {
		t.Run(kind.Kind.String()+" silent", func(t *testing.T) {
			c := newCluster(t, 3)
			c.net = silence("m2", "m3")
			start := c.now
			out, _, cl := c.do(c.node("p1", 1), kind)
			assert.Equal(t, proposer.NoQuorum, out, cl.op.Problem())
			assert.Zero(t, rounds[acceptMsg](cl), "nothing proposed")
			// Two silent rounds, and the back-off of the first attempt
			// between them.
			assert.LessOrEqual(t, c.now-start, 2*roundTimeout+minBackoff)
		})
	}
	t.Run("known down", func(t *testing.T) {
		c := newCluster(t, 3)
		c.net = silence("m2", "m3")
		p1 := c.node("p1", 1)
		p1.down["m2"], p1.down["m3"] = true, true
		start := c.now
		out, _, cl := c.do(p1, lockReq("k", "a"))
		assert.Equal(t, proposer.NoQuorum, out, cl.op.Problem())
		assert.LessOrEqual(t, c.now-start, minBackoff, "no round waits for masters known down")
	})
	t.Run("one silent round then answers", func(t *testing.T) {
		c := newCluster(t, 3)
		var first uint64
		c.net = func(e env) verdict {
			if p, ok := e.msg.(prepareMsg); ok && e.to != "m1" && (first == 0 || p.GetBallot() == first) {
				first = p.GetBallot() // only the first round is silent
				return drop
			}
			return deliver
		}
		out, _, cl := c.do(c.node("p1", 1), lockReq("k", "a"))
		assert.Equal(t, proposer.OK, out, cl.op.Problem())
	})
}

func TestARefusalNamingANewerViewStallsTheCallUntilSetViewResumesIt(t *testing.T) {
	c := newCluster(t, 4)
	v1, err := view.NewView(1, []string{"m1", "m2", "m3"}, nil, 0)
	require.NoError(t, err)
	v2, err := view.NewView(2, []string{"m1", "m2", "m3", "m4"}, nil, 3)
	require.NoError(t, err)
	for i, m := range c.names {
		c.accs[m] = c.newAcceptor(m, v2, uint64(10+i))
	}
	c.view = v2

	cl := c.startIn(c.node("p1", 1), lockReq("k", "a"), v1)
	c.drive(cl)
	require.False(t, cl.op.Done(), "stalled, not failed")
	assert.Zero(t, cl.op.Deadline(), "waits for nothing but SetView")
	nv, ok := cl.op.Newer()
	require.True(t, ok)
	assert.Equal(t, v2.Version, nv.Version)
	assert.Equal(t, v2.Masters, nv.Masters)
	assert.Equal(t, v2.Hash(), nv.Hash())
	assert.Empty(t, cl.op.Tick(c.now+10*roundTimeout), "a stalled call does not tick")

	before := len(cl.sent)
	c.dispatch(cl, cl.op.SetView(c.now, nv))
	_, ok = cl.op.Newer()
	assert.False(t, ok)
	c.drive(cl)
	require.True(t, cl.op.Done())
	out, res := cl.op.Outcome()
	require.Equal(t, proposer.OK, out, cl.op.Problem())
	assert.Equal(t, 3, res.W)
	assert.Equal(t, uint64(2), cl.op.View().Version)
	for _, m := range cl.sent[before:] {
		switch x := m.(type) {
		case prepareMsg:
			assert.Equal(t, v2.Hash(), x.GetViewHash())
		case acceptMsg:
			assert.Equal(t, v2.Hash(), x.GetViewHash())
		}
	}
	prepares := 0
	for _, m := range cl.sent[before:] {
		if _, ok := m.(prepareMsg); ok {
			prepares++
		}
	}
	assert.Equal(t, 4, prepares, "the new round addresses all four masters")
	c.requireHeld("k", "a", res.Token)
	assert.Empty(t, cl.op.SetView(c.now, v1), "an older view changes nothing")
}

func TestAbortEndsTheCallNoQuorumOrIndeterminateOnceItProposed(t *testing.T) {
	t.Run("before any accept", func(t *testing.T) {
		c := newCluster(t, 3)
		c.net = func(env) verdict { return hold }
		cl := c.start(c.node("p1", 1), lockReq("k", "a"))
		cl.op.Abort("context ended")
		require.True(t, cl.op.Done())
		out, _ := cl.op.Outcome()
		assert.Equal(t, proposer.NoQuorum, out)
		assert.Equal(t, "context ended", cl.op.Problem())
	})
	t.Run("after its accept", func(t *testing.T) {
		c := newCluster(t, 3)
		c.net = func(e env) verdict {
			if is[acceptMsg](e) {
				return hold
			}
			return deliver
		}
		cl := c.start(c.node("p1", 1), lockReq("k", "a"))
		c.settle()
		require.NotEmpty(t, c.held)
		cl.op.Abort("context ended")
		out, _ := cl.op.Outcome()
		assert.Equal(t, proposer.Indeterminate, out)
	})
	t.Run("after a one-round accept", func(t *testing.T) {
		c := newCluster(t, 3)
		p1 := c.node("p1", 1)
		c.mustLock(p1, "k", "a")
		c.net = func(e env) verdict {
			if is[acceptMsg](e) {
				return hold
			}
			return deliver
		}
		cl := c.start(p1, releaseReq("k", "a"))
		require.Equal(t, 1, rounds[acceptMsg](cl))
		cl.op.Abort("context ended")
		out, _ := cl.op.Outcome()
		assert.Equal(t, proposer.Indeterminate, out)
	})
	t.Run("after a write-back only", func(t *testing.T) {
		c := newCluster(t, 3)
		c.net = dropTo[acceptMsg]("m3")
		c.mustLock(c.node("p1", 1), "k", "a")
		c.net = func(e env) verdict {
			switch {
			case e.to == "m1" && !is[acceptMsg](e):
				return drop
			case is[acceptMsg](e):
				return hold
			}
			return deliver
		}
		c.advance(ms)
		cl := c.start(c.node("p2", 2), lockReq("k", "b"))
		c.settle()
		require.Equal(t, 1, rounds[acceptMsg](cl), "writing the holder's state back")
		cl.op.Abort("context ended")
		out, _ := cl.op.Outcome()
		assert.Equal(t, proposer.NoQuorum, out, "a write-back is not the call's own state")
	})
	t.Run("after the end", func(t *testing.T) {
		c := newCluster(t, 3)
		_, _, cl := c.do(c.node("p1", 1), lockReq("k", "a"))
		cl.op.Abort("late")
		out, _ := cl.op.Outcome()
		assert.Equal(t, proposer.OK, out)
		assert.Empty(t, cl.op.Problem())
	})
}

func TestStaleAndDuplicateRepliesChangeNothing(t *testing.T) {
	c := newCluster(t, 3)
	var votes []*messages.Vote
	c.net = func(e env) verdict {
		if v, ok := e.msg.(*messages.Vote); ok {
			votes = append(votes, v)
		}
		return deliver
	}
	_, res, cl := c.do(c.node("p1", 1), lockReq("k", "a"))
	require.True(t, cl.op.Done())
	for _, v := range votes {
		assert.Empty(t, cl.op.Step(c.now, v))
		assert.Empty(t, cl.op.Step(c.now, &messages.Vote{ReqId: v.GetReqId(), Status: messages.Status_STATUS_REJECTED, Promised: 1 << 62}))
	}
	out, res2 := cl.op.Outcome()
	assert.Equal(t, proposer.OK, out)
	assert.Equal(t, res, res2)

	// During a call: a duplicate of a counted vote is not counted twice.
	c.net = func(env) verdict { return hold }
	cl = c.start(c.node("p2", 2), lockReq("k2", "a"))
	require.Len(t, c.held, 3)
	c.net = nil
	e := c.held[0]
	reply, _ := c.accs[e.to].Handle(c.now, e.from, e.msg)
	assert.Empty(t, cl.op.Step(c.now, reply))
	assert.Empty(t, cl.op.Step(c.now, reply), "one vote per master")
	assert.False(t, cl.op.Done())
	assert.Empty(t, cl.op.Step(c.now, "not a vote"))
	c.held = c.held[1:]
	c.release(nil)
	c.drive(cl)
	out, _ = cl.op.Outcome()
	assert.Equal(t, proposer.OK, out)
}
