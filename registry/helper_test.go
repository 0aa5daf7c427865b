package registry_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker"
	"github.com/protolocker/locker/cluster/clustertest"
	"github.com/protolocker/locker/registry"
)

// world is k masters n1..nk on an in-memory network, each with a
// registry; everything is closed when the test ends.
type world struct {
	t    testing.TB
	net  *clustertest.Network
	sys  map[string]*actor.ActorSystem
	node map[string]*locker.Node
	reg  map[string]*registry.Registry
}

func newWorld(t testing.TB, k int, opts ...registry.Option) *world {
	t.Helper()
	return newWorldWith(t, k, locker.Config{RequestTimeout: time.Second}, opts...)
}

// newWorldWith is newWorld with the nodes' Config (Masters and Bootstrap
// are set).
func newWorldWith(t testing.TB, k int, cfg locker.Config, opts ...registry.Option) *world {
	t.Helper()
	w := &world{t: t, net: clustertest.New(), sys: map[string]*actor.ActorSystem{},
		node: map[string]*locker.Node{}, reg: map[string]*registry.Registry{}}
	addrs := make([]string, k)
	for i := range addrs {
		addrs[i] = fmt.Sprintf("n%d", i+1)
	}
	t.Cleanup(func() {
		for _, r := range w.reg {
			r.Close()
		}
		for _, n := range w.node {
			n.Stop()
		}
		w.net.Shutdown()
	})
	for _, a := range addrs {
		sys, err := w.net.NewSystem(a)
		require.NoError(t, err)
		c := cfg
		c.Masters, c.Bootstrap = addrs, true
		n, err := locker.Start(sys, c)
		require.NoError(t, err)
		w.sys[a], w.node[a], w.reg[a] = sys, n, registry.New(n, opts...)
	}
	// Bootstrapped masters vote at once; checked, as Start promises it.
	for _, a := range addrs {
		require.Eventually(t, w.node[a].Voting, 10*time.Second, time.Millisecond, "%s votes", a)
	}
	return w
}

// kill crashes a node: off the network, its registry and node stopped.
func (w *world) kill(addr string) {
	w.net.Remove(addr)
	w.node[addr].Stop()
	w.reg[addr].Close()
	delete(w.reg, addr)
	delete(w.node, addr)
}

// probe is a test actor that records what its Receive sees.
type probe struct {
	mu      sync.Mutex
	started int
	stopped time.Time
	onStop  func() // called at Stopped, under mu
	got     []any
}

func (p *probe) receive(ctx actor.Context) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch m := ctx.Message().(type) {
	case *actor.Started:
		p.started++
	case *actor.Stopped:
		p.stopped = time.Now()
		if p.onStop != nil {
			p.onStop()
		}
	case string:
		if m == "panic" {
			panic("probe told to panic")
		}
		p.got = append(p.got, m)
	case *actor.Stopping, *actor.Restarting:
	default:
		p.got = append(p.got, m)
	}
}

func (p *probe) props(r *registry.Registry) *actor.Props {
	return actor.PropsFromFunc(p.receive, actor.WithReceiverMiddleware(r.Middleware()))
}

// setOnStop sets the function called when the actor sees Stopped.
func (p *probe) setOnStop(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.onStop = f
}

func (p *probe) starts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.started
}

func (p *probe) stoppedAt() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopped
}

func (p *probe) messages() []any {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]any(nil), p.got...)
}

// events collects the registry events published on sys.
type events struct {
	mu    sync.Mutex
	taken []*registry.NameTaken
	lost  []*registry.LeaseLost
}

func watchEvents(t testing.TB, sys *actor.ActorSystem) *events {
	e := &events{}
	sub := sys.EventStream.Subscribe(func(evt any) {
		e.mu.Lock()
		defer e.mu.Unlock()
		switch ev := evt.(type) {
		case *registry.NameTaken:
			e.taken = append(e.taken, ev)
		case *registry.LeaseLost:
			e.lost = append(e.lost, ev)
		}
	})
	t.Cleanup(func() { sys.EventStream.Unsubscribe(sub) })
	return e
}

func (e *events) nameTaken() []*registry.NameTaken {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*registry.NameTaken(nil), e.taken...)
}

func (e *events) leaseLost() []*registry.LeaseLost {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*registry.LeaseLost(nil), e.lost...)
}

// goneWithin reports whether reg stops naming name within d of fake
// time. A release can lose a round to its own renewal and back off on a
// timer, which synctest.Wait does not wait for; d below the lease keeps
// expiry from passing for a release.
func goneWithin(reg *registry.Registry, name string, d time.Duration) bool {
	for end := time.Now().Add(d); ; time.Sleep(time.Millisecond) {
		if _, ok := reg.WhereIs(name); !ok {
			return true
		}
		if time.Now().After(end) {
			return false
		}
	}
}
