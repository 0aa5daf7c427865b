package viewchange_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker/internal/view"
	"github.com/protolocker/locker/internal/viewchange"
	"github.com/protolocker/locker/messages"
)

var (
	statusOK        = messages.Status_STATUS_OK
	statusSealed    = messages.Status_STATUS_SEALED
	statusWrongView = messages.Status_STATUS_WRONG_VIEW
	statusNotReady  = messages.Status_STATUS_NOT_READY
)

var three = []string{"m1", "m2", "m3"}

// threeMasters starts m1..m3 voting in view 1 (W = 2) and returns it.
func threeMasters(c *cluster) view.View {
	v1 := mkView(c.t, 1, three, nil, 0)
	for _, m := range three {
		c.start(m, v1, true)
	}
	return v1
}

// quorums are the write quorums of three masters, and all three.
var quorums = [][]string{{"m1", "m2"}, {"m2", "m3"}, {"m1", "m3"}, {"m1", "m2", "m3"}}

// writeKeys makes n keys chosen in view 1, each on one of quorums in
// turn, held or free, and returns, per key, a master that holds it.
func writeKeys(c *cluster, n int) map[string]string {
	holders := make(map[string]string)
	for i := range n {
		key := fmt.Sprintf("k%03d", i)
		b := uint64(1000 + 16*i)
		st := held(fmt.Sprintf("v%d", i), b, maxLease)
		if i%3 == 2 {
			st = free(b)
		}
		q := quorums[i%len(quorums)]
		c.accept(key, b, st, q...)
		holders[key] = q[0]
	}
	return holders
}

// noTransfer reports that co sent no dump or install.
func noTransfer(c *cluster, co *coord) bool {
	return len(sent[*messages.DumpRequest](c, co)) == 0 && len(sent[*messages.Install](c, co)) == 0
}

func TestAddingAnEmptyMasterTransfersEveryChosenKeyInPagesBeforeItVotes(t *testing.T) {
	c := newCluster(t)
	v1 := threeMasters(c)
	m4 := c.start("m4", v1, false) // a new node: empty, not voting
	v2 := mkView(t, 2, []string{"m1", "m2", "m3", "m4"}, nil, 0)
	require.Equal(t, 3, v2.W)
	holders := writeKeys(c, 25)
	// A newer promise on m1 (a source: the first W voting masters to
	// seal are), and a proposal accepted only there (not chosen: the
	// merge keeps it, as the newest state it saw).
	_, _ = c.accs["m1"].Handle(c.now, "p", &messages.Prepare{ReqId: 1, Key: "k000", Ballot: 9000,
		ViewVersion: v1.Version, ViewHash: v1.Hash()})
	c.accept("k001", 9100, held("newest", 9100, maxLease), "m1")
	holders["k001"] = "m1"

	co := c.change("m1", viewchange.Config{PageLimit: 4}, v1, v2, 7)
	require.Equal(t, viewchange.OK, c.run(co))
	assert.Equal(t, v2.Hash(), co.c.Committed().Hash())

	for key, h := range holders {
		c.requireSame("m4", h, key)
		_, want := c.accs[h].State(c.now, key)
		_, got := m4.State(c.now, key)
		assert.LessOrEqual(t, got.GetLeaseNs(), want.GetLeaseNs(), "%s: never more lease than the source", key)
	}
	p, _ := m4.Promise("k000")
	assert.GreaterOrEqual(t, p, uint64(9000), "promises are merged too")
	assert.True(t, m4.Voting(), "m4 votes once the commit names it")
	assert.True(t, m4.Votes())
	c.requireView(v2, "m1", "m2", "m3", "m4")
	for _, m := range v2.Masters {
		assert.Equal(t, statusOK, c.prepareStatus(m, v2, "k001", 1<<40), "%s votes in view 2", m)
		assert.Equal(t, statusWrongView, c.prepareStatus(m, v1, "k001", 1<<41), "%s refuses view 1", m)
	}

	pages := map[uint32]bool{}
	for _, in := range sent[*messages.Install](c, co) {
		pages[in.GetPage()] = true
		assert.LessOrEqual(t, len(in.GetEntries()), 3*4, "a page merges at most a page of each source")
	}
	assert.Greater(t, len(pages), 2, "the state went in several pages")
	assert.Greater(t, len(sent[*messages.DumpRequest](c, co)), 3, "each source was paged")
	var commit *messages.ViewCommit
	for _, m := range sent[*messages.ViewCommit](c, co) {
		commit = m
	}
	require.NotNil(t, commit)
	assert.Contains(t, commit.GetInstalled(), "m4")
}

