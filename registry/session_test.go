package registry_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/protolocker/locker"
	"github.com/protolocker/locker/registry"
)

// requests sums the protocol messages the masters of w handled.
func (w *world) requests() uint64 {
	var n uint64
	for _, node := range w.node {
		n += node.Stats().Requests
	}
	return n
}

// crowd counts what many actors of one Props see.
type crowd struct {
	started, stopped atomic.Int64
	onStop           func(self *actor.PID) // called at Stopped, if set before the actors start
}

func (c *crowd) receive(ctx actor.Context) {
	switch ctx.Message().(type) {
	case *actor.Started:
		c.started.Add(1)
	case *actor.Stopped:
		c.stopped.Add(1)
		if c.onStop != nil {
			c.onStop(ctx.Self())
		}
	}
}

// With PropsOption a plain SpawnNamed takes the name before spawning:
// when another node holds it the spawn fails with ErrNameTaken and no
// actor is created, and once the holder stops the name goes to the next
// spawn with a greater token.
func TestPropsOptionRefusesSpawn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3, registry.WithLease(lease))
		p1 := &probe{}
		props1 := actor.PropsFromFunc(p1.receive, w.reg["n1"].PropsOption())
		pid, err := w.sys["n1"].Root.SpawnNamed(props1, "ping")
		require.NoError(t, err)
		synctest.Wait()
		assert.Equal(t, 1, p1.starts())
		first, ok := w.reg["n1"].Token("ping")
		require.True(t, ok)
		got, ok := w.reg["n3"].WhereIs("ping")
		require.True(t, ok)
		assert.Equal(t, "n1", got.Address)

		ev := watchEvents(t, w.sys["n2"])
		var produced atomic.Int64
		props2 := actor.PropsFromProducer(func() actor.Actor {
			produced.Add(1)
			return actor.ReceiveFunc((&probe{}).receive)
		}, w.reg["n2"].PropsOption())
		_, err = w.sys["n2"].Root.SpawnNamed(props2, "ping")
		assert.ErrorIs(t, err, registry.ErrNameTaken)
		assert.ErrorIs(t, err, locker.ErrLocked)
		synctest.Wait()
		assert.Zero(t, produced.Load(), "no actor was created")
		_, found := w.sys["n2"].ProcessRegistry.GetLocal("ping")
		assert.False(t, found, "nothing spawned")
		assert.Empty(t, ev.nameTaken(), "the spawn failed; no actor was refused")
		_, ok = w.reg["n2"].Token("ping")
		assert.False(t, ok)

		_, err = w.sys["n1"].Root.SpawnNamed(props1, "ping")
		assert.ErrorIs(t, err, registry.ErrNameTaken, "held here already")
		synctest.Wait()
		assert.Equal(t, 1, p1.starts(), "the holder runs on")

		require.NoError(t, w.sys["n1"].Root.StopFuture(pid).Wait())
		assert.True(t, goneWithin(w.reg["n2"], "ping", lease/2), "released when the actor stopped")
		_, err = w.sys["n2"].Root.SpawnNamed(props2, "ping")
		require.NoError(t, err)
		synctest.Wait()
		assert.Equal(t, int64(1), produced.Load())
		next, ok := w.reg["n2"].Token("ping")
		require.True(t, ok)
		assert.Greater(t, next, first, "a later holder has a greater token")
	})
}

