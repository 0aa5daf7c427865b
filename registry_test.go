package locker_test

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/protolocker/locker"
	"github.com/protolocker/locker/cluster/clustertest"
	"github.com/protolocker/locker/registry"
)

// regLease is the TTL of the registries' sessions in the registry
// scenarios: renewed every 100ms; when renewal fails the actors holding
// names are stopped 270ms after the last successful renewal was sent.
const regLease = 300 * time.Millisecond

// regCluster is a testCluster that keeps each node's actor system and
// runs a registry on every node.
type regCluster struct {
	*testCluster
	sys map[string]*actor.ActorSystem
	reg map[string]*registry.Registry
}

// newRegCluster starts masters and replicas like newCluster, with a
// registry of lease regLease on each.
func newRegCluster(t *testing.T, masters, replicas []string, cfg locker.Config) *regCluster {
	t.Helper()
	cfg.Masters, cfg.Replicas = masters, replicas
	c := &regCluster{
		testCluster: &testCluster{t: t, net: clustertest.New(), cfg: cfg, nodes: map[string]*locker.Node{}},
		sys:         map[string]*actor.ActorSystem{},
		reg:         map[string]*registry.Registry{},
	}
	t.Cleanup(func() {
		for _, r := range c.reg {
			r.Close()
		}
		c.shutdown()
	})
	first := cfg
	first.Bootstrap = true
	for _, a := range append(append([]string{}, masters...), replicas...) {
		n := c.start(a, first)
		c.sys[a], c.reg[a] = n.System(), registry.New(n, registry.WithLease(regLease))
	}
	c.waitVoting(masters...)
	return c
}

// whereIs returns the PID addr's registry finds for name, as "addr/id".
func (c *regCluster) whereIs(addr, name string) string {
	pid, ok := c.reg[addr].WhereIs(name)
	if !ok {
		return ""
	}
	return pid.Address + "/" + pid.Id
}

// regProbe is an actor that records what its Receive sees.
type regProbe struct {
	mu      sync.Mutex
	starts  int
	stopped time.Time
	onStop  func()
	got     []string
}

func (p *regProbe) props(r *registry.Registry) *actor.Props {
	return actor.PropsFromFunc(func(ctx actor.Context) {
		p.mu.Lock()
		defer p.mu.Unlock()
		switch m := ctx.Message().(type) {
		case *actor.Started:
			p.starts++
		case *actor.Stopped:
			p.stopped = time.Now()
			if p.onStop != nil {
				p.onStop()
			}
		case *wrapperspb.StringValue:
			p.got = append(p.got, m.GetValue())
		}
	}, actor.WithReceiverMiddleware(r.Middleware()))
}

func (p *regProbe) state() (starts int, stopped time.Time, got []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.starts, p.stopped, append([]string(nil), p.got...)
}

// regEvents collects the registry events published on sys.
func regEvents(t *testing.T, sys *actor.ActorSystem) func() []any {
	var mu sync.Mutex
	var evs []any
	sub := sys.EventStream.Subscribe(func(evt any) {
		switch evt.(type) {
		case *registry.NameTaken, *registry.LeaseLost:
			mu.Lock()
			evs = append(evs, evt)
			mu.Unlock()
		}
	})
	t.Cleanup(func() { sys.EventStream.Unsubscribe(sub) })
	return func() []any {
		mu.Lock()
		defer mu.Unlock()
		return append([]any(nil), evs...)
	}
}

