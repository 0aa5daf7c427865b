package registry_test

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker"
	"github.com/protolocker/locker/registry"
)

// WhereIs on a hit: a dirty read of the local table and a cached PID.
func BenchmarkWhereIsParallel(b *testing.B) {
	w := newWorld(b, 3)
	reg := w.reg["n1"]
	pid := w.sys["n1"].Root.Spawn(actor.PropsFromFunc(func(actor.Context) {}))
	require.NoError(b, reg.Register(b.Context(), "ping", pid))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, ok := reg.WhereIs("ping"); !ok {
				b.Error("not found")
				return
			}
		}
	})
}

// One Register (a two-phase Lock) and one Unregister (a Release) on three
// masters of the in-memory network.
func BenchmarkRegisterUnregister(b *testing.B) {
	w := newWorld(b, 3)
	reg := w.reg["n1"]
	pid := w.sys["n1"].Root.Spawn(actor.PropsFromFunc(func(actor.Context) {}))
	ctx := b.Context()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := reg.Register(ctx, "bench", pid); err != nil {
			b.Fatal(err)
		}
		if err := reg.Unregister(ctx, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRegister registers b.N names at once on n1 of three masters of
// the in-memory network: b.N actors spawned with the middleware, each
// taking its name when it starts (a two-round Lock attached to the
// registry's session). ns/op is the time per name until every actor has
// started; every name must be taken. Then the names are held for three
// renewal periods: lost must stay 0, and steady-msgs/period is what the
// masters handled per period (the session's renewal, whatever b.N).
//
//	go test -run '^$' -bench BenchmarkRegister -benchtime 100000x ./registry/
func BenchmarkRegister(b *testing.B) {
	const ttl = time.Second
	w := newWorldWith(b, 3, locker.Config{RequestTimeout: 5 * time.Second, ReplicationInterval: time.Hour},
		registry.WithLease(ttl))
	reg, sys := w.reg["n1"], w.sys["n1"]
	ev := watchEvents(b, sys)
	var started sync.WaitGroup
	started.Add(b.N)
	props := actor.PropsFromFunc(func(ctx actor.Context) {
		if _, ok := ctx.Message().(*actor.Started); ok {
			started.Done()
		}
	}, actor.WithReceiverMiddleware(reg.Middleware()))
	var failed atomic.Int64
	sub := sys.EventStream.Subscribe(func(evt any) {
		if _, ok := evt.(*registry.NameTaken); ok {
			failed.Add(1)
			started.Done()
		}
	})
	defer sys.EventStream.Unsubscribe(sub)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := sys.Root.SpawnNamed(props, "name-"+strconv.Itoa(i)); err != nil {
			b.Fatal(err)
		}
	}
	started.Wait()
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d names not taken; first: %v", n, b.N, ev.nameTaken()[0].Err)
	}
	time.Sleep(ttl / 2) // the learns of the last names drain
	before := w.requests()
	time.Sleep(ttl)
	b.ReportMetric(float64(w.requests()-before)/3, "steady-msgs/period")
	b.ReportMetric(float64(len(ev.leaseLost())), "lost")
	if len(ev.leaseLost()) > 0 {
		b.Fatalf("%d names lost; first: %v", len(ev.leaseLost()), ev.leaseLost()[0].Err)
	}
}