// PropsOption covers children ("parent/child"), SpawnNamed of Props that
// carry it (one registration), a spawn that fails after the name was
// taken (released), and ids that cannot be names.
func TestPropsOptionSpawnPaths(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 1, registry.WithLease(lease))
		sys, reg, node := w.sys["n1"], w.reg["n1"], w.node["n1"]

		child := &probe{}
		parent := actor.PropsFromFunc(func(ctx actor.Context) {
			if _, ok := ctx.Message().(*actor.Started); ok {
				_, err := ctx.SpawnNamed(actor.PropsFromFunc(child.receive, reg.PropsOption()), "child")
				assert.NoError(t, err)
			}
		}, reg.PropsOption())
		ppid, err := sys.Root.SpawnNamed(parent, "parent")
		require.NoError(t, err)
		synctest.Wait()
		assert.Equal(t, 1, child.starts())
		for _, name := range []string{"parent", "parent/child"} {
			_, ok := reg.WhereIs(name)
			assert.True(t, ok, name)
		}

		p := &probe{}
		pid, err := reg.SpawnNamed(sys.Root, actor.PropsFromFunc(p.receive, reg.PropsOption()), "w")
		require.NoError(t, err)
		synctest.Wait()
		assert.Equal(t, 1, p.starts())
		token, ok := reg.Token("w")
		require.True(t, ok)
		e, err := node.Read(t.Context(), "registry/w")
		require.NoError(t, err)
		assert.Equal(t, e.Token, token)
		require.NoError(t, sys.Root.StopFuture(pid).Wait())
		assert.True(t, goneWithin(reg, "w", lease/2))

		// A plain actor holds the id in protoactor: the spawn fails after
		// the name was taken, and the name is released.
		busy := sys.Root.Spawn(actor.PropsFromFunc(func(actor.Context) {}))
		_, err = sys.Root.SpawnNamed(actor.PropsFromFunc((&probe{}).receive, reg.PropsOption()), busy.Id)
		assert.ErrorIs(t, err, actor.ErrNameExists)
		_, ok = reg.Token(busy.Id)
		assert.False(t, ok)
		_, err = node.Read(t.Context(), "registry/"+busy.Id)
		assert.ErrorIs(t, err, locker.ErrNotFound, "released")

		_, err = sys.Root.SpawnNamed(actor.PropsFromFunc((&probe{}).receive, reg.PropsOption()), strings.Repeat("n", registry.MaxNameLen+1))
		assert.ErrorIs(t, err, locker.ErrInvalid)

		require.NoError(t, sys.Root.StopFuture(ppid).Wait())
		synctest.Wait()
		for _, name := range []string{"parent", "parent/child"} {
			assert.True(t, goneWithin(reg, name, lease/2), name)
		}
	})
}

// Tokens of a name rise from holder to holder, whichever registry takes
// it, and across the loss of a session.
func TestTokenRisesAcrossHolders(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3, registry.WithLease(lease))
		pid := w.sys["n1"].Root.Spawn(actor.PropsFromFunc(func(actor.Context) {}))
		_, ok := w.reg["n1"].Token("t")
		assert.False(t, ok, "not held")

		var last uint64
		take := func(addr string) {
			t.Helper()
			require.NoError(t, w.reg[addr].Register(t.Context(), "t", pid))
			token, ok := w.reg[addr].Token("t")
			require.True(t, ok, addr)
			e, err := w.node[addr].Read(t.Context(), "registry/t")
			require.NoError(t, err)
			assert.Equal(t, e.Token, token, "%s: the tenure's token", addr)
			assert.Greater(t, token, last, "%s: greater than the previous holder's", addr)
			last = token
		}
		take("n1")
		require.NoError(t, w.reg["n1"].Unregister(t.Context(), "t"))
		take("n2")
		w.reg["n2"].Close()
		synctest.Wait()
		take("n3")

		// n3 loses its session; once it has expired, n1 takes the name. Its
		// last renewals reached n3's own master only, and a later call may
		// complete them: the session can last until a TTL after the last
		// attempt, which is before the session's Done.
		w.net.Isolate("n3")
		time.Sleep(2*lease + 2*time.Millisecond)
		synctest.Wait()
		w.net.Heal()
		_, ok = w.reg["n3"].Token("t")
		assert.False(t, ok, "dropped with its session")
		take("n1")
	})
}

// echo answers every string message with its text prefixed by "re:".
func echo(ctx actor.Context) {
	if m, ok := ctx.Message().(*wrapperspb.StringValue); ok {
		ctx.Respond(wrapperspb.String("re:" + m.GetValue()))
	}
}

func TestRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3, registry.WithLease(lease))
		_, err := w.sys["n1"].Root.SpawnNamed(actor.PropsFromFunc(echo, w.reg["n1"].PropsOption()), "echo")
		require.NoError(t, err)
		synctest.Wait()
		for _, addr := range []string{"n1", "n3"} {
			got, err := w.reg[addr].Request(t.Context(), "echo", wrapperspb.String(addr))
			require.NoError(t, err, addr)
			assert.Equal(t, "re:"+addr, got.(*wrapperspb.StringValue).GetValue(), addr)
		}

		_, err = w.reg["n2"].Request(t.Context(), "nobody", wrapperspb.String("x"))
		assert.ErrorIs(t, err, registry.ErrNotRegistered)

		// n3 missed the registration: its table does not hold it, Lookup
		// finds it.
		w.net.Isolate("n3")
		_, err = w.sys["n1"].Root.SpawnNamed(actor.PropsFromFunc(echo, w.reg["n1"].PropsOption()), "late")
		require.NoError(t, err)
		synctest.Wait()
		w.net.Heal()
		_, ok := w.reg["n3"].WhereIs("late")
		require.False(t, ok, "n3's table does not hold it yet")
		got, err := w.reg["n3"].Request(t.Context(), "late", wrapperspb.String("hi"))
		require.NoError(t, err)
		assert.Equal(t, "re:hi", got.(*wrapperspb.StringValue).GetValue())

		// No answer: the request waits until ctx's deadline.
		_, err = w.sys["n1"].Root.SpawnNamed(actor.PropsFromFunc(func(actor.Context) {}, w.reg["n1"].PropsOption()), "mute")
		require.NoError(t, err)
		synctest.Wait()
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err = w.reg["n2"].Request(ctx, "mute", wrapperspb.String("x"))
		assert.ErrorIs(t, err, actor.ErrTimeout)
		assert.Equal(t, 50*time.Millisecond, time.Since(start))
		_, err = w.reg["n2"].Request(ctx, "mute", wrapperspb.String("x"))
		assert.ErrorIs(t, err, context.DeadlineExceeded, "ctx is over")
	})
}

// When the session is lost every actor holding its name through the
// registry is stopped while the masters still hold the names, each name
// gets a LeaseLost event, names given to Register are dropped (their
// processes run on), and the registry opens a new session for the next
// registrations.
func TestSessionLossStopsEveryHolder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3, registry.WithLease(lease))
		reg, sys := w.reg["n1"], w.sys["n1"]
		ev := watchEvents(t, sys)
		var heldAtStop atomic.Int64
		c := &crowd{onStop: func(self *actor.PID) {
			if _, err := w.node["n2"].DirtyRead("registry/" + self.Id); err == nil {
				heldAtStop.Add(1)
			}
		}}
		const n = 50
		for i := range n {
			_, err := reg.SpawnNamed(sys.Root, actor.PropsFromFunc(c.receive, actor.WithReceiverMiddleware(reg.Middleware())), fmt.Sprintf("m%d", i))
			require.NoError(t, err)
			_, err = sys.Root.SpawnNamed(actor.PropsFromFunc(c.receive, reg.PropsOption()), fmt.Sprintf("o%d", i))
			require.NoError(t, err)
		}
		plain := &crowd{}
		for i := range n {
			require.NoError(t, reg.Register(t.Context(), fmt.Sprintf("r%d", i), sys.Root.Spawn(actor.PropsFromFunc(plain.receive))))
		}
		synctest.Wait()
		require.Equal(t, int64(2*n), c.started.Load())
		before, ok := reg.Token("m0")
		require.True(t, ok)

		w.net.Isolate("n1")
		time.Sleep(lease)
		synctest.Wait()
		assert.Equal(t, int64(2*n), c.stopped.Load(), "every holder stopped")
		assert.Equal(t, int64(2*n), heldAtStop.Load(), "n2 still held each name when its actor stopped")
		assert.Zero(t, plain.stopped.Load(), "registered processes run on")
		lost := ev.leaseLost()
		assert.Len(t, lost, 3*n, "one LeaseLost per name")
		seen := map[string]bool{}
		for _, l := range lost {
			seen[l.Name] = true
			assert.ErrorIs(t, l.Err, registry.ErrLeaseLost)
			assert.ErrorIs(t, l.Err, locker.ErrSessionLost)
		}
		assert.Len(t, seen, 3*n)
		for _, name := range []string{"m0", "o0", "r0"} {
			_, ok := reg.Token(name)
			assert.False(t, ok, name)
		}
		assert.ErrorIs(t, reg.Unregister(t.Context(), "r0"), registry.ErrNotRegistered)

		// Healed, and the old session expired on the masters: a new
		// session takes the names again, with greater tokens.
		w.net.Heal()
		time.Sleep(lease)
		synctest.Wait()
		require.NoError(t, reg.Register(t.Context(), "r0", sys.Root.Spawn(actor.PropsFromFunc(plain.receive))))
		_, err := reg.SpawnNamed(sys.Root, actor.PropsFromFunc(c.receive, reg.PropsOption()), "m0")
		require.NoError(t, err)
		after, ok := reg.Token("m0")
		require.True(t, ok)
		assert.Greater(t, after, before)
		time.Sleep(2 * lease)
		synctest.Wait()
		_, ok = w.reg["n3"].WhereIs("m0")
		assert.True(t, ok, "kept by the new session")
	})
}

