package workload

import (
	"context"

	"github.com/protolocker/locker/bench/internal/measure"
	"github.com/protolocker/locker/bench/internal/report"
)

// cpuCosts measures the CPU time per call of the sequential operations
// and their floors, over the harness and the system's processes.
func cpuCosts(ctx context.Context, p Profile, ops Ops, ts *Tables) {
	n := min(2*p.N, 1000)
	type item struct {
		system string
		op     *Op
		base   int // first call index: Lock takes keys of its own
	}
	items := []item{{ops.System, &ops.Lock, 1 << 24}, {ops.Floor, ops.Floor2, 0}, {ops.System, &ops.Extend, 0}, {ops.Floor, ops.Floor1, 0}}
	for _, it := range items {
		if it.op == nil || it.op.Do == nil || ctx.Err() != nil {
			continue
		}
		if err := setup(ctx, *it.op); err != nil {
			ts.Add(TCPU, report.Row{System: it.system, Op: it.op.Name, Err: err.Error()})
			continue
		}
		c, err := measure.CPUCost(n, ops.PIDs, func(i int) error { return it.op.Do(ctx, it.base+i) })
		row := report.Row{System: it.system, Op: it.op.Name, N: c.N, MeanNs: float64(c.Wall), CPUNs: float64(c.CPU)}
		if err != nil {
			row.Err = err.Error()
		}
		ts.Add(TCPU, row)
	}
}
