package registry_test

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker"
	"github.com/protolocker/locker/registry"
)

const lease = 300 * time.Millisecond

func TestSpawnNamedWhereIsLookupSend(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 1, registry.WithLease(lease))
		sys, reg := w.sys["n1"], w.reg["n1"]
		p := &probe{}
		pid, err := reg.SpawnNamed(sys.Root, p.props(reg), "ping")
		require.NoError(t, err)
		synctest.Wait()
		assert.Equal(t, 1, p.starts())

		got, ok := reg.WhereIs("ping")
		require.True(t, ok)
		assert.Equal(t, "n1", got.Address)
		assert.Equal(t, "ping", got.Id)
		again, _ := reg.WhereIs("ping")
		assert.Same(t, got, again, "the decoded PID is cached")
		looked, err := reg.Lookup(t.Context(), "ping")
		require.NoError(t, err)
		assert.True(t, looked.Equal(pid))

		_, err = reg.SpawnNamed(sys.Root, (&probe{}).props(reg), "ping")
		assert.ErrorIs(t, err, registry.ErrNameTaken)

		require.NoError(t, reg.Send(sys.Root, "ping", "hello"))
		synctest.Wait()
		assert.Equal(t, []any{"hello"}, p.messages())

		assert.ErrorIs(t, reg.Send(sys.Root, "nobody", "x"), registry.ErrNotRegistered)
		_, err = reg.Lookup(t.Context(), "nobody")
		assert.ErrorIs(t, err, registry.ErrNotRegistered)
		_, ok = reg.WhereIs("nobody")
		assert.False(t, ok)

		// Renewed past several leases.
		time.Sleep(4 * lease)
		_, ok = reg.WhereIs("ping")
		assert.True(t, ok, "renewed")

		require.NoError(t, sys.Root.PoisonFuture(pid).Wait())
		assert.True(t, goneWithin(reg, "ping", lease/2), "released when the actor stopped")
	})
}

func TestMiddlewareRefusesTakenName(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3, registry.WithLease(lease))
		_, err := w.reg["n1"].SpawnNamed(w.sys["n1"].Root, (&probe{}).props(w.reg["n1"]), "ping")
		require.NoError(t, err)

		ev := watchEvents(t, w.sys["n2"])
		p := &probe{}
		pid, err := w.sys["n2"].Root.SpawnNamed(p.props(w.reg["n2"]), "ping")
		require.NoError(t, err, "protoactor spawns it; the middleware stops it")
		synctest.Wait()
		assert.Zero(t, p.starts(), "never saw Started")
		assert.True(t, p.stoppedAt().IsZero(), "nor Stopped")
		_, found := w.sys["n2"].ProcessRegistry.GetLocal(pid.Id)
		assert.False(t, found, "stopped")
		taken := ev.nameTaken()
		require.Len(t, taken, 1)
		assert.Equal(t, "ping", taken[0].Name)
		assert.Equal(t, "n2", taken[0].PID.Address)
		assert.ErrorIs(t, taken[0].Err, registry.ErrNameTaken)
		assert.ErrorIs(t, taken[0].Err, locker.ErrLocked)

		got, ok := w.reg["n3"].WhereIs("ping")
		require.True(t, ok)
		assert.Equal(t, "n1", got.Address, "the first holder keeps it")
	})
}

