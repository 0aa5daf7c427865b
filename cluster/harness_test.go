package lockercluster_test

import (
	"fmt"
	"net"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/remote"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/protolocker/locker"
	lockercluster "github.com/protolocker/locker/cluster"
	"github.com/protolocker/locker/cluster/clustertest"
)

// grainKind is the kind every harness member hosts.
const grainKind = "counter"

// harness is a set of protoactor Clusters on the in-memory network, one
// actor system each. Nothing runs a cluster provider: each member's view
// of the topology is set by the test (UpdateClusterTopology), so views
// can differ.
type harness struct {
	t       testing.TB
	net     *clustertest.Network
	mu      sync.Mutex // guards members
	members map[string]*member
	live    *liveSet
	lookup  func(addr string, restart bool) cluster.IdentityLookup
}

// member is one cluster member of the harness.
type member struct {
	addr   string
	sys    *actor.ActorSystem
	c      *cluster.Cluster
	lookup cluster.IdentityLookup
	info   *cluster.Member
}

// lockerLookup returns the lookup factory of harness members for seeds,
// with opts.
func lockerLookup(seeds []string, opts ...lockercluster.Option) func(string, bool) cluster.IdentityLookup {
	return func(_ string, restart bool) cluster.IdentityLookup {
		all := []lockercluster.Option{
			lockercluster.WithSeeds(seeds...),
			lockercluster.WithLease(time.Second),
			lockercluster.WithStoreConfig(locker.Config{ReplicationInterval: 20 * time.Millisecond}),
		}
		if !restart {
			all = append(all, lockercluster.WithBootstrap())
		}
		all = append(all, opts...)
		return lockercluster.NewIdentityLookup(all...)
	}
}

// addrs returns n member addresses: n1:1, n2:1, ...
func addrs(n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprintf("n%d:1", i+1)
	}
	return s
}

func newHarness(t testing.TB, lookup func(string, bool) cluster.IdentityLookup) *harness {
	h := &harness{t: t, net: clustertest.New(), members: map[string]*member{}, live: newLiveSet(), lookup: lookup}
	t.Cleanup(h.shutdown)
	return h
}

// start brings up a member at addr, hosting the grain kind, on the first
// start of the cluster.
func (h *harness) start(addr string) *member { return h.startAt(addr, false) }

// restart brings up a member at addr again after kill.
func (h *harness) restart(addr string) *member { return h.startAt(addr, true) }

// startClient brings up a cluster client at addr: it hosts no kind and
// is in no topology, but sees the members'.
func (h *harness) startClient(addr string) *member { return h.startMember(addr, false, true) }

func (h *harness) startAt(addr string, restart bool) *member {
	return h.startMember(addr, restart, false)
}

func (h *harness) startMember(addr string, restart, client bool) *member {
	h.t.Helper()
	sys, err := h.net.NewSystem(addr)
	require.NoError(h.t, err)
	host, p, err := net.SplitHostPort(addr)
	require.NoError(h.t, err)
	port, err := strconv.Atoi(p)
	require.NoError(h.t, err)
	lookup := h.lookup(addr, restart)
	kind := cluster.NewKind(grainKind, actor.PropsFromProducer(func() actor.Actor { return &grain{live: h.live} }))
	cfg := cluster.Configure("test", nil, lookup, remote.Configure(host, port), cluster.WithKinds(kind))
	c := cluster.New(sys, cfg)
	c.Remote = remote.NewRemote(sys, cfg.RemoteConfig)
	buildKinds(c)
	c.IdentityLookup = lookup
	if client {
		lookup.Setup(c, nil, true)
	} else {
		lookup.Setup(c, c.GetClusterKinds(), false)
	}
	m := &member{addr: addr, sys: sys, c: c, lookup: lookup,
		info: &cluster.Member{Id: sys.ID, Host: host, Port: int32(port), Kinds: []string{grainKind}}}
	h.mu.Lock()
	h.members[addr] = m
	h.mu.Unlock()
	return m
}

// buildKinds does what Cluster.StartMember does for the kinds, which
// the harness does not call (it would start gRPC).
func buildKinds(c *cluster.Cluster) {
	f := reflect.ValueOf(c).Elem().FieldByName("kinds")
	kinds := reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Interface().(map[string]*cluster.ActivatedKind)
	for name, k := range c.Config.Kinds {
		kinds[name] = k.Build(c)
	}
}

// view sets the topology that the members at who see: the members at
// those addresses.
func (h *harness) view(who []string, those []string) {
	h.t.Helper()
	var ms []*cluster.Member
	for _, a := range those {
		m := h.member(a)
		require.NotNil(h.t, m, "no member %s", a)
		ms = append(ms, m.info)
	}
	for _, a := range who {
		m := h.member(a)
		// A fresh block list: protoactor blocks every member that leaves
		// a view for good, and the harness lets a partition heal.
		m.c.Remote = remote.NewRemote(m.sys, m.c.Config.RemoteConfig)
		m.c.MemberList.UpdateClusterTopology(slices.Clone(ms))
	}
}

