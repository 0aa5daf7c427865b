package workload

import (
	"context"
	"fmt"
	"time"

	"github.com/protolocker/locker/bench/internal/measure"
	"github.com/protolocker/locker/bench/internal/report"
)

// Warm is the id of the warm-up: Pair calls whose figures are dropped.
const Warm = "warm"

// Run runs every workload of p on each system and adds the rows to ts.
// It goes workload by workload, each on every system in turn, so that
// the systems compared in a table are measured minutes apart at most,
// under the same conditions of the machine. A workload that fails adds a
// row with the error; the others still run. A system whose Remote is set
// runs the sequential workloads (Warm, TLock, TExtend, TRelease, TPair)
// in its own process, and of the others only those its Ops set. The
// names workload is not among them: it runs on a cluster of its own
// (HoldNames). logf reports progress.
func Run(ctx context.Context, p Profile, systems []Ops, ts *Tables, logf func(string, ...any)) {
	seq := func(id string) func(Ops) { return func(ops Ops) { Sequential(ctx, p, id, ops, ts, logf) } }
	steps := []func(Ops){
		seq(Warm), seq(TLock), seq(TExtend), seq(TRelease), seq(TPair),
		func(ops Ops) {
			if ops.Remote == nil {
				cpuCosts(ctx, p, ops, ts)
			}
		},
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
	steps = append(steps,
		func(ops Ops) { contest(ctx, p, ops, ts, logf) },
		func(ops Ops) { mutex(ctx, p, ops, ts, logf) },
		func(ops Ops) { keepAlive(ctx, p, ops, ts, logf) })
	for _, step := range steps {
		for _, ops := range systems {
			step(ops)
		}
	}
}

// Sequential runs one sequential latency workload of ops, id being Warm
// or the table TLock, TExtend, TRelease or TPair: Lock, ExtendLease and
// Release alternate call by call with their floors. When ops.Remote is
// set, the workload runs in the caller's process, which returns the rows
// (this function runs there too, on the same Ops without Remote).
func Sequential(ctx context.Context, p Profile, id string, ops Ops, ts *Tables, logf func(string, ...any)) {
	if ops.Remote != nil {
		start := time.Now()
		rows, err := ops.Remote(ctx, p, id)
		if err != nil {
			rows = append(rows, report.Row{System: ops.System, Op: id, Err: err.Error()})
			logf("%s %s: %v", ops.System, id, err)
		}
		for _, r := range rows {
			ts.Add(id, r)
			logf("%s %s: %d calls, median %s (timed in the caller's process; %v for the table)", r.System, r.Op, r.N,
				report.Dur(r.MedianNs), time.Since(start).Round(time.Millisecond))
		}
		return
	}
	switch id {
	case Warm:
		if ops.Pair.Do == nil {
			return
		}
		warm := min(p.N/10+10, 200)
		if _, err := measure.Latency(ctx, warm, func(i int) error { return ops.Pair.Do(ctx, i) }); err != nil {
			logf("%s: warm-up: %v", ops.System, err)
		}
	case TLock:
		withFloor(ctx, p, ops, TLock, ops.Lock, ops.Floor2, ts, logf)
	case TExtend:
		withFloor(ctx, p, ops, TExtend, ops.Extend, ops.Floor1, ts, logf)
	case TRelease:
		withFloor(ctx, p, ops, TRelease, ops.Release, ops.Floor1, ts, logf)
	case TPair:
		sequential(ctx, p.N, ops.System, TPair, ops.Pair, ts, logf)
	}
}

// sequential measures n calls of op, one after the other; nothing when
// the system has no such op.
func sequential(ctx context.Context, n int, system, id string, op Op, ts *Tables, logf func(string, ...any)) {
	if op.Do == nil {
		return
	}
	if err := setup(ctx, op); err != nil {
		ts.Add(id, report.Row{System: system, Op: op.Name, Err: err.Error()})
		return
	}
	start := time.Now()
	s, errs := measure.InterleavedCalls(ctx, n, call(ctx, op))
	ts.Add(id, latencyRow(system, op.Name, s[0], errs[0]))
	logf("%s %s: %d calls in %v, median %s", system, op.Name, s[0].N, time.Since(start).Round(time.Millisecond), report.Dur(float64(s[0].Median)))
}

// withFloor measures op and its floor with their calls alternating, so
// that their ratio holds while other work on the machine varies.
func withFloor(ctx context.Context, p Profile, ops Ops, id string, op Op, floor *Op, ts *Tables, logf func(string, ...any)) {
	if floor == nil || op.Do == nil {
		sequential(ctx, p.N, ops.System, id, op, ts, logf)
		return
	}
	if err := setup(ctx, op); err != nil {
		ts.Add(id, report.Row{System: ops.System, Op: op.Name, Err: err.Error()})
		return
	}
	start := time.Now()
	s, errs := measure.InterleavedCalls(ctx, p.N, call(ctx, op), call(ctx, *floor))
	ts.Add(id, latencyRow(ops.System, op.Name, s[0], errs[0]))
	ts.Add(id, latencyRow(ops.Floor, floor.Name, s[1], errs[1]))
	logf("%s %s: %d calls alternating with %s in %v, median %s vs %s", ops.System, op.Name, s[0].N, floor.Name,
		time.Since(start).Round(time.Millisecond), report.Dur(float64(s[0].Median)), report.Dur(float64(s[1].Median)))
}

// setup runs op's Setup, if any.
func setup(ctx context.Context, op Op) error {
	if op.Setup == nil {
		return nil
	}
	if err := op.Setup(ctx); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	return nil
}

// call is op as measure times it.
func call(ctx context.Context, op Op) measure.Call {
	c := measure.Call{Do: func(i int) error { return op.Do(ctx, i) }}
	if op.Prep != nil {
		c.Prep = func(i int) error { return op.Prep(ctx, i) }
	}
	return c
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