// A restart keeps the name (no new registration, same fencing token); a
// panic under a stopping supervisor releases it. Children are named
// "parent/child".
func TestRestartKeepsNameStopReleases(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 1, registry.WithLease(lease))
		sys, reg, node := w.sys["n1"], w.reg["n1"], w.node["n1"]
		p := &probe{}
		pid, err := reg.SpawnNamed(sys.Root, p.props(reg), "worker")
		require.NoError(t, err)
		synctest.Wait()
		before, err := node.Read(t.Context(), "registry/worker")
		require.NoError(t, err)
		token, ok := reg.Token("worker")
		require.True(t, ok)
		assert.Equal(t, before.Token, token, "the token of the tenure")

		sys.Root.Send(pid, "panic") // the default supervisor restarts
		synctest.Wait()
		assert.Equal(t, 2, p.starts(), "restarted")
		after, err := node.Read(t.Context(), "registry/worker")
		require.NoError(t, err)
		assert.Equal(t, before, after, "same registration")
		again, ok := reg.Token("worker")
		require.True(t, ok)
		assert.Equal(t, token, again, "same token")

		stopAll := actor.NewOneForOneStrategy(1, time.Second, func(any) actor.Directive { return actor.StopDirective })
		child := &probe{}
		parent := actor.PropsFromFunc(func(ctx actor.Context) {
			if _, ok := ctx.Message().(*actor.Started); ok {
				_, err := reg.SpawnNamed(ctx, child.props(reg), "child")
				assert.NoError(t, err)
			}
		}, actor.WithSupervisor(stopAll))
		ppid, err := sys.Root.SpawnNamed(parent, "parent")
		require.NoError(t, err)
		synctest.Wait()
		cpid, ok := reg.WhereIs("parent/child")
		require.True(t, ok)
		sys.Root.Send(actor.NewPID(cpid.Address, cpid.Id), "panic")
		synctest.Wait()
		assert.False(t, child.stoppedAt().IsZero(), "stopped by its supervisor")
		_, ok = reg.WhereIs("parent/child")
		assert.False(t, ok, "released")
		_, err = node.Read(t.Context(), "registry/parent/child")
		assert.ErrorIs(t, err, locker.ErrNotFound)
		require.NoError(t, sys.Root.StopFuture(ppid).Wait())
	})
}

// Register names any PID and watches it: the name goes when it
// terminates, locally or with its node.
func TestRegisterWatchesPID(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3, registry.WithLease(lease))
		reg := w.reg["n1"]
		plain := actor.PropsFromFunc(func(actor.Context) {})
		local := w.sys["n1"].Root.Spawn(plain)
		remote := w.sys["n3"].Root.Spawn(plain)
		require.NoError(t, reg.Register(t.Context(), "local", local))
		require.NoError(t, reg.Register(t.Context(), "remote", remote))
		require.NoError(t, reg.Register(t.Context(), "local", local), "idempotent")
		err := reg.Register(t.Context(), "local", remote)
		assert.ErrorIs(t, err, registry.ErrNameTaken)
		err = w.reg["n2"].Register(t.Context(), "local", actor.NewPID("n2", "x"))
		assert.ErrorIs(t, err, registry.ErrNameTaken)
		assert.ErrorIs(t, err, locker.ErrLocked)

		time.Sleep(2 * lease)
		got, ok := w.reg["n2"].WhereIs("remote")
		require.True(t, ok, "renewed")
		assert.Equal(t, remote.Id, got.Id)

		require.NoError(t, w.sys["n1"].Root.StopFuture(local).Wait())
		assert.True(t, goneWithin(w.reg["n2"], "local", lease/2), "released when the PID stopped")

		w.kill("n3")
		assert.True(t, goneWithin(w.reg["n2"], "remote", lease/2), "released when the PID's node went")
	})
}

func TestUnregisterAndValidation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 1, registry.WithLease(lease))
		reg, sys := w.reg["n1"], w.sys["n1"]
		pid := sys.Root.Spawn(actor.PropsFromFunc(func(actor.Context) {}))
		require.NoError(t, reg.Register(t.Context(), "x", pid))
		require.NoError(t, reg.Unregister(t.Context(), "x"))
		_, ok := reg.WhereIs("x")
		assert.False(t, ok)
		assert.ErrorIs(t, reg.Unregister(t.Context(), "x"), registry.ErrNotRegistered)
		time.Sleep(2 * lease)
		_, ok = reg.WhereIs("x")
		assert.False(t, ok, "not renewed after Unregister")
		other := sys.Root.Spawn(actor.PropsFromFunc(func(actor.Context) {}))
		require.NoError(t, reg.Register(t.Context(), "x", other), "the registry holds nothing of the old claim")
		got, ok := reg.WhereIs("x")
		require.True(t, ok)
		assert.Equal(t, other.Id, got.Id)
		require.NoError(t, reg.Unregister(t.Context(), "x"))

		for _, name := range []string{"", strings.Repeat("n", registry.MaxNameLen+1)} {
			assert.ErrorIs(t, reg.Register(t.Context(), name, pid), locker.ErrInvalid)
			_, err := reg.SpawnNamed(sys.Root, (&probe{}).props(reg), name)
			assert.ErrorIs(t, err, locker.ErrInvalid)
		}
		assert.ErrorIs(t, reg.Register(t.Context(), "y", nil), locker.ErrInvalid)
		long := registry.New(w.node["n1"], registry.WithLease(2*locker.DefaultConfig().MaxLease))
		assert.ErrorIs(t, long.Register(t.Context(), "y", pid), locker.ErrInvalid, "a session TTL over MaxLease")
		long.Close()

		// The middleware refuses an id too long to be a name.
		ev := watchEvents(t, sys)
		_, err := sys.Root.SpawnNamed((&probe{}).props(reg), strings.Repeat("n", registry.MaxNameLen+1))
		require.NoError(t, err)
		synctest.Wait()
		require.Len(t, ev.nameTaken(), 1)
		assert.ErrorIs(t, ev.nameTaken()[0].Err, locker.ErrInvalid)
	})
}