func TestChangeFailsNoQuorumWhenFewerThanWMastersCanBeSealed(t *testing.T) {
	c := newCluster(t)
	v1 := threeMasters(c)
	c.net = func(e env) verdict {
		if e.to == "m2" || e.to == "m3" {
			return drop
		}
		return deliver
	}
	start := c.now
	co := c.change("m1", viewchange.Config{}, v1, mkView(t, 2, three, []string{"r1"}, 0), 7)
	assert.Equal(t, viewchange.NoQuorum, c.run(co))
	assert.LessOrEqual(t, c.now-start, int64(viewchange.Resends+1)*roundTimeout)
	assert.Empty(t, sent[*messages.ViewAccept](c, co))
	assert.True(t, noTransfer(c, co))
	c.requireView(v1, three...)
}

func TestChangeFailsNoQuorumWhenTooFewSealedMastersVote(t *testing.T) {
	t.Run("W sealed, fewer than N-W+1 voting", func(t *testing.T) {
		c := newCluster(t)
		v1 := threeMasters(c)
		c.start("m2", v1, false) // restarted: its memory is gone
		c.net = func(e env) verdict {
			if e.to == "m3" {
				return drop
			}
			return deliver
		}
		co := c.change("m1", viewchange.Config{}, v1, mkView(t, 2, three, nil, 0), 7)
		assert.Equal(t, viewchange.NoQuorum, c.run(co))
		assert.True(t, noTransfer(c, co))
		assert.Empty(t, sent[*messages.ViewAccept](c, co))
	})
	t.Run("every master sealed, one voting", func(t *testing.T) {
		c := newCluster(t)
		v1 := threeMasters(c)
		c.start("m2", v1, false)
		c.start("m3", v1, false)
		co := c.change("m1", viewchange.Config{}, v1, mkView(t, 2, three, nil, 0), 7)
		assert.Equal(t, viewchange.NoQuorum, c.run(co))
		assert.True(t, noTransfer(c, co))
	})
}

func TestRecoveringMastersCountAsVotingOnceTheyWaitedOutTheLockDelay(t *testing.T) {
	t.Run("one of three recovering, one silent", func(t *testing.T) {
		c := newCluster(t)
		v1 := threeMasters(c)
		writeKeys(c, 6)
		m2 := c.start("m2", v1, false)
		c.now += lockDelay
		c.net = func(e env) verdict {
			if e.to == "m3" {
				return drop
			}
			return deliver
		}
		v2 := mkView(t, 2, three, nil, 0)
		c.hear("m2")
		co := c.change("m1", viewchange.Config{Transfer: true}, v1, v2, 7)
		require.Equal(t, viewchange.NoQuorum, c.run(co), "m2 has not heard from m3, which may hold a newer view")
		c.net = func(e env) verdict {
			if e.to == "m3" && e.from != "m2" {
				return drop
			}
			return deliver
		}
		c.hear("m2")
		co = c.change("m1", viewchange.Config{Transfer: true}, v1, v2, 8)
		require.Equal(t, viewchange.OK, c.run(co))
		assert.True(t, m2.Voting())
		c.requireView(v2, "m1", "m2")
		for _, key := range c.accs["m1"].Keys() {
			c.requireSame("m2", "m1", key) // m1 was the only source with memory
		}
	})
	t.Run("every master recovering", func(t *testing.T) {
		c := newCluster(t)
		v1 := mkView(t, 1, three, nil, 0)
		for _, m := range three {
			c.start(m, v1, false)
		}
		v2 := mkView(t, 2, three, nil, 0)
		co := c.change("m1", viewchange.Config{Transfer: true}, v1, v2, 7)
		require.Equal(t, viewchange.NoQuorum, c.run(co), "not before the lock-delay")
		c.now += lockDelay
		co = c.change("m1", viewchange.Config{Transfer: true}, v1, v2, 8)
		require.Equal(t, viewchange.NoQuorum, c.run(co), "not before each has heard from the others")
		for _, m := range three {
			c.hear(m)
		}
		co = c.change("m1", viewchange.Config{Transfer: true}, v1, v2, 9)
		require.Equal(t, viewchange.OK, c.run(co))
		for _, m := range three {
			assert.True(t, c.accs[m].Voting(), m)
		}
		c.requireView(v2, three...)
	})
}

