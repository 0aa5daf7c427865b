package run

import (
	"fmt"

	"github.com/protolocker/locker/bench/internal/lockerbench"
	"github.com/protolocker/locker/bench/internal/report"
	"github.com/protolocker/locker/bench/internal/workload"
)

// Targets checks the project's goals against the report: Lock within
// 1.2x its two-round floor and ExtendLease and Release within 1.3x their
// one-round floor, for every caller (the client node and master 1, in 3
// processes and in one); Lock+Release throughput with 64 clients at
// least 3x etcd's; a master's Lock at most 0.6x etcd's Mutex.Lock (the
// like-for-like pair: both clusters in 3 processes); 8 clients blocking
// on one Mutex at least 10x etcd's acquisitions per second, from the
// client node and from the masters; the local lookups
// under 25 ns without allocations; under 300 bytes per held lease.
func Targets(rep *report.Report) []report.Target {
	var out []report.Target
	ratio := func(goal, id, sysA, sysB string, key func(report.Row) float64, ok func(float64) bool) {
		a, okA := rep.Find(id, sysA, "")
		b, okB := rep.Find(id, sysB, "")
		t := report.Target{Goal: goal, Got: "not measured"}
		if okA && okB && key(b) > 0 {
			x := key(a) / key(b)
			t.Got = fmt.Sprintf("%.2fx (%s vs %s)", x, fmtKey(id, key(a)), fmtKey(id, key(b)))
			t.Met = ok(x)
		}
		out = append(out, t)
	}
	median := func(r report.Row) float64 { return r.MedianNs }
	perSec := func(r report.Row) float64 { return r.PerSec }
	callers := [][2]string{}
	for _, s := range [][2]string{{"locker 3 procs", "floor 3 procs"}, {"locker 1 proc", "floor 1 proc"}} {
		callers = append(callers, s, [2]string{s[0] + lockerbench.MasterCaller, s[1] + lockerbench.MasterCaller})
	}
	for _, s := range callers {
		ratio(fmt.Sprintf("Lock median <= 1.2x the two-round floor (%s)", s[0]), workload.TLock, s[0], s[1], median, func(x float64) bool { return x <= 1.2 })
	}
	for _, s := range callers {
		ratio(fmt.Sprintf("ExtendLease median <= 1.3x the one-round floor (%s)", s[0]), workload.TExtend, s[0], s[1], median, func(x float64) bool { return x <= 1.3 })
	}
	for _, s := range callers {
		ratio(fmt.Sprintf("Release median <= 1.3x the one-round floor (%s)", s[0]), workload.TRelease, s[0], s[1], median, func(x float64) bool { return x <= 1.3 })
	}
	ratio("Lock+Release with 64 clients >= 3x etcd's pairs/s (3 procs)", workload.TRate(64), "locker 3 procs", "etcd 3 procs", perSec, func(x float64) bool { return x >= 3 })
	ratio("Lock from a master caller <= 0.6x etcd Mutex.Lock (3 procs)", workload.TLock, "locker 3 procs"+lockerbench.MasterCaller, "etcd 3 procs", median, func(x float64) bool { return x <= 0.6 })
	for _, s := range []string{"locker 3 procs", "locker 3 procs" + lockerbench.MasterCaller} {
		ratio(fmt.Sprintf("8 clients on one Mutex, blocking: >= 10x etcd's acquisitions/s (%s)", s), workload.TMutex, s, "etcd 3 procs", perSec, func(x float64) bool { return x >= 10 })
	}

	for _, op := range []string{"DirtyRead (master's table)", "registry WhereIs (master's table)"} {
		t := report.Target{Goal: op + ": < 25 ns and 0 allocs", Got: "not measured"}
		if r, ok := rep.Find(workload.TLocal, "locker 1 proc", op); ok && r.AllocsPerOp != nil {
			t.Got = fmt.Sprintf("%.1f ns, %.2f allocs/op", r.MeanNs, *r.AllocsPerOp)
			t.Met = r.MeanNs < 25 && *r.AllocsPerOp < 0.01
		}
		out = append(out, t)
	}
	for _, t := range rep.Tables {
		if t.ID != workload.TMemory {
			continue
		}
		for _, r := range t.Rows {
			if r.System != "locker 1 node" || r.Err != "" {
				continue
			}
			out = append(out, report.Target{
				Goal: fmt.Sprintf("< 300 bytes per held lease (%d leases)", r.N),
				Got:  fmt.Sprintf("%.0f B heap (%.0f B RSS)", r.Bytes, r.RSSBytes),
				Met:  r.Bytes < 300,
			})
		}
	}
	return out
}

func fmtKey(id string, v float64) string {
	if id == workload.TRate(64) || id == workload.TMutex {
		return report.Count(v) + "/s"
	}
	return report.Dur(v)
}