// A renewal of the session that fails is retried while time allows; when
// none succeeds before the session's deadline the actor stops while the
// masters still hold its name, and LeaseLost is published.
func TestSessionRenewalRetriesThenStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3, registry.WithLease(lease))
		ev := watchEvents(t, w.sys["n1"])
		p := &probe{}
		_, err := w.reg["n1"].SpawnNamed(w.sys["n1"].Root, p.props(w.reg["n1"]), "ping")
		require.NoError(t, err)
		value, err := w.node["n1"].DirtyRead("registry/ping")
		require.NoError(t, err)
		value = append([]byte(nil), value...)
		var heldOnN2 bool
		p.setOnStop(func() {
			got, err := w.node["n2"].DirtyRead("registry/ping")
			heldOnN2 = err == nil && string(got) == string(value)
		})

		w.net.Isolate("n1")
		time.Sleep(lease / 2) // the renewal at lease/3 fails; retries go on
		w.net.Heal()
		time.Sleep(lease)
		synctest.Wait()
		assert.True(t, p.stoppedAt().IsZero(), "a later retry succeeded")
		assert.Empty(t, ev.leaseLost())

		w.net.Isolate("n1")
		isolated := time.Now()
		time.Sleep(lease)
		synctest.Wait()
		stopped := p.stoppedAt()
		require.False(t, stopped.IsZero(), "stopped")
		assert.Less(t, stopped.Sub(isolated), lease, "before its lease could end")
		assert.True(t, heldOnN2, "n2 still held the name when the actor stopped")
		lost := ev.leaseLost()
		require.Len(t, lost, 1)
		assert.Equal(t, "ping", lost[0].Name)
		assert.Equal(t, "n1", lost[0].PID.Address)
		assert.ErrorIs(t, lost[0].Err, registry.ErrLeaseLost)
		assert.ErrorIs(t, lost[0].Err, locker.ErrSessionLost)
		_, ok := w.reg["n1"].Token("ping")
		assert.False(t, ok, "no longer held")
	})
}

// A name held by another registry is taken, even for the same PID, and
// whatever the value is (a raw lock of the PID's old encoding too); a
// repeat within one registry is idempotent.
func TestNameHeldByAnotherRegistry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3, registry.WithLease(lease))
		reg, sys := w.reg["n1"], w.sys["n1"]
		other := registry.New(w.node["n1"], registry.WithLease(lease))
		t.Cleanup(other.Close)
		pid := sys.Root.Spawn(actor.PropsFromFunc(func(actor.Context) {}))
		require.NoError(t, reg.Register(t.Context(), "x", pid))
		require.NoError(t, reg.Register(t.Context(), "x", pid), "idempotent here")
		err := other.Register(t.Context(), "x", pid)
		assert.ErrorIs(t, err, registry.ErrNameTaken, "same PID, another registry")
		assert.ErrorIs(t, err, locker.ErrLocked)
		_, ok := other.Token("x")
		assert.False(t, ok)
		_, err = other.SpawnNamed(sys.Root, (&probe{}).props(other), "x")
		assert.ErrorIs(t, err, registry.ErrNameTaken)

		_, err = w.node["n2"].Lock(t.Context(), "registry/ping", []byte("n1\x00ping"), time.Minute)
		require.NoError(t, err)
		ev := watchEvents(t, sys)
		p := &probe{}
		_, err = sys.Root.SpawnNamed(p.props(reg), "ping")
		require.NoError(t, err)
		synctest.Wait()
		assert.Zero(t, p.starts(), "refused")
		require.Len(t, ev.nameTaken(), 1)
		assert.ErrorIs(t, ev.nameTaken()[0].Err, registry.ErrNameTaken)
	})
}