func TestSealedMasterRefusesKeyVotesUntilTheCommit(t *testing.T) {
	c := newCluster(t)
	v1 := threeMasters(c)
	v2 := mkView(t, 2, three, []string{"r1"}, 0)
	c.accept("k", 100, held("a", 100, maxLease), three...)
	phase := "seal"
	c.net = func(e env) verdict {
		if (phase == "seal" && is[*messages.ViewAccept](e)) || (phase != "commit" && is[*messages.ViewCommit](e)) {
			return hold
		}
		return deliver
	}
	keyVotes := func(m string, v view.View) []messages.Status {
		a := c.accs[m]
		var out []messages.Status
		for _, msg := range []any{
			&messages.Prepare{ReqId: 1, Key: "k", Ballot: 500, ViewVersion: v.Version, ViewHash: v.Hash()},
			&messages.Accept{ReqId: 1, Key: "k", Ballot: 500, State: free(500), ViewVersion: v.Version, ViewHash: v.Hash()},
			&messages.ReadRequest{ReqId: 1, Key: "k", ViewVersion: v.Version, ViewHash: v.Hash()},
		} {
			r, _ := a.Handle(c.now, "p", msg)
			out = append(out, r.(*messages.Vote).GetStatus())
		}
		return out
	}
	sealed := []messages.Status{statusSealed, statusSealed, statusSealed}

	co := c.change("m1", viewchange.Config{}, v1, v2, 7)
	c.settle()
	for _, m := range three {
		assert.True(t, c.accs[m].Sealed(), m)
		assert.Equal(t, sealed, keyVotes(m, v1), "%s after the seal", m)
	}
	phase = "accept"
	c.release(nil)
	c.settle()
	require.NotEmpty(t, c.held, "the commit is held")
	for _, m := range three {
		assert.Equal(t, sealed, keyVotes(m, v1), "%s after accepting view 2", m)
	}
	_, st := c.accs["m1"].State(c.now, "k")
	assert.True(t, st.GetHeld(), "nothing was written while sealed")

	phase = "commit"
	c.release(nil)
	require.Equal(t, viewchange.OK, c.run(co))
	for _, m := range three {
		assert.False(t, c.accs[m].Sealed(), m)
		assert.Equal(t, []messages.Status{statusOK, statusOK, statusOK}, keyVotes(m, v2), "%s votes in view 2", m)
	}
}

func TestConcurrentChangesChooseAtMostOneViewForTheVersion(t *testing.T) {
	holdFrom := func(coord string, types ...func(env) bool) func(env) verdict {
		return func(e env) verdict {
			for _, is := range types {
				if e.from == coord && is(e) {
					return hold
				}
			}
			return deliver
		}
	}
	t.Run("a higher ballot seals first", func(t *testing.T) {
		c := newCluster(t)
		v1 := threeMasters(c)
		vA := mkView(t, 2, three, []string{"rA"}, 0)
		vB := mkView(t, 2, three, []string{"rB"}, 0)
		c.net = holdFrom("cB", is[*messages.ViewAccept])
		b := c.change("cB", viewchange.Config{}, v1, vB, 20)
		c.settle()
		a := c.change("cA", viewchange.Config{}, v1, vA, 10)
		assert.Equal(t, viewchange.Conflict, c.run(a))
		higher, newer := a.c.Higher()
		assert.Equal(t, uint64(20), higher, "the loser learns the ballot to retry above")
		assert.Nil(t, newer)
		c.net = nil
		c.release(nil)
		assert.Equal(t, viewchange.OK, c.run(b))
		c.requireView(vB, three...)
	})
	t.Run("a higher ballot seals before the lower one's accept", func(t *testing.T) {
		c := newCluster(t)
		v1 := threeMasters(c)
		c.start("m4", v1, false)
		vA := mkView(t, 2, []string{"m1", "m2", "m3", "m4"}, nil, 0)
		vB := mkView(t, 2, three, []string{"r1"}, 0)
		c.net = func(e env) verdict {
			if (e.from == "cA" && is[*messages.ViewAccept](e)) || (e.from == "cB" && is[*messages.ViewCommit](e)) {
				return hold
			}
			return deliver
		}
		a := c.change("cA", viewchange.Config{}, v1, vA, 10)
		c.settle()
		require.NotEmpty(t, c.held, "A waits to accept its view")
		b := c.change("cB", viewchange.Config{}, v1, vB, 20)
		c.settle()
		c.release(func(e env) bool { return e.from == "cA" })
		assert.Equal(t, viewchange.Conflict, c.run(a), "its accept is refused")
		c.net = nil
		c.release(nil)
		require.Equal(t, viewchange.OK, c.run(b))
		c.requireView(vB, three...)
		assert.Equal(t, uint64(1), c.accs["m4"].View().Version, "view A was never committed")
		assert.False(t, c.accs["m4"].Voting())
	})
	t.Run("the lower one's accept after the higher one's commit", func(t *testing.T) {
		c := newCluster(t)
		v1 := threeMasters(c)
		vA := mkView(t, 2, three, []string{"rA"}, 0)
		vB := mkView(t, 2, three, []string{"rB"}, 0)
		c.net = holdFrom("cA", is[*messages.ViewAccept])
		a := c.change("cA", viewchange.Config{}, v1, vA, 10)
		c.settle()
		b := c.change("cB", viewchange.Config{}, v1, vB, 20)
		require.Equal(t, viewchange.OK, c.run(b))
		c.net = nil
		c.release(nil)
		outA := c.run(a)
		assert.NotContains(t, []viewchange.Outcome{viewchange.OK, viewchange.Completed}, outA)
		// The masters answer WRONG_VIEW (they are in view 2 already):
		// the change ends Conflict.
		assert.Equal(t, viewchange.Conflict, outA)
		c.requireView(vB, three...)
	})
}

