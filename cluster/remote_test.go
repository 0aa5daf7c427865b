//go:build !race

package lockercluster_test

import (
	"fmt"
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
	"github.com/asynkron/protoactor-go/cluster/identitylookup/disthash"
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
	lookup := lockercluster.NewIdentityLookup(lockercluster.WithSeeds(seeds...), lockercluster.WithBootstrap(),
		lockercluster.WithLease(time.Second))
	m := startRealWith(agent, port, lookup, live)
	m.lookup = lookup
	return m
}

func startRealWith(agent *test.InMemAgent, port int, lookup cluster.IdentityLookup, live *liveSet) *realMember {
	sys := actor.NewActorSystem(
		actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }),
		actor.WithDeadLetterThrottleInterval(10*time.Millisecond),
	)
	kind := cluster.NewKind(grainKind, actor.PropsFromProducer(func() actor.Actor { return &grain{live: live} }))
	cfg := cluster.Configure("real", test.NewTestProvider(agent), lookup, remote.Configure("127.0.0.1", port),
		cluster.WithKinds(kind))
	c := cluster.New(sys, cfg)
	c.StartMember()
	return &realMember{c: c}
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

// Two members join a real three-member cluster (test provider, gRPC on
// loopback) that runs 40 grains, for disthash and for this lookup: how
// many running grains were activated again, moved, or lived twice at
// once.
func TestRealTwoJoins(t *testing.T) {
	var rows []string
	for _, name := range []string{"disthash", "lockercluster"} {
		ports := freePorts(t, 5)
		all := make([]string, 5)
		for i, p := range ports {
			all[i] = "127.0.0.1:" + strconv.Itoa(p)
		}
		newLookup := func() cluster.IdentityLookup {
			if name == "disthash" {
				return disthash.New()
			}
			// A lease long enough that a loaded machine does not lose a
			// session (which would stop its grains, as it must).
			return lockercluster.NewIdentityLookup(lockercluster.WithSeeds(all[:3]...), lockercluster.WithBootstrap(),
				lockercluster.WithLease(3*time.Second))
		}
		agent := test.NewInMemAgent()
		live := newLiveSet()
		ms := make([]*realMember, 5)
		var wg sync.WaitGroup
		for i := range 3 {
			wg.Go(func() { ms[i] = startRealWith(agent, ports[i], newLookup(), live) })
		}
		wg.Wait()
		ids := grainIDs(40)
		before := map[string]string{}
		for _, id := range ids {
			before[id], _ = ms[0].ask(t, id)
		}
		for i := 3; i < 5; i++ {
			ms[i] = startRealWith(agent, ports[i], newLookup(), live)
			time.Sleep(500 * time.Millisecond)
		}
		moved, failed := 0, 0
		for _, id := range ids {
			res, err := ms[4].c.Request(id, grainKind, wrapperspb.String("ping"), cluster.WithTimeout(5*time.Second))
			if err != nil {
				failed++
				continue
			}
			if host, _, _ := strings.Cut(res.(*wrapperspb.StringValue).GetValue(), " "); host != before[id] {
				moved++
			}
		}
		again := 0
		for _, id := range ids {
			again += max(live.Started(id)-1, 0)
		}
		rows = append(rows, fmt.Sprintf("| %s | %d | %d | %d | %d |", name, again, moved, len(live.Violations()), failed))
		if name == "lockercluster" {
			assert.Zero(t, again, "no running grain is activated again")
			assert.Zero(t, moved)
			assert.Empty(t, live.Violations())
		}
		for _, m := range ms {
			wg.Go(func() { m.c.Shutdown(true) })
		}
		wg.Wait()
	}
	t.Log("\n| lookup | re-activated (of 40) | moved | duplicates | failed requests |\n|---|---|---|---|---|\n" + strings.Join(rows, "\n"))
}

// A real cluster whose first masters are the members of a marker kind:
// three of four members register it; every member's store starts with
// them as the masters, and grains are reached from every member.
func TestRealSeedKind(t *testing.T) {
	ports := freePorts(t, 4)
	agent := test.NewInMemAgent()
	live := newLiveSet()
	ms := make([]*realMember, 4)
	var seeds []string
	for i, p := range ports {
		if i > 0 {
			seeds = append(seeds, "127.0.0.1:"+strconv.Itoa(p))
		}
	}
	slices.Sort(seeds)
	var wg sync.WaitGroup
	for i := range ms {
		wg.Go(func() {
			lookup := lockercluster.NewIdentityLookup(lockercluster.WithSeedKind(seedKind), lockercluster.WithBootstrap(),
				lockercluster.WithLease(time.Second))
			sys := actor.NewActorSystem(
				actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }))
			kinds := []*cluster.Kind{cluster.NewKind(grainKind, actor.PropsFromProducer(func() actor.Actor { return &grain{live: live} }))}
			if i > 0 {
				kinds = append(kinds, cluster.NewKind(seedKind, actor.PropsFromFunc(func(actor.Context) {})))
			}
			cfg := cluster.Configure("real", test.NewTestProvider(agent), lookup, remote.Configure("127.0.0.1", ports[i]),
				cluster.WithKinds(kinds...))
			c := cluster.New(sys, cfg)
			c.StartMember()
			ms[i] = &realMember{c: c, lookup: lookup}
		})
	}
	wg.Wait()
	defer func() {
		var wg sync.WaitGroup
		for _, m := range ms {
			wg.Go(func() { m.c.Shutdown(true) })
		}
		wg.Wait()
	}()
	for _, m := range ms {
		deadline := time.Now().Add(10 * time.Second)
		for m.lookup.Node() == nil {
			require.True(t, time.Now().Before(deadline), "the store does not start")
			time.Sleep(10 * time.Millisecond)
		}
		masters, _, _, _ := m.lookup.Node().View()
		assert.Equal(t, seeds, masters)
	}
	host, tok := ms[0].ask(t, "g")
	for _, m := range ms[1:] {
		h, tk := m.ask(t, "g")
		assert.Equal(t, host, h)
		assert.Equal(t, tok, tk)
	}
	assert.Empty(t, live.Violations())
}
