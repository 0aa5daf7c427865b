package workload

import (
	"context"
	"fmt"
	"time"

	"github.com/protolocker/locker/bench/internal/measure"
	"github.com/protolocker/locker/bench/internal/report"
)

// Run runs every workload of p on each system and adds the rows to ts.
// It goes workload by workload, each on every system in turn, so that
// the systems compared in a table are measured minutes apart at most,
// under the same conditions of the machine. A workload that fails adds a
// row with the error; the others still run. logf reports progress.
func Run(ctx context.Context, p Profile, systems []Ops, ts *Tables, logf func(string, ...any)) {
	steps := []func(Ops){
		func(ops Ops) {
			warm := min(p.N/10+10, 200)
			if _, err := measure.Latency(ctx, warm, func(i int) error { return ops.Pair.Do(ctx, i) }); err != nil {
				logf("%s: warm-up: %v", ops.System, err)
			}
		},
		func(ops Ops) { withFloor(ctx, p, ops, TLock, ops.Lock, ops.Floor2, ts, logf) },
		func(ops Ops) { withFloor(ctx, p, ops, TExtend, ops.Extend, ops.Floor1, ts, logf) },
		func(ops Ops) { sequential(ctx, p.N, ops.System, TPair, ops.Pair, ts, logf) },
		func(ops Ops) { cpuCosts(ctx, p, ops, ts) },
		func(ops Ops) { sequential(ctx, p.N, ops.System, TQuorum, ops.Read, ts, logf) },
		func(ops Ops) {
			if ops.Local != nil {
				sequential(ctx, p.N, ops.System, TLocal, *ops.Local, ts, logf)
			}
		},
		func(ops Ops) { sequential(ctx, p.RegistryN, ops.System, TRegistry, ops.Register, ts, logf) },
	}
	for _, c := range p.RateClients {
		steps = append(steps, func(ops Ops) { rate(ctx, p, c, ops, ts, logf) })
	}
	steps = append(steps, func(ops Ops) { contest(ctx, p, ops, ts, logf) })
	for _, step := range steps {
		for _, ops := range systems {
			step(ops)
		}
	}
}

// sequential measures n calls of op, one after the other.
func sequential(ctx context.Context, n int, system, id string, op Op, ts *Tables, logf func(string, ...any)) {
	start := time.Now()
	s, err := measure.Latency(ctx, n, func(i int) error { return op.Do(ctx, i) })
	ts.Add(id, latencyRow(system, op.Name, s, err))
	logf("%s %s: %d calls in %v, median %s", system, op.Name, s.N, time.Since(start).Round(time.Millisecond), report.Dur(float64(s.Median)))
}

// withFloor measures op and its floor with their calls alternating, so
// that their ratio holds while other work on the machine varies.
func withFloor(ctx context.Context, p Profile, ops Ops, id string, op Op, floor *Op, ts *Tables, logf func(string, ...any)) {
	if floor == nil {
		sequential(ctx, p.N, ops.System, id, op, ts, logf)
		return
	}
	start := time.Now()
	s, errs := measure.Interleaved(ctx, p.N,
		func(i int) error { return op.Do(ctx, i) },
		func(i int) error { return floor.Do(ctx, i) })
	ts.Add(id, latencyRow(ops.System, op.Name, s[0], errs[0]))
	ts.Add(id, latencyRow(ops.Floor, floor.Name, s[1], errs[1]))
	logf("%s %s: %d calls alternating with %s in %v, median %s vs %s", ops.System, op.Name, s[0].N, floor.Name,
		time.Since(start).Round(time.Millisecond), report.Dur(float64(s[0].Median)), report.Dur(float64(s[1].Median)))
}

func latencyRow(system, op string, s measure.Sample, err error) report.Row {
	r := report.Row{System: system, Op: op, N: s.N,
		MedianNs: float64(s.Median), P99Ns: float64(s.P99), MeanNs: float64(s.Mean), AllocsPerOp: report.F(s.AllocsPerOp)}
	switch {
	case err != nil:
		r.Err = err.Error()
	case s.Failed > 0:
		r.Note = fmt.Sprintf("%d of %d calls failed (not timed), the last: %v", s.Failed, s.N+s.Failed, s.LastErr)
	}
	return r
}

// LoopRow is the row of a tight loop of local calls.
func LoopRow(system, op string, l measure.Loop) report.Row {
	return report.Row{System: system, Op: op, N: l.N, MeanNs: l.NsPerOp, AllocsPerOp: report.F(l.AllocsPerOp)}
}