// A name taken on m1 is seen everywhere, cannot be taken twice, outlives
// its lease while its actor lives, carries messages, and is gone from
// every node as soon as the actor stops.
func TestRegistryNameAcrossNodes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newRegCluster(t, names("m", 3), nil, locker.Config{ReplicationInterval: 100 * time.Millisecond})
		p := &regProbe{}
		pid, err := c.reg["m1"].SpawnNamed(c.sys["m1"].Root, p.props(c.reg["m1"]), "ping")
		require.NoError(t, err)
		synctest.Wait()
		for _, a := range names("m", 3) {
			assert.Equal(t, "m1/ping", c.whereIs(a, "ping"), a)
		}

		// A second "ping" on m2 fails, whichever way it is spawned.
		_, err = c.reg["m2"].SpawnNamed(c.sys["m2"].Root, (&regProbe{}).props(c.reg["m2"]), "ping")
		assert.ErrorIs(t, err, registry.ErrNameTaken)
		events := regEvents(t, c.sys["m2"])
		second := &regProbe{}
		_, err = c.sys["m2"].Root.SpawnNamed(second.props(c.reg["m2"]), "ping")
		require.NoError(t, err)
		synctest.Wait()
		starts, _, _ := second.state()
		assert.Zero(t, starts, "the second ping never saw Started")
		_, live := c.sys["m2"].ProcessRegistry.GetLocal("ping")
		assert.False(t, live, "the second ping was stopped")
		evs := events()
		require.Len(t, evs, 1)
		taken, ok := evs[0].(*registry.NameTaken)
		require.True(t, ok, "%T", evs[0])
		assert.Equal(t, "ping", taken.Name)
		assert.ErrorIs(t, taken.Err, registry.ErrNameTaken)

		// Send by name, from another node.
		require.NoError(t, c.reg["m3"].Send(c.sys["m3"].Root, "ping", wrapperspb.String("hello")))
		synctest.Wait()
		_, _, got := p.state()
		assert.Equal(t, []string{"hello"}, got)

		// Renewal keeps the name past three leases.
		time.Sleep(time.Second)
		synctest.Wait()
		for _, a := range names("m", 3) {
			assert.Equal(t, "m1/ping", c.whereIs(a, "ping"), a)
		}
		looked, err := c.reg["m2"].Lookup(t.Context(), "ping")
		require.NoError(t, err)
		assert.Equal(t, "m1/ping", looked.Address+"/"+looked.Id)

		// Stopping the actor releases the name at once.
		c.sys["m1"].Root.Stop(pid)
		stopped := time.Now()
		synctest.Wait()
		for _, a := range names("m", 3) {
			assert.Empty(t, c.whereIs(a, "ping"), a)
		}
		assert.Less(t, time.Since(stopped), c.cfg.ReplicationInterval, "well within a replication interval")
	})
}

// A replica's registry sees names within a replication interval.
func TestRegistryOnReplica(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newRegCluster(t, names("m", 3), names("r", 1), locker.Config{ReplicationInterval: 50 * time.Millisecond})
		pid, err := c.reg["m1"].SpawnNamed(c.sys["m1"].Root, (&regProbe{}).props(c.reg["m1"]), "ping")
		require.NoError(t, err)
		time.Sleep(c.cfg.ReplicationInterval)
		synctest.Wait()
		assert.Equal(t, "m1/ping", c.whereIs("r1", "ping"))

		c.sys["m1"].Root.Stop(pid)
		time.Sleep(c.cfg.ReplicationInterval)
		synctest.Wait()
		assert.Empty(t, c.whereIs("r1", "ping"))
	})
}

// When m1 crashes its name expires after the lease, and m2 can take it.
func TestRegistryHolderNodeKilled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newRegCluster(t, names("m", 3), nil, locker.Config{})
		_, err := c.reg["m1"].SpawnNamed(c.sys["m1"].Root, (&regProbe{}).props(c.reg["m1"]), "ping")
		require.NoError(t, err)
		time.Sleep(regLease / 2) // renewed once, at regLease/3
		renewed := time.Now().Add(-regLease / 6)
		c.kill("m1")

		p := &regProbe{}
		for {
			_, err = c.reg["m2"].SpawnNamed(c.sys["m2"].Root, p.props(c.reg["m2"]), "ping")
			if err == nil {
				break
			}
			require.ErrorIs(t, err, registry.ErrNameTaken)
			require.Less(t, time.Since(renewed), regLease+tick, "still taken after its lease")
			time.Sleep(10 * time.Millisecond)
		}
		assert.GreaterOrEqual(t, time.Since(renewed), regLease, "taken before the lease ended")
		synctest.Wait()
		assert.Equal(t, "m2/ping", c.whereIs("m3", "ping"))
		starts, _, _ := p.state()
		assert.Equal(t, 1, starts)
	})
}

