//go:build !race

package lockercluster_test

import (
	"io"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/cluster/clusterproviders/test"
	"github.com/asynkron/protoactor-go/remote"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/wrapperspb"

	lockercluster "github.com/protolocker/locker/cluster"
)

// freePorts returns n loopback ports free at the moment.
func freePorts(t *testing.T, n int) []int {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// realMember is a protoactor cluster member over gRPC on loopback, with
// the test provider.
type realMember struct {
	c      *cluster.Cluster
	lookup *lockercluster.IdentityLookup
}

func startReal(t *testing.T, agent *test.InMemAgent, port int, seeds []string, live *liveSet) *realMember {
	sys := actor.NewActorSystem(
		actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }),
		actor.WithDeadLetterThrottleInterval(10*time.Millisecond),
	)
	lookup := lockercluster.NewIdentityLookup(lockercluster.WithSeeds(seeds...), lockercluster.WithBootstrap(),
		lockercluster.WithLease(time.Second))
	kind := cluster.NewKind(grainKind, actor.PropsFromProducer(func() actor.Actor { return &grain{live: live} }))
	cfg := cluster.Configure("real", test.NewTestProvider(agent), lookup, remote.Configure("127.0.0.1", port),
		cluster.WithKinds(kind))
	c := cluster.New(sys, cfg)
	c.StartMember()
	return &realMember{c: c, lookup: lookup}
}

func (m *realMember) ask(t *testing.T, id string) (string, uint64) {
	res, err := m.c.Request(id, grainKind, wrapperspb.String("ping"), cluster.WithTimeout(5*time.Second))
	require.NoError(t, err)
	addr, tok, _ := strings.Cut(res.(*wrapperspb.StringValue).GetValue(), " ")
	n, err := strconv.ParseUint(tok, 10, 64)
	require.NoError(t, err)
	return addr, n
}

// Real protoactor clusters (gRPC on loopback, the test provider): every
// member reaches the one activation of a grain; when its host shuts down
// without grace, the grain comes back on another member with a greater
// token; a graceful shutdown hands grains over at once.
func TestRealClusters(t *testing.T) {
	ports := freePorts(t, 4)
	all := make([]string, 4)
	for i, p := range ports {
		all[i] = "127.0.0.1:" + strconv.Itoa(p)
	}
	agent := test.NewInMemAgent()
	live := newLiveSet()
	ms := make([]*realMember, 4)
	var wg sync.WaitGroup
	for i := range ms {
		wg.Go(func() { ms[i] = startReal(t, agent, ports[i], all[:3], live) })
	}
	wg.Wait()
	down := map[int]bool{}
	defer func() {
		var wg sync.WaitGroup
		for i, m := range ms {
			if !down[i] {
				wg.Go(func() { m.c.Shutdown(true) })
			}
		}
		wg.Wait()
	}()

	host, tok := ms[0].ask(t, "g")
	for _, m := range ms[1:] {
		h, tk := m.ask(t, "g")
		assert.Equal(t, host, h)
		assert.Equal(t, tok, tk)
	}
	index := func(addr string) int {
		for i, a := range all {
			if a == addr {
				return i
			}
		}
		t.Fatalf("no member %s", addr)
		return -1
	}
	hi := index(host)
	other := ms[(hi+1)%4]

	// Shutdown(false): the lookup stops itself; the provider drops the
	// member.
	start := time.Now()
	ms[hi].c.Shutdown(false)
	down[hi] = true
	agent.DeregisterService(ms[hi].c.ActorSystem.ID)
	host2, tok2 := other.ask(t, "g")
	assert.NotEqual(t, host, host2)
	assert.Greater(t, tok2, tok)
	t.Logf("re-activated on %s after %v (lease 1s)", host2, time.Since(start))

	// The departed member leaves the store's masters after the grace
	// (2s); then a graceful shutdown of the new host hands the grain over
	// at once.
	deadline := time.Now().Add(15 * time.Second)
	for {
		masters, _, _, _ := other.lookup.Node().View()
		if len(masters) == 3 && !slices.Contains(masters, host) {
			break
		}
		require.True(t, time.Now().Before(deadline), "masters %v", masters)
		time.Sleep(50 * time.Millisecond)
	}
	h2 := index(host2)
	ms[h2].c.Shutdown(true)
	down[h2] = true
	var last *realMember
	for i, m := range ms {
		if !down[i] {
			last = m
		}
	}
	start = time.Now()
	host3, tok3 := last.ask(t, "g")
	assert.NotEqual(t, host2, host3)
	assert.Greater(t, tok3, tok2)
	t.Logf("after a graceful shutdown, re-activated after %v", time.Since(start))
	assert.Empty(t, live.Violations())
}
