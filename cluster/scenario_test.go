package lockercluster_test

import (
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// traffic keeps asking grains g0..g<n-1> from the members it goes
// through, in turn, until stop is closed, and counts answers and errors.
type traffic struct {
	wg      sync.WaitGroup
	stop    chan struct{}
	from    atomic.Pointer[[]string] // the members it goes through
	ok, bad atomic.Int64
}

func (h *harness) traffic(n int, from []string) *traffic {
	tr := &traffic{stop: make(chan struct{})}
	tr.through(from)
	for i := range n {
		tr.wg.Go(func() {
			for k := 0; ; k++ {
				select {
				case <-tr.stop:
					return
				default:
				}
				srcs := *tr.from.Load()
				if _, err := h.request(srcs[k%len(srcs)], fmt.Sprintf("g%d", i)); err != nil {
					tr.bad.Add(1)
				} else {
					tr.ok.Add(1)
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	return tr
}

// through makes the traffic go through the members at from.
func (tr *traffic) through(from []string) {
	from = slices.Clone(from)
	tr.from.Store(&from)
}

// join starts the members at addrs one after the other, each followed
// by wait: every member present is shown them all, and the traffic goes
// through them all.
func (h *harness) join(tr *traffic, present []string, wait time.Duration, addrs ...string) {
	for _, a := range addrs {
		h.start(a)
		present = append(slices.Clone(present), a)
		h.viewAll(present)
		tr.through(present)
		time.Sleep(wait)
	}
}

func (tr *traffic) end() { close(tr.stop); tr.wg.Wait() }

// dropFromView shows the members of all other than gone a topology
// without gone, and returns them.
func (h *harness) dropFromView(all []string, gone string) []string {
	rest := slices.DeleteFunc(slices.Clone(all), func(a string) bool { return a == gone })
	h.viewAll(rest)
	return rest
}

// hostOf returns the address that answers for id, through member from.
func (h *harness) hostOf(t *testing.T, from, id string) (string, uint64) {
	t.Helper()
	got, err := h.request(from, id)
	require.NoError(t, err)
	addr, tok, _ := strings.Cut(got, " ")
	n, err := strconv.ParseUint(tok, 10, 64)
	require.NoError(t, err)
	return addr, n
}

// Members joining and leaving under traffic: no grain is activated twice
// at once, and no running grain moves when members join.
func TestJoinsAndLeavesDuringTraffic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startAll(t, 3)
		const grains = 30
		hosts := map[string]string{}
		for i := range grains {
			id := fmt.Sprintf("g%d", i)
			hosts[id], _ = h.hostOf(t, "n1:1", id)
		}
		tr := h.traffic(grains, addrs(3))
		h.join(tr, addrs(3), 500*time.Millisecond, "n4:1", "n5:1")
		h.waitView(addrs(5))
		for id, host := range hosts {
			got, _ := h.hostOf(t, "n5:1", id)
			assert.Equal(t, host, got, "%s stays on its host after the joins", id)
			assert.Equal(t, 1, h.live.Started(id), "%s was activated once", id)
		}
		// n2 leaves gracefully: its grains stop and come back elsewhere.
		tr.through(h.dropFromView(addrs(5), "n2:1"))
		h.lookupAt("n2:1").Shutdown()
		time.Sleep(time.Second)
		tr.end()
		for id := range hosts {
			got, _ := h.hostOf(t, "n1:1", id)
			assert.NotEqual(t, "n2:1", got, id)
		}
		assert.Empty(t, h.live.Violations())
		assert.Positive(t, tr.ok.Load())
		t.Logf("traffic: %d answers, %d errors", tr.ok.Load(), tr.bad.Load())
	})
}

// The host of a grain dies: the grain comes back on another member
// within the lease plus a round, with a greater token.
func TestHostDies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startAll(t, 4)
		host, tok := h.hostOf(t, "n1:1", "g")
		from := "n1:1"
		if host == from {
			from = "n2:1"
		}
		died := time.Now()
		h.kill(host)
		h.dropFromView(addrs(4), host)
		again, tok2 := h.hostOf(t, from, "g")
		took := time.Since(died)
		assert.NotEqual(t, host, again)
		assert.Greater(t, tok2, tok, "the new activation's token is greater")
		assert.LessOrEqual(t, took, time.Second+200*time.Millisecond, "back within the lease plus a round")
		assert.Empty(t, h.live.Violations())
		t.Logf("re-activated after %v (lease 1s)", took)
	})
}