// Close releases every name, stops the actors holding theirs, and refuses
// later registrations.
func TestClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3, registry.WithLease(lease))
		reg := w.reg["n1"]
		p := &probe{}
		_, err := reg.SpawnNamed(w.sys["n1"].Root, p.props(reg), "a")
		require.NoError(t, err)
		b := w.sys["n2"].Root.Spawn(actor.PropsFromFunc(func(actor.Context) {}))
		require.NoError(t, reg.Register(t.Context(), "b", b))
		synctest.Wait()
		_, ok := w.reg["n2"].WhereIs("b")
		require.True(t, ok)
		reg.Close()
		synctest.Wait()
		assert.False(t, p.stoppedAt().IsZero())
		for _, name := range []string{"a", "b"} {
			_, ok := w.reg["n2"].WhereIs(name)
			assert.False(t, ok, name)
		}
		assert.ErrorIs(t, reg.Register(context.Background(), "c", actor.NewPID("n2", "c")), registry.ErrClosed)
		reg.Close()
	})
}

// A registration in flight when Close is called fails with ErrClosed at
// once, whatever its context allows.
func TestCloseEndsRegistrationsInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3, registry.WithLease(lease))
		reg := w.reg["n1"]
		pid := w.sys["n1"].Root.Spawn(actor.PropsFromFunc(func(actor.Context) {}))
		require.NoError(t, reg.Register(t.Context(), "a", pid))
		w.net.Isolate("n1")
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		done := make(chan error, 1)
		var returned time.Time
		go func() {
			err := reg.Register(ctx, "b", pid)
			returned = time.Now()
			done <- err
		}()
		time.Sleep(lease / 10) // the Lock finds no quorum and is retried
		closing := time.Now()
		reg.Close()
		err := <-done
		assert.ErrorIs(t, err, registry.ErrClosed)
		assert.Less(t, returned.Sub(closing), lease/10, "ended by Close, not by its context")
	})
}

func TestWhereIsDoesNotAllocate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 1)
		reg := w.reg["n1"]
		pid := w.sys["n1"].Root.Spawn(actor.PropsFromFunc(func(actor.Context) {}))
		require.NoError(t, reg.Register(t.Context(), "a-rather-long-name-that-does-not-fit-a-small-buffer", pid))
		allocs := testing.AllocsPerRun(100, func() {
			if _, ok := reg.WhereIs("a-rather-long-name-that-does-not-fit-a-small-buffer"); !ok {
				t.Fatal("not found")
			}
		})
		assert.Zero(t, allocs)
	})
}

// Abandon stops renewing and stops the actors, but releases nothing: the
// names expire on the other nodes after their leases.
func TestAbandon(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3, registry.WithLease(lease))
		p := &probe{}
		_, err := w.reg["n1"].SpawnNamed(w.sys["n1"].Root, p.props(w.reg["n1"]), "a")
		require.NoError(t, err)
		start := time.Now()
		synctest.Wait()
		require.Equal(t, 1, p.starts())
		w.reg["n1"].Abandon()
		synctest.Wait()
		assert.False(t, p.stoppedAt().IsZero(), "stopped")
		_, ok := w.reg["n2"].WhereIs("a")
		assert.True(t, ok, "still held")
		time.Sleep(lease - time.Since(start) + 2*time.Millisecond)
		synctest.Wait()
		_, ok = w.reg["n2"].WhereIs("a")
		assert.False(t, ok, "expired")
	})
}

// A name given to Register whose lease cannot be renewed is dropped with
// LeaseLost; the process itself keeps running.
func TestRegisteredLeaseLost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3, registry.WithLease(lease))
		ev := watchEvents(t, w.sys["n1"])
		p := &probe{}
		pid := w.sys["n1"].Root.Spawn(actor.PropsFromFunc(p.receive))
		require.NoError(t, w.reg["n1"].Register(t.Context(), "x", pid))
		w.net.Isolate("n1")
		time.Sleep(lease)
		synctest.Wait()
		lost := ev.leaseLost()
		require.Len(t, lost, 1)
		assert.Equal(t, "x", lost[0].Name)
		assert.True(t, p.stoppedAt().IsZero(), "not stopped")
		assert.ErrorIs(t, w.reg["n1"].Unregister(t.Context(), "x"), registry.ErrNotRegistered)
		w.net.Heal()
		time.Sleep(lease)
		synctest.Wait()
		_, ok := w.reg["n2"].WhereIs("x")
		assert.False(t, ok)
	})
}
