package lockercluster_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	lockercluster "github.com/protolocker/locker/cluster"
)

// seedKind marks the members that are the store's first masters in the
// seed kind tests.
const seedKind = "locker-seed"

// markSeeds makes the members at addrs host the seed kind in the
// topologies the harness shows from now on.
func (h *harness) markSeeds(addrs ...string) {
	for _, a := range addrs {
		m := h.member(a)
		m.info.Kinds = append(slices.Clone(m.info.Kinds), seedKind)
	}
}

// With a seed kind, no member runs a store until the voters' number of
// members host that kind; then each starts with those as the first
// masters, the lowest present master fills the view with the others,
// and grains are activated once.
func TestSeedKind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, lockerLookup(nil, lockercluster.WithSeedKind(seedKind)))
		all := addrs(4)
		for _, a := range all {
			h.start(a)
		}
		h.markSeeds(all[1:]...)
		for _, a := range all {
			require.NoError(t, h.lookupAt(a).Err())
			assert.Nil(t, h.lookupAt(a).Node(), "%s: no store before the topology", a)
		}
		h.viewAll(all[:3]) // two of the three seeds
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		for _, a := range all[:3] {
			assert.Nil(t, h.lookupAt(a).Node(), "%s: no store with two seeds of three", a)
		}

		h.viewAll(all)
		for _, a := range all {
			waitStore(t, h.lookupAt(a))
		}
		h.waitView(all)
		masters, replicas, _, _ := h.lookupAt("n1:1").Node().View()
		assert.Equal(t, all[1:], masters, "the seed kind's members are the masters")
		assert.Equal(t, all[:1], replicas)

		var wg sync.WaitGroup
		for _, from := range all {
			for i := range 10 {
				wg.Go(func() {
					_, err := h.request(from, fmt.Sprintf("g%d", i))
					assert.NoError(t, err, "%s asks g%d", from, i)
				})
			}
		}
		wg.Wait()
		assert.Empty(t, h.live.Violations())
		for i := range 10 {
			assert.Equal(t, 1, h.live.Started(fmt.Sprintf("g%d", i)))
		}
	})
}

// More members hosting the seed kind than there are voters is a
// deployment error: members that saw different ones would start with
// different masters, so none starts its store and nothing is activated.
func TestSeedKindWithTooManySeeds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, lockerLookup(nil, lockercluster.WithSeedKind(seedKind),
			lockercluster.WithActivationTimeout(500*time.Millisecond)))
		all := addrs(4)
		for _, a := range all {
			h.start(a)
		}
		h.markSeeds(all...)
		h.viewAll(all)
		time.Sleep(time.Second)
		synctest.Wait()
		for _, a := range all {
			assert.Nil(t, h.lookupAt(a).Node(), "%s runs no store", a)
		}
		_, err := h.request("n1:1", "g")
		assert.Error(t, err, "nothing is activated")
		assert.Zero(t, h.live.Started("g"))
	})
}

// waitStore waits until l runs its store.
func waitStore(t *testing.T, l *lockercluster.IdentityLookup) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for l.Node() == nil {
		require.True(t, time.Now().Before(deadline), "the store does not start")
		time.Sleep(10 * time.Millisecond)
	}
}