// viewAll makes every member at addrs see exactly those.
func (h *harness) viewAll(addrs []string) { h.view(addrs, addrs) }

// kill crashes the member at addr: off the network; its lookup's
// goroutines are stopped as the process would be gone.
func (h *harness) kill(addr string) {
	m := h.member(addr)
	h.net.Remove(addr)
	h.mu.Lock()
	delete(h.members, addr)
	h.mu.Unlock()
	stopMember(m)
}

func stopMember(m *member) {
	if l, ok := m.lookup.(*lockercluster.IdentityLookup); ok && l.Node() != nil {
		// A crash: nothing is released, the session is not renewed.
		l.Node().Stop()
	}
	m.lookup.Shutdown()
	if !m.sys.IsStopped() {
		m.sys.Shutdown()
	}
}

// member returns the member at addr; nil if none.
func (h *harness) member(addr string) *member {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.members[addr]
}

func (h *harness) shutdown() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, m := range h.members {
		m.lookup.Shutdown()
	}
	h.net.Shutdown()
	// Every failed Cluster.Request starts a goroutine of protoactor's log
	// throttle that lives for its period (2s, not configurable): outlive
	// it (no real time inside a synctest bubble).
	time.Sleep(throttlePeriod)
}

const throttlePeriod = 2100 * time.Millisecond

// request asks the grain id through member from, as Cluster.Request
// does, and returns the address of the member that answered.
func (h *harness) request(from, id string) (string, error) {
	m := h.member(from)
	if m == nil {
		return "", fmt.Errorf("no member %s", from)
	}
	res, err := m.c.Request(id, grainKind, wrapperspb.String("ping"),
		cluster.WithTimeout(3*time.Second))
	if err != nil {
		return "", err
	}
	s, ok := res.(*wrapperspb.StringValue)
	if !ok {
		return "", fmt.Errorf("unexpected response %T", res)
	}
	return s.GetValue(), nil
}

// lookupAt returns the locker lookup of the member at addr.
func (h *harness) lookupAt(addr string) *lockercluster.IdentityLookup {
	return h.member(addr).lookup.(*lockercluster.IdentityLookup)
}

// grain answers a StringValue with its host's address and its token,
// and registers itself in live from Started to Stopped.
type grain struct {
	live *liveSet
	id   string
}

// Receive implements actor.Actor.
func (g *grain) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		g.id = ctx.Self().Id
		g.live.start(identityOf(ctx), ctx.Self())
	case *actor.Stopped:
		g.live.stop(identityOf(ctx), ctx.Self())
	case *wrapperspb.StringValue:
		tok, _ := lockercluster.Token(ctx)
		switch m.GetValue() {
		case "sender":
			ctx.Respond(wrapperspb.String(ctx.Sender().GetAddress()))
		case "stop":
			ctx.Respond(wrapperspb.String(ctx.Self().Address + " " + strconv.FormatUint(tok, 10)))
			ctx.Stop(ctx.Self())
		default:
			ctx.Respond(wrapperspb.String(ctx.Self().Address + " " + strconv.FormatUint(tok, 10)))
		}
	}
}

func identityOf(ctx actor.Context) string {
	if ci := cluster.GetClusterIdentity(ctx); ci != nil {
		return ci.Identity
	}
	return ctx.Self().Id
}

// liveSet is the checker of single activation: every grain is in it from
// Started to Stopped, and two at once for one identity is a violation.
type liveSet struct {
	mu          sync.Mutex
	live        map[string][]string
	started     map[string]int
	violations  []string
	activations int
}

func newLiveSet() *liveSet {
	return &liveSet{live: map[string][]string{}, started: map[string]int{}}
}

func (s *liveSet) start(id string, pid *actor.PID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.live[id]) > 0 {
		s.violations = append(s.violations, fmt.Sprintf("%s: %v and %s", id, s.live[id], pid))
	}
	s.live[id] = append(s.live[id], pid.String())
	s.started[id]++
	s.activations++
}

func (s *liveSet) stop(id string, pid *actor.PID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live[id] = slices.DeleteFunc(s.live[id], func(p string) bool { return p == pid.String() })
}

// Violations returns the moments two activations of one identity lived
// at once.
func (s *liveSet) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.violations)
}

// Live returns the number of live activations of id.
func (s *liveSet) Live(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.live[id])
}

// Started returns how many activations of id started.
func (s *liveSet) Started(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started[id]
}
