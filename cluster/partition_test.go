package lockercluster_test

import (
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
)

// partition cuts the network between sides a and b and shows each side
// only itself.
func (h *harness) partition(a, b []string) {
	for _, x := range a {
		for _, y := range b {
			h.net.Cut(x, y)
		}
	}
	h.viewAll(a)
	h.viewAll(b)
}

// heal removes the cuts and shows everyone everyone.
func (h *harness) heal(all []string) {
	h.net.Heal()
	h.viewAll(all)
}

// partitionScenario activates grains, splits the members into majority
// and minority under traffic from both sides, checks that the minority
// activates nothing new, heals, and checks single activation throughout.
func partitionScenario(t *testing.T, n int, minority []string) {
	h := startAll(t, n)
	all := addrs(n)
	var majority []string
	for _, a := range all {
		if !slices.Contains(minority, a) {
			majority = append(majority, a)
		}
	}
	const grains = 20
	for i := range grains {
		h.hostOf(t, all[i%n], fmt.Sprintf("g%d", i))
	}
	tr := h.traffic(grains, all)
	h.partition(majority, minority)
	time.Sleep(3 * time.Second) // three leases
	// The minority activates nothing new; the majority does.
	_, err := h.request(minority[0], "new-in-minority")
	assert.Error(t, err, "a minority activates nothing new")
	assert.Zero(t, h.live.Started("new-in-minority"))
	_, err = h.request(majority[0], "new-in-majority")
	assert.NoError(t, err, "the majority activates")
	for _, a := range minority {
		assert.Zero(t, h.lookupAt(a).Hosted(), "%s stopped its grains", a)
	}
	for i := range grains {
		host, _ := h.hostOf(t, majority[0], fmt.Sprintf("g%d", i))
		assert.Contains(t, majority, host, "g%d lives on the majority side", i)
	}
	h.heal(all)
	time.Sleep(2 * time.Second)
	tr.end()
	for i := range grains {
		_, err := h.request(minority[0], fmt.Sprintf("g%d", i))
		assert.NoError(t, err, "after healing the minority reaches g%d", i)
	}
	assert.Empty(t, h.live.Violations())
	t.Logf("traffic: %d answers, %d errors", tr.ok.Load(), tr.bad.Load())
}

// Three members: one is cut off.
func TestPartitionOfThree(t *testing.T) {
	synctest.Test(t, func(t *testing.T) { partitionScenario(t, 3, []string{"n3:1"}) })
}

// Three members: the lowest master (the one that changes the view) is
// cut off.
func TestPartitionOfThreeCoordinator(t *testing.T) {
	synctest.Test(t, func(t *testing.T) { partitionScenario(t, 3, []string{"n1:1"}) })
}

// Five members, two of them masters, split 3/2.
func TestPartitionOfFive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) { partitionScenario(t, 5, []string{"n2:1", "n5:1"}) })
}
