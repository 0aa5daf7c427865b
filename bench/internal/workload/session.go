package workload

import (
	"context"
	"fmt"
	"time"

	"github.com/protolocker/locker/bench/internal/report"
)

// KeepAlivePeriod is the time between two renewals of the keep-alive
// workload: a session of 3x this TTL renews itself at this pace.
const KeepAlivePeriod = 30 * time.Millisecond

// mutex runs p.MutexClients clients on one Mutex for p.MutexTime.
func mutex(ctx context.Context, p Profile, ops Ops, ts *Tables, logf func(string, ...any)) {
	if ops.Mutex.Run == nil || ctx.Err() != nil {
		return
	}
	r, err := ops.Mutex.Run(ctx, p.MutexClients, p.MutexTime)
	row := report.Row{System: ops.System, Op: ops.Mutex.Name, N: int(r.Ops), Clients: p.MutexClients, PerSec: r.PerSec}
	if err != nil {
		row.Err = err.Error()
	} else if r.Errors > 0 {
		row.Note = fmt.Sprintf("%d of %d acquisitions failed (not counted), the last: %s", r.Errors, r.Ops+r.Errors, r.LastErr)
	}
	ts.Add(TMutex, row)
	logf("%s %s x%d: %s acquisitions/s", ops.System, ops.Mutex.Name, p.MutexClients, report.Count(r.PerSec))
}

// keepAlive times p.KeepAliveN renewals, one every KeepAlivePeriod.
func keepAlive(ctx context.Context, p Profile, ops Ops, ts *Tables, logf func(string, ...any)) {
	if ops.KeepAlive.Run == nil || ctx.Err() != nil {
		return
	}
	k := KeepAlive{N: p.KeepAliveN, Period: KeepAlivePeriod, Idle: p.KeepAliveIdle, Settle: p.Settle, CPUCalls: min(2*p.N, 1000)}
	r, err := ops.KeepAlive.Run(ctx, k)
	row := latencyRow(ops.System, ops.KeepAlive.Name, r.Sample, err)
	row.AllocsPerOp = nil // the renewals run on their own: no allocation count is theirs alone
	row.CPUNs = float64(r.CPU)
	if err == nil {
		idle := fmt.Sprintf("CPU per renewal: %v over %d renewals back to back in %v, less %.1f ms/s used idle (measured over %v before; by process, the harness's first: %s)",
			r.Burst.CPU.Round(time.Microsecond), r.Calls, r.Burst.Wall.Round(time.Millisecond), r.Idle.Cores()*1e3, r.Idle.Wall.Round(time.Millisecond), r.Idle.Shares())
		if row.Note != "" {
			row.Note += "; " + idle
		} else {
			row.Note = idle
		}
	}
	ts.Add(TKeep, row)
	logf("%s %s: %d renewals, median %s, %s CPU each", ops.System, ops.KeepAlive.Name, r.N, report.Dur(float64(r.Median)), report.Dur(float64(r.CPU)))
}

func settled(ok bool) string {
	if ok {
		return "settled"
	}
	return "not settled"
}

// HoldNames holds p.Names names on ops and measures the CPU of keeping
// them alive. The harness runs it on a fresh cluster with nothing else
// alive, as the CPU it counts includes every process of the system and
// the harness's own, where background work left by earlier workloads
// (the expiry of their leases) would count too.
func HoldNames(ctx context.Context, p Profile, ops Ops, ts *Tables, logf func(string, ...any)) {
	if ops.Names.Run == nil || ctx.Err() != nil {
		return
	}
	h, err := ops.Names.Run(ctx, Names{Count: p.Names, Idle: p.NamesIdle, Window: p.NamesWindow, Settle: p.Settle})
	row := report.Row{System: ops.System, Op: ops.Names.Name, N: p.Names,
		WindowNs: float64(h.During.Wall), CPUPct: 100 * h.During.Cores(), IdlePct: 100 * h.Before.Cores(), SetupNs: float64(h.Setup)}
	if err != nil {
		row.Err = err.Error()
	}
	row.Note = fmt.Sprintf("by process (the harness's first): %s with the names, %s before; "+
		"left to settle %v before the window without names (%s) and %v before the one with them (%s)",
		h.During.Shares(), h.Before.Shares(),
		h.SettledBefore.Round(time.Millisecond), settled(h.QuietBefore), h.SettledDuring.Round(time.Millisecond), settled(h.QuietDuring))
	ts.Add(TNames, row)
	logf("%s %s: %d names taken in %v; %.3f%% of a core over %v (%.3f%% before)", ops.System, ops.Names.Name, p.Names,
		h.Setup.Round(time.Millisecond), row.CPUPct, h.During.Wall.Round(time.Millisecond), row.IdlePct)
}
