//go:build !race

package remotetest

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/wrapperspb"

	locker "github.com/protolocker/locker"
	"github.com/protolocker/locker/registry"
)

// TestRegistryOverRemote names an actor with the middleware on A, finds
// its exact PID from B and C, reaches it by name from C, refuses the name
// to B, and sees it released everywhere when the actor stops.
func TestRegistryOverRemote(t *testing.T) {
	ms := startCluster(t, 3, locker.Config{})
	regs := make([]*registry.Registry, len(ms))
	for i, m := range ms {
		regs[i] = registry.New(m.node, registry.WithLease(time.Second))
		t.Cleanup(regs[i].Close)
	}
	var got atomic.Int32
	props := actor.PropsFromFunc(func(ctx actor.Context) {
		if _, ok := ctx.Message().(*wrapperspb.StringValue); ok {
			got.Add(1)
		}
	}, actor.WithReceiverMiddleware(regs[0].Middleware()))

	pid, err := regs[0].SpawnNamed(ms[0].sys.Root, props, "ping")
	require.NoError(t, err)
	for _, r := range regs[1:] {
		require.Eventually(t, func() bool {
			p, ok := r.WhereIs("ping")
			return ok && p.Address == pid.Address && p.Id == pid.Id
		}, 2*time.Second, time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	looked, err := regs[1].Lookup(ctx, "ping")
	require.NoError(t, err)
	require.Equal(t, pid.Address+"/"+pid.Id, looked.Address+"/"+looked.Id)

	_, err = regs[1].SpawnNamed(ms[1].sys.Root, actor.PropsFromFunc(func(actor.Context) {},
		actor.WithReceiverMiddleware(regs[1].Middleware())), "ping")
	require.ErrorIs(t, err, registry.ErrNameTaken)

	require.NoError(t, regs[2].Send(ms[2].sys.Root, "ping", wrapperspb.String("hello")))
	require.Eventually(t, func() bool { return got.Load() == 1 }, 2*time.Second, time.Millisecond)

	require.NoError(t, ms[0].sys.Root.StopFuture(pid).Wait())
	for _, r := range regs {
		require.Eventually(t, func() bool { _, ok := r.WhereIs("ping"); return !ok }, 2*time.Second, time.Millisecond)
	}
	_, err = regs[1].Lookup(ctx, "ping")
	require.ErrorIs(t, err, registry.ErrNotRegistered)
}