func TestACoordinatorThatFindsAnAcceptedViewCompletesIt(t *testing.T) {
	for _, tt := range []struct {
		name   string
		target bool // B's target is A's view
		want   viewchange.Outcome
	}{
		{"another target", false, viewchange.Completed},
		{"the same target", true, viewchange.OK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t)
			v1 := threeMasters(c)
			holders := writeKeys(c, 8)
			m4 := c.start("m4", v1, false)
			vA := mkView(t, 2, []string{"m1", "m2", "m3", "m4"}, nil, 0)
			vB := mkView(t, 2, three, []string{"r1"}, 0)
			if tt.target {
				vB = vA
			}
			// A's view is accepted by m1 and m2 (chosen), and its
			// coordinator dies before anyone hears the commit.
			c.net = func(e env) verdict {
				switch {
				case e.from == "cA" && is[*messages.ViewAccept](e) && e.to == "m3":
					return drop
				case e.from == "cA" && is[*messages.ViewCommit](e):
					return drop
				}
				return deliver
			}
			a := c.change("cA", viewchange.Config{PageLimit: 3}, v1, vA, 10)
			c.drive(a)
			c.requireView(v1, "m1", "m2", "m3", "m4")
			c.net = nil

			b := c.change("cB", viewchange.Config{}, v1, vB, 20)
			assert.Equal(t, tt.want, c.run(b))
			assert.Equal(t, vA.Hash(), b.c.Committed().Hash(), "the accepted view is committed")
			assert.True(t, noTransfer(c, b), "its state was installed before it was accepted")
			c.requireView(vA, "m1", "m2", "m3", "m4")
			assert.True(t, m4.Voting(), "the commit names who installed the completed view")
			for key, h := range holders {
				c.requireSame("m4", h, key)
			}
		})
	}
}

func TestChangeOfReplicasOnlySkipsTheTransfer(t *testing.T) {
	// W = N: the seal quorum is every master, so every master's seal
	// reply is in when the change decides (see the known bug below for
	// W < N).
	c := newCluster(t)
	v1 := mkView(t, 1, three, nil, 3)
	for _, m := range three {
		c.start(m, v1, true)
	}
	c.accept("k", 100, held("a", 100, maxLease), three...)
	v2 := mkView(t, 2, three, []string{"r1"}, 3)
	co := c.change("m1", viewchange.Config{}, v1, v2, 7)
	require.Equal(t, viewchange.OK, c.run(co))
	assert.True(t, noTransfer(c, co), "no DumpRequest or Install")
	c.requireView(v2, three...)
	for _, m := range three {
		assert.True(t, c.accs[m].Votes(), m)
		a, _ := c.accs[m].State(c.now, "k")
		assert.Equal(t, uint64(100), a, m)
	}
}

