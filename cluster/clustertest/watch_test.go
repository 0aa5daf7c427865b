package clustertest

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"
)

// watcher watches target when it starts and reports every Terminated.
type watcher struct {
	target     *actor.PID
	terminated chan *actor.Terminated
}

func (w *watcher) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		ctx.Watch(w.target)
	case *actor.Terminated:
		w.terminated <- m
	}
}

// watch spawns, on sys, an actor watching target.
func watch(t *testing.T, sys *actor.ActorSystem, target *actor.PID) chan *actor.Terminated {
	t.Helper()
	terminated := make(chan *actor.Terminated, 10)
	sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor {
		return &watcher{target: target, terminated: terminated}
	}))

	return terminated
}

func requireTerminated(t *testing.T, got *actor.Terminated, addr, id string, why actor.TerminatedReason) {
	t.Helper()
	require.Equal(t, addr, got.GetWho().GetAddress())
	require.Equal(t, id, got.GetWho().GetId())
	require.Equal(t, why, got.GetWhy())
}

func TestWatchRemoteActorRealTime(t *testing.T) {
	n := New()
	defer n.Shutdown()
	sysA := newSystem(t, n, "a")
	sysB := newSystem(t, n, "b")
	spawnEcho(t, sysB)

	terminated := watch(t, sysA, actor.NewPID("b", "echo"))
	// The watch must have reached b before the actor stops.
	require.Eventually(t, func() bool { return n.Stats().Delivered == 1 }, 5*time.Second, time.Millisecond)
	sysB.Root.Stop(actor.NewPID("b", "echo"))

	select {
	case got := <-terminated:
		requireTerminated(t, got, "b", "echo", actor.TerminatedReason_Stopped)
	case <-time.After(5 * time.Second):
		t.Fatal("no Terminated")
	}
}

func TestWatchRemoteActor(t *testing.T) {
	bubble(t, func(t *testing.T, n *Network) {
		sysA := newSystem(t, n, "a")
		sysB := newSystem(t, n, "b")
		spawnEcho(t, sysB)

		terminated := watch(t, sysA, actor.NewPID("b", "echo"))
		synctest.Wait()
		sysB.Root.Stop(actor.NewPID("b", "echo"))
		requireTerminated(t, <-terminated, "b", "echo", actor.TerminatedReason_Stopped)
	})
}

func TestWatchMissingActor(t *testing.T) {
	bubble(t, func(t *testing.T, n *Network) {
		sysA := newSystem(t, n, "a")
		newSystem(t, n, "b")

		terminated := watch(t, sysA, actor.NewPID("b", "nobody"))
		requireTerminated(t, <-terminated, "b", "nobody", actor.TerminatedReason_NotFound)
	})
}

func TestWatchUnknownNode(t *testing.T) {
	bubble(t, func(t *testing.T, n *Network) {
		sysA := newSystem(t, n, "a")

		terminated := watch(t, sysA, actor.NewPID("zzz", "nobody"))
		requireTerminated(t, <-terminated, "zzz", "nobody", actor.TerminatedReason_AddressTerminated)
	})
}

func TestKillNotifiesRemoteWatchers(t *testing.T) {
	bubble(t, func(t *testing.T, n *Network) {
		sysA := newSystem(t, n, "a")
		spawnEcho(t, newSystem(t, n, "b"))

		terminated := watch(t, sysA, actor.NewPID("b", "echo"))
		synctest.Wait()
		n.Kill("b")
		requireTerminated(t, <-terminated, "b", "echo", actor.TerminatedReason_AddressTerminated)
		synctest.Wait()
		require.Empty(t, terminated, "exactly one Terminated")
	})
}

func TestRemoteStop(t *testing.T) {
	bubble(t, func(t *testing.T, n *Network) {
		sysA := newSystem(t, n, "a")
		sysB := newSystem(t, n, "b")
		spawnEcho(t, sysB)

		// StopFuture watches the target from a future on a, then stops it.
		require.NoError(t, sysA.Root.StopFuture(actor.NewPID("b", "echo")).Wait())
		_, found := sysB.ProcessRegistry.GetLocal("echo")
		require.False(t, found)
	})
}

// unwatcher watches target and unwatches it straight away.
type unwatcher struct {
	target     *actor.PID
	terminated chan *actor.Terminated
}

func (w *unwatcher) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		ctx.Watch(w.target)
		ctx.Unwatch(w.target)
	case *actor.Terminated:
		w.terminated <- m
	}
}

func TestUnwatchedNodeKillIsSilent(t *testing.T) {
	bubble(t, func(t *testing.T, n *Network) {
		sysA := newSystem(t, n, "a")
		spawnEcho(t, newSystem(t, n, "b"))

		terminated := make(chan *actor.Terminated, 10)
		sysA.Root.Spawn(actor.PropsFromProducer(func() actor.Actor {
			return &unwatcher{target: actor.NewPID("b", "echo"), terminated: terminated}
		}))
		synctest.Wait()
		n.Kill("b")
		synctest.Wait()
		require.Empty(t, terminated)
	})
}
