package proposer_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker/internal/proposer"
	"github.com/protolocker/locker/internal/view"
	"github.com/protolocker/locker/lease"
	"github.com/protolocker/locker/messages"
)

func TestALeaseAboveMaxLeaseEndsInvalid(t *testing.T) {
	c := newCluster(t, 3)
	req := lockReq("k", "a")
	req.Lease = maxLease + 1
	out, _, cl := c.do(c.node("p1", 1), req)
	assert.Equal(t, proposer.Invalid, out)
	assert.NotEmpty(t, cl.op.Problem())
	for _, m := range c.names {
		a, _ := c.state(m, "k")
		assert.Zero(t, a, m)
	}
}

func TestLateRepliesOfAnEarlierRoundAreNotCountedInTheNext(t *testing.T) {
	c := newCluster(t, 3)
	first := true
	c.net = func(e env) verdict {
		if first && is[*messages.Vote](e) {
			return hold // every reply of the first prepare comes late
		}
		return deliver
	}
	cl := c.start(c.node("p1", 1), lockReq("k", "a"))
	c.settle()
	require.Len(t, c.held, 3)
	first = false
	c.now = cl.op.Deadline()
	c.dispatch(cl, cl.op.Tick(c.now)) // the round gives up and sends the second prepare at once
	c.release(nil)                    // and the first one's replies arrive first
	c.drive(cl)
	out, res := cl.op.Outcome()
	require.Equal(t, proposer.OK, out, cl.op.Problem())
	assert.Equal(t, 2, rounds[prepareMsg](cl))
	accepts := sentOf[acceptMsg](cl)
	require.NotEmpty(t, accepts)
	assert.Equal(t, sentOf[prepareMsg](cl)[3].GetBallot(), accepts[0].GetBallot(), "accepted at the second round's ballot")
	assert.Equal(t, accepts[0].GetBallot(), res.Token)
	c.requireHeld("k", "a", res.Token)
}

func TestACallMeetingSealedMastersBacksOffSaysSoAndResumesInTheNextView(t *testing.T) {
	c := newCluster(t, 3)
	for _, m := range c.names {
		r, _ := c.accs[m].Handle(c.now, "c", &messages.Seal{ReqId: 1, Version: 2, Ballot: 5})
		require.Equal(t, messages.Status_STATUS_OK, r.(*messages.SealReply).GetStatus())
	}
	cl := c.start(c.node("p1", 1), lockReq("k", "a"))
	c.driveFor(50*ms, cl)
	require.False(t, cl.op.Done(), "a view change is no reason to fail: the call waits")
	assert.Contains(t, cl.op.Problem(), "sealed by a view change")
	assert.Greater(t, rounds[prepareMsg](cl), 2, "it retried")
	assert.Zero(t, rounds[acceptMsg](cl))

	v2, err := view.NewView(2, c.names, nil, 0)
	require.NoError(t, err)
	for _, m := range c.names {
		c.accs[m].Handle(c.now, "c", &messages.ViewCommit{ReqId: 2, View: v2.Proto(), Ballot: 5})
	}
	c.drive(cl)
	nv, ok := cl.op.Newer()
	require.True(t, ok, "the next refusal names view 2")
	c.dispatch(cl, cl.op.SetView(c.now, nv))
	c.drive(cl)
	out, res := cl.op.Outcome()
	require.Equal(t, proposer.OK, out, cl.op.Problem())
	c.requireHeld("k", "a", res.Token)
}

func TestRecoveringMastersAreRetriedUntilTheContextEndsAndNothingIsProposed(t *testing.T) {
	c := newCluster(t, 3)
	for i, m := range []string{"m2", "m3"} {
		c.accs[m] = lease.New(lease.Config{Self: m, View: c.view, Incarnation: uint64(50 + i), MaxLease: maxLease,
			TombstoneTTL: tombstoneTTL, Voting: false, Now: c.now})
	}
	cl := c.start(c.node("p1", 1), lockReq("k", "a"))
	c.driveFor(1e9, cl)
	require.False(t, cl.op.Done(), "masters that do not vote yet are waited for, within the call's context")
	assert.Greater(t, rounds[prepareMsg](cl), 2)
	assert.Zero(t, rounds[acceptMsg](cl), "never proposes without W voters")
	cl.op.Abort("context ended")
	out, _ := cl.op.Outcome()
	assert.Equal(t, proposer.NoQuorum, out)
}