func TestChangeOfWOrMastersOrWithARecoveringMasterTransfers(t *testing.T) {
	five := []string{"m1", "m2", "m3", "m4", "m5"}
	for _, tt := range []struct {
		name     string
		to       view.View
		recovers string
	}{
		{"W rises", mkView(t, 2, five, nil, 4), ""},
		{"a master leaves", mkView(t, 2, five[:4], nil, 0), ""},
		{"a master rejoins", mkView(t, 2, five, nil, 0), "m5"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t)
			v1 := mkView(t, 1, five, nil, 0)
			for _, m := range five {
				c.start(m, v1, m != tt.recovers)
			}
			co := c.change("m1", viewchange.Config{Transfer: tt.recovers != ""}, v1, tt.to, 7)
			require.Equal(t, viewchange.OK, c.run(co))
			assert.NotEmpty(t, sent[*messages.Install](c, co))
		})
	}
}

func TestRestartedMasterRejoinsThroughAChangeToTheSameMastersAndHoldsTheKeysItLost(t *testing.T) {
	c := newCluster(t)
	v1 := threeMasters(c)
	writeKeys(c, 12)
	before := make(map[string]uint64)
	for _, key := range c.accs["m3"].Keys() {
		before[key], _ = c.accs["m3"].State(c.now, key)
	}
	require.NotEmpty(t, before)

	m3 := c.start("m3", v1, false) // lost its memory: a new incarnation, not voting
	assert.Equal(t, statusNotReady, c.prepareStatus("m3", v1, "k000", 1<<40))
	c.now += roundTimeout // well within the lock-delay

	v2 := mkView(t, 2, three, nil, 0)
	co := c.change("m3", viewchange.Config{PageLimit: 2, Transfer: true}, v1, v2, 7)
	require.Equal(t, viewchange.OK, c.run(co))
	assert.NotEmpty(t, sent[*messages.Install](c, co), "a rejoin transfers the state")
	assert.True(t, m3.Voting())
	c.requireView(v2, three...)
	for key, a := range before {
		got, _ := m3.State(c.now, key)
		assert.GreaterOrEqual(t, got, a, "%s: m3 holds what it lost", key)
	}
	for _, key := range c.accs["m1"].Keys() {
		c.requireSame("m3", "m1", key)
	}
	assert.Equal(t, statusOK, c.prepareStatus("m3", v2, "k000", 1<<40))
}

func TestMasterThatRestartsAfterInstallingIsNotMadeVotingByTheCommit(t *testing.T) {
	c := newCluster(t)
	v1 := threeMasters(c)
	writeKeys(c, 5)
	c.start("m4", v1, false)
	v2 := mkView(t, 2, []string{"m1", "m2", "m3", "m4"}, nil, 0)
	c.net = func(e env) verdict {
		if is[*messages.ViewAccept](e) {
			return hold
		}
		return deliver
	}
	co := c.change("m1", viewchange.Config{}, v1, v2, 7)
	c.settle()
	require.NotEmpty(t, c.held)
	m4 := c.start("m4", v1, false) // restarts: the installed state is gone
	c.net = nil
	c.release(nil)
	require.Equal(t, viewchange.OK, c.run(co))
	c.requireView(v2, "m1", "m2", "m3", "m4")
	assert.False(t, m4.Voting(), "the commit names its earlier incarnation")
	assert.Equal(t, statusNotReady, c.prepareStatus("m4", v2, "k000", 1<<40))
}

// A round after a transfer is sent again to the masters that did not
// answer: the grace of an install page ends with the page.
func TestTheAcceptRoundAfterATransferIsResent(t *testing.T) {
	c := newCluster(t)
	v1 := threeMasters(c)
	writeKeys(c, 3)
	dropped := map[string]bool{}
	c.net = func(e env) verdict {
		if _, ok := e.msg.(*messages.ViewAccept); ok && e.to != "m1" && !dropped[e.to] {
			dropped[e.to] = true
			return drop
		}
		return deliver
	}
	v2 := mkView(t, 2, three, nil, 0)
	co := c.change("m1", viewchange.Config{Transfer: true}, v1, v2, 7)
	require.Equal(t, viewchange.OK, c.run(co))
	assert.Len(t, dropped, 2, "the first accepts to m2 and m3 were lost")
	c.requireView(v2, three...)
}