// The store's masters change while grains are active: grains keep their
// hosts and stay single.
func TestMastersChangeUnderGrains(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startAll(t, 5)
		hosts := map[string]string{}
		for i := range 10 {
			id := fmt.Sprintf("g%d", i)
			hosts[id], _ = h.hostOf(t, "n4:1", id)
		}
		masters, _, _, _ := h.lookupAt("n4:1").Node().View()
		require.Equal(t, addrs(3), masters)
		tr := h.traffic(10, []string{"n4:1", "n5:1"})
		// n3, a master and the host of some grains, is partitioned
		// away from everyone; after the grace it is replaced by n4.
		var moved []string
		for id, a := range hosts {
			if a == "n3:1" {
				moved = append(moved, id)
			}
		}
		h.net.Isolate("n3:1")
		rest := []string{"n1:1", "n2:1", "n4:1", "n5:1"}
		h.view(rest, rest)
		deadline := time.Now().Add(10 * time.Second)
		for {
			masters, _, _, _ = h.lookupAt("n1:1").Node().View()
			if strings.Join(masters, ",") == "n1:1,n2:1,n4:1" {
				break
			}
			require.True(t, time.Now().Before(deadline), "masters %v", masters)
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(time.Second)
		tr.end()
		for id, a := range hosts {
			got, _ := h.hostOf(t, "n5:1", id)
			if a != "n3:1" {
				assert.Equal(t, a, got, "%s keeps its host", id)
			} else {
				assert.NotEqual(t, a, got, "%s left the isolated member", id)
			}
		}
		assert.Empty(t, h.live.Violations())
		t.Logf("moved from the isolated master: %v; traffic %d ok, %d errors", moved, tr.ok.Load(), tr.bad.Load())
	})
}

// A master restarting at the same address (a new member id) is not a
// membership change: the masters stay, and it votes again.
func TestRestartAtTheSameAddress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startAll(t, 4)
		_, _, _, before := h.lookupAt("n1:1").Node().View()
		h.kill("n2:1")
		h.viewAll([]string{"n1:1", "n3:1", "n4:1"})
		time.Sleep(500 * time.Millisecond) // within the grace (2s)
		h.restart("n2:1")
		h.viewAll(addrs(4))
		deadline := time.Now().Add(10 * time.Second)
		for !h.lookupAt("n2:1").Node().Voting() {
			require.True(t, time.Now().Before(deadline), "n2 votes again")
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(3 * time.Second) // past the grace
		masters, _, _, after := h.lookupAt("n1:1").Node().View()
		assert.Equal(t, addrs(3), masters, "the masters did not change")
		assert.LessOrEqual(t, after-before, uint64(2), "at most the replica set changed")
		_, err := h.request("n2:1", "g")
		require.NoError(t, err)
	})
}

// A host cut off from the masters cannot renew its session: it stops its
// grains before their lease could end, and another member activates them
// only after that.
func TestLostSessionStopsGrainsInTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startAll(t, 4)
		host, tok := h.hostOf(t, "n1:1", "g")
		cut := time.Now()
		h.net.Isolate(host)
		for h.live.Live("g") > 0 {
			time.Sleep(time.Millisecond)
		}
		stopped := time.Since(cut)
		assert.Less(t, stopped, time.Second, "stopped within the lease (1s) of the last renewal")
		rest := h.dropFromView(addrs(4), host)
		again, tok2 := h.hostOf(t, rest[0], "g")
		assert.NotEqual(t, host, again)
		assert.Greater(t, tok2, tok)
		assert.Empty(t, h.live.Violations())
		t.Logf("stopped %v after the cut; re-activated %v after it", stopped, time.Since(cut))
	})
}

// A cluster client runs no store node and hosts nothing: it reaches the
// members' one activation.
func TestClient(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startAll(t, 3)
		h.startClient("client:1")
		assert.Nil(t, h.lookupAt("client:1").Node())
		h.view([]string{"client:1"}, addrs(3))
		fromClient, _ := h.hostOf(t, "client:1", "g")
		fromMember, _ := h.hostOf(t, "n1:1", "g")
		assert.Equal(t, fromMember, fromClient)
		assert.Equal(t, 1, h.live.Started("g"))
		assert.Zero(t, h.lookupAt("client:1").Hosted())
	})
}

// Hosting and caching grains costs no goroutine per grain: only their
// activation, while it runs.
func TestNoGoroutinePerGrain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startAll(t, 3)
		for i := range 10 {
			h.hostOf(t, addrs(3)[i%3], fmt.Sprintf("warm%d", i))
		}
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		before := runtime.NumGoroutine()
		for i := range 300 {
			for _, a := range addrs(3) {
				_, err := h.request(a, fmt.Sprintf("g%d", i))
				require.NoError(t, err)
			}
		}
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		grown := runtime.NumGoroutine() - before
		assert.Less(t, grown, 30, "300 grains hosted and cached by three members")
		t.Logf("goroutines: %d before, %d more with 300 more grains", before, grown)
	})
}