// An actor whose node loses the quorum stops before its lease can end on
// the other masters, and LeaseLost is published.
func TestRegistryQuorumLost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newRegCluster(t, names("m", 3), nil, locker.Config{})
		events := regEvents(t, c.sys["m1"])
		p := &regProbe{}
		_, err := c.reg["m1"].SpawnNamed(c.sys["m1"].Root, p.props(c.reg["m1"]), "ping")
		require.NoError(t, err)
		locked := time.Now()
		value, err := c.node("m1").DirtyRead("registry/ping")
		require.NoError(t, err)
		value = append([]byte(nil), value...)
		var heldOnM2 bool
		p.mu.Lock()
		p.onStop = func() { heldOnM2 = c.holds("m2", "registry/ping", value) }
		p.mu.Unlock()

		time.Sleep(regLease / 2) // renewed at regLease/3
		renewed := locked.Add(regLease / 3)
		c.net.Isolate("m1")
		time.Sleep(regLease)
		synctest.Wait()

		_, stopped, _ := p.state()
		require.False(t, stopped.IsZero(), "stopped")
		assert.Less(t, stopped.Sub(renewed), regLease, "stopped before the lease ended")
		assert.True(t, heldOnM2, "m2 still held the name when the actor stopped")
		evs := events()
		require.Len(t, evs, 1)
		lost, ok := evs[0].(*registry.LeaseLost)
		require.True(t, ok, "%T", evs[0])
		assert.Equal(t, "ping", lost.Name)
		assert.ErrorIs(t, lost.Err, registry.ErrLeaseLost)

		// The majority side takes the name once the lease is over.
		time.Sleep(time.Until(renewed.Add(regLease + tick)))
		_, err = c.reg["m2"].SpawnNamed(c.sys["m2"].Root, (&regProbe{}).props(c.reg["m2"]), "ping")
		require.NoError(t, err)
	})
}

// With PropsOption a spawn on m2 of a name m1 holds fails and spawns
// nothing; Request reaches the holder from any node; once the holder
// stops, m2 takes the name with a greater token.
func TestRegistryPropsOptionAcrossNodes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newRegCluster(t, names("m", 3), nil, locker.Config{})
		echo := func(ctx actor.Context) {
			if m, ok := ctx.Message().(*wrapperspb.StringValue); ok {
				ctx.Respond(wrapperspb.String(ctx.Self().Address + ":" + m.GetValue()))
			}
		}
		pid, err := c.sys["m1"].Root.SpawnNamed(actor.PropsFromFunc(echo, c.reg["m1"].PropsOption()), "svc")
		require.NoError(t, err)
		synctest.Wait()
		first, ok := c.reg["m1"].Token("svc")
		require.True(t, ok)

		var produced int
		props2 := actor.PropsFromProducer(func() actor.Actor {
			produced++
			return actor.ReceiveFunc(echo)
		}, c.reg["m2"].PropsOption())
		_, err = c.sys["m2"].Root.SpawnNamed(props2, "svc")
		require.ErrorIs(t, err, registry.ErrNameTaken)
		synctest.Wait()
		assert.Zero(t, produced, "nothing spawned on m2")
		_, live := c.sys["m2"].ProcessRegistry.GetLocal("svc")
		assert.False(t, live)

		for _, a := range names("m", 3) {
			got, err := c.reg[a].Request(t.Context(), "svc", wrapperspb.String(a))
			require.NoError(t, err, a)
			assert.Equal(t, "m1:"+a, got.(*wrapperspb.StringValue).GetValue())
		}

		require.NoError(t, c.sys["m1"].Root.StopFuture(pid).Wait())
		synctest.Wait()
		_, err = c.sys["m2"].Root.SpawnNamed(props2, "svc")
		require.NoError(t, err)
		synctest.Wait()
		assert.Equal(t, 1, produced)
		next, ok := c.reg["m2"].Token("svc")
		require.True(t, ok)
		assert.Greater(t, next, first)
		got, err := c.reg["m3"].Request(t.Context(), "svc", wrapperspb.String("x"))
		require.NoError(t, err)
		assert.Equal(t, "m2:x", got.(*wrapperspb.StringValue).GetValue())
	})
}