// A release that fails (no quorum) is retried: the name does not stay
// attached to the session, which lives on.
func TestReleaseRetriedUntilDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3, registry.WithLease(lease))
		reg, sys := w.reg["n1"], w.sys["n1"]
		p := &probe{}
		pid, err := reg.SpawnNamed(sys.Root, p.props(reg), "a")
		require.NoError(t, err)
		_, err = reg.SpawnNamed(sys.Root, (&probe{}).props(reg), "b")
		require.NoError(t, err)
		w.net.Isolate("n1")
		require.NoError(t, sys.Root.StopFuture(pid).Wait())
		time.Sleep(lease / 3)
		w.net.Heal()
		assert.True(t, goneWithin(w.reg["n2"], "a", lease/2), "released after the heal")
		time.Sleep(lease)
		synctest.Wait()
		_, ok := w.reg["n2"].WhereIs("b")
		assert.True(t, ok, "the session lived on")
		_, err = w.reg["n2"].Lookup(t.Context(), "a")
		assert.ErrorIs(t, err, registry.ErrNotRegistered)
	})
}

// Thousands of names on one session: all registered at once through the
// middleware, none lost over several TTLs, all visible on every node, and
// the steady state costs the session's renewal only.
func TestManyNamesOneSession(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 5000
		w := newWorldWith(t, 3, locker.Config{RequestTimeout: time.Second, ReplicationInterval: time.Hour}, registry.WithLease(lease))
		reg, sys := w.reg["n1"], w.sys["n1"]
		ev := watchEvents(t, sys)
		c := &crowd{}
		props := actor.PropsFromFunc(c.receive, actor.WithReceiverMiddleware(reg.Middleware()))
		for i := range n {
			_, err := sys.Root.SpawnNamed(props, fmt.Sprintf("name-%d", i))
			require.NoError(t, err)
		}
		synctest.Wait()
		require.Equal(t, int64(n), c.started.Load(), "every actor took its name")
		require.Empty(t, ev.nameTaken())

		before := w.requests()
		const periods = 15 // renewals, every lease/3
		time.Sleep(periods * lease / 3)
		synctest.Wait()
		spent := w.requests() - before
		// A renewal is one accept round and its learn, to three masters.
		assert.LessOrEqual(t, spent, uint64((periods+1)*2*3), "messages to the masters over %d renewal periods", periods)
		assert.Empty(t, ev.leaseLost())
		assert.Zero(t, c.stopped.Load())
		var missing sync.Map
		for i := range n {
			name := fmt.Sprintf("name-%d", i)
			for addr, r := range w.reg {
				if pid, ok := r.WhereIs(name); !ok || pid.Address != "n1" {
					missing.Store(addr+":"+name, true)
				}
			}
			if _, ok := reg.Token(name); !ok {
				missing.Store("token:"+name, true)
			}
		}
		count := 0
		missing.Range(func(any, any) bool { count++; return true })
		assert.Zero(t, count, "names not visible or not held")

		// Lost at once: one goroutine stops every holder, one event each.
		w.net.Isolate("n1")
		time.Sleep(lease)
		synctest.Wait()
		assert.Equal(t, int64(n), c.stopped.Load(), "every holder stopped")
		assert.Len(t, ev.leaseLost(), n)
	})
}
