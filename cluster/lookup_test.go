package lockercluster_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startAll starts members at addrs with seeds the first three, shows
// every one the same topology and waits until the store's view holds
// them all.
func startAll(t *testing.T, n int) *harness {
	all := addrs(n)
	h := newHarness(t, lockerLookup(all[:min(3, n)]))
	for _, a := range all {
		h.start(a)
	}
	h.viewAll(all)
	h.waitView(all)
	return h
}

// waitView waits until every member's store view names all of addrs.
func (h *harness) waitView(addrs []string) {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok := true
		for _, a := range addrs {
			masters, replicas, _, _ := h.lookupAt(a).Node().View()
			if len(masters)+len(replicas) != len(addrs) {
				ok = false
			}
		}
		if ok {
			return
		}
		require.True(h.t, time.Now().Before(deadline), "the store's view does not follow the topology")
		time.Sleep(10 * time.Millisecond)
	}
}

// Every member asks for the same grains at once: each is activated once,
// and every member reaches that activation.
func TestConcurrentFirstActivation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startAll(t, 3)
		const grains = 20
		var wg sync.WaitGroup
		answers := sync.Map{}
		for _, from := range addrs(3) {
			for i := range grains {
				wg.Go(func() {
					id := fmt.Sprintf("g%d", i)
					got, err := h.request(from, id)
					if assert.NoError(t, err, "%s asks %s", from, id) {
						v, _ := answers.LoadOrStore(id, got)
						assert.Equal(t, v, got, "%s sees the one activation of %s", from, id)
					}
				})
			}
		}
		wg.Wait()
		assert.Empty(t, h.live.Violations())
		for i := range grains {
			id := fmt.Sprintf("g%d", i)
			assert.Equal(t, 1, h.live.Started(id), id)
			v, _ := answers.Load(id)
			assert.NotEqual(t, " 0", v.(string)[strings.IndexByte(v.(string), ' '):], "%s has a token", id)
		}
	})
}
