package viewchange_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker/internal/viewchange"
	"github.com/protolocker/locker/messages"
)

// With W < N the seal round is decided on the W-th seal reply, before the
// others are in; needsInstall counts a master whose seal reply it has not
// seen as recovering, so a change of replicas only (or a repair change to
// the same masters) always pages and installs the whole state.
func TestChangeOfReplicasOnlySkipsTheTransferWithAMajorityQuorum(t *testing.T) {
	c := newCluster(t)
	v1 := threeMasters(c)
	writeKeys(c, 4)
	v2 := mkView(t, 2, three, []string{"r1"}, 0)
	co := c.change("m1", viewchange.Config{}, v1, v2, 7)
	require.Equal(t, viewchange.OK, c.run(co))
	assert.Empty(t, sent[*messages.DumpRequest](c, co), "no DumpRequest")
	assert.Empty(t, sent[*messages.Install](c, co), "no Install")
}

// A master that restarts between two coordinators' seals and their
// accepts forgets its view promise; ViewAccept is taken at any ballot not
// below the promise (docs/protocol.md says: only while sealed at exactly
// that ballot), so the restarted master accepts the lower coordinator's
// view, which is then chosen on it and a master that coordinator sealed,
// while the higher coordinator's view is chosen too.
func TestRestartBetweenSealAndAcceptLeavesOneChosenViewPerVersion(t *testing.T) {
	c := newCluster(t)
	v1 := threeMasters(c)
	c.start("m4", v1, false)
	vA := mkView(t, 2, []string{"m1", "m2", "m3", "m4"}, nil, 0)
	vB := mkView(t, 2, three, []string{"r1"}, 0)
	c.net = func(e env) verdict {
		switch {
		case e.from == "cB" && e.to == "m1" && is[*messages.Seal](e):
			return drop // B seals m2 and m3 only
		case is[*messages.ViewAccept](e), is[*messages.ViewCommit](e):
			return hold
		}
		return deliver
	}
	a := c.change("cA", viewchange.Config{}, v1, vA, 10) // seals m1, m2, m3 at 10, installs
	c.settle()
	b := c.change("cB", viewchange.Config{}, v1, vB, 20) // seals m2, m3 at 20, installs
	c.settle()
	require.Len(t, sent[*messages.ViewAccept](c, a), 3)
	require.Len(t, sent[*messages.ViewAccept](c, b), 3)

	c.start("m2", v1, false) // m2 restarts: its promise of 20 is forgotten

	c.release(func(e env) bool { return e.from == "cA" && is[*messages.ViewAccept](e) })
	c.drive(a)
	c.release(func(e env) bool { return e.from == "cB" && is[*messages.ViewAccept](e) })
	c.drive(b)
	outA, _ := a.c.Outcome()
	outB, _ := b.c.Outcome()
	chosen := 0
	for _, out := range []viewchange.Outcome{outA, outB} {
		if out == viewchange.OK || out == viewchange.Completed {
			chosen++
		}
	}
	assert.LessOrEqual(t, chosen, 1, "A: %v committed %v; B: %v committed %v", outA, a.c.Committed().Masters,
		outB, b.c.Committed().Masters)
}
