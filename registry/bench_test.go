package registry_test

import (
	"testing"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"
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
