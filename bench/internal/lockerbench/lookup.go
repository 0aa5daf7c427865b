package lockerbench

import (
	"context"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/protolocker/locker/bench/internal/measure"
	"github.com/protolocker/locker/bench/internal/workload"
	"github.com/protolocker/locker/registry"
)

// LocalLookups measures DirtyRead and registry WhereIs in tight loops on
// the first in-process master, which holds the keys the client took (the
// client node is no master and keeps no table). It needs StartInProc.
func (c *Cluster) LocalLookups(ctx context.Context, n int, ts *workload.Tables) error {
	if len(c.nodes) == 0 {
		return fmt.Errorf("%s: local lookups need the in-process masters", c.System)
	}
	m := c.nodes[0]
	if err := waitFor(ctx, func() bool { _, err := m.DirtyRead("read"); return err == nil }); err != nil {
		return fmt.Errorf("DirtyRead: key not on master 1: %w", err)
	}
	l := measure.Tight(n, func(int) { _, _ = m.DirtyRead("read") })
	ts.Add(workload.TLocal, workload.LoopRow(c.System, "DirtyRead (master's table)", l))

	reg := registry.New(m)
	defer reg.Close()
	sys := m.System()
	pid := sys.Root.Spawn(actor.PropsFromFunc(func(actor.Context) {}))
	defer func() { _ = sys.Root.StopFuture(pid).Wait() }()
	if err := reg.Register(ctx, "whereis", pid); err != nil {
		return fmt.Errorf("register: %w", err)
	}
	if err := waitFor(ctx, func() bool { _, ok := reg.WhereIs("whereis"); return ok }); err != nil {
		return fmt.Errorf("WhereIs: name not on master 1: %w", err)
	}
	l = measure.Tight(n, func(int) { _, _ = reg.WhereIs("whereis") })
	ts.Add(workload.TLocal, workload.LoopRow(c.System, "registry WhereIs (master's table)", l))
	return nil
}

// waitFor polls ok for up to 5 s.
func waitFor(ctx context.Context, ok func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for !ok() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
	return nil
}
