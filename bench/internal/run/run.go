// Package run runs the whole comparison: it starts every system, runs
// the workloads of a profile on them, then the memory figures, and checks
// the targets.
package run

import (
	"context"
	"fmt"
	"time"

	"github.com/protolocker/locker/bench/internal/etcdbench"
	"github.com/protolocker/locker/bench/internal/lockerbench"
	"github.com/protolocker/locker/bench/internal/report"
	"github.com/protolocker/locker/bench/internal/workload"
)

// Run runs every system and workload of p within p.Budget and returns
// the report; logf reports progress. A system that fails to start is
// reported and skipped.
func Run(ctx context.Context, p workload.Profile, logf func(string, ...any)) *report.Report {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, p.Budget)
	defer cancel()
	rep := &report.Report{Date: start, Profile: p.Name, Machine: report.ThisMachine()}
	ts := workload.NewTables(p)
	rep.Settings = settings(p)

	// Every system runs from the start to the end of the workloads, so
	// that each workload can visit them one after the other.
	var systems []workload.Ops
	var closers []func()
	defer func() {
		for _, c := range closers {
			c()
		}
	}()
	add := func(ops workload.Ops, close func(), err error) {
		if err != nil {
			logf("%v", err)
			rep.Settings = append(rep.Settings, "not measured: "+err.Error())
		} else {
			systems = append(systems, ops)
		}
		if close != nil {
			closers = append(closers, close)
		}
	}
	procs, err := lockerbench.StartProcs(ctx)
	add(lockerOps(ctx, procs, err, logf))
	if err == nil {
		add(masterOps(ctx, procs))
	}
	inproc, err := lockerbench.StartInProc(ctx)
	add(lockerOps(ctx, inproc, err, logf))
	if err == nil {
		add(masterOps(ctx, inproc))
	}
	etcd, err := etcdbench.Start(ctx)
	add(etcdOps(ctx, p, etcd, err, logf))

	workload.Run(ctx, p, systems, ts, logf)

	if inproc != nil {
		if err := inproc.LocalLookups(ctx, p.LookupN, ts); err != nil {
			logf("local lookups: %v", err)
			ts.Add(workload.TLocal, report.Row{System: inproc.System, Op: "DirtyRead", Err: err.Error()})
		}
	}
	for _, c := range closers {
		c()
	}
	closers = nil
	holdNames(ctx, p, ts, logf)
	etcdMemory(ctx, p, ts, logf)
	for _, n := range p.MemCounts {
		row, err := lockerbench.HeldLeaseMemory(ctx, n)
		if err != nil {
			row.Err = err.Error()
		}
		ts.Add(workload.TMemory, row)
		logf("locker memory, %d leases: %.0f B/lease heap", n, row.Bytes)
	}
	ts.Note(workload.TLocal, "locker figures are tight loops on one goroutine (mean per call, allocations of the process per call); etcd's are sequential round trips")
	ts.Note(workload.TCPU, "user+system CPU time of the harness's process and of the system's child processes (from /proc, 10 ms ticks) over up to 1000 calls in a row, per call; cores busy = CPU / wall (the machine has %d)", rep.Machine.Cores)
	ts.Note(workload.TMutex, "locker: each client its own session (TTL 10s) and concurrency.NewMutex(session, %q), Lock (blocking) then Unlock in a loop; "+
		"callers of one node queue for the key there, and an Unlock hands it to the next; sessions on different nodes wait for the release to show in their node's table (WaitForRelease); "+
		"in \"3 procs, master caller\" the masters' sessions run in their own processes, started together, their counts summed over the longest run; "+
		"etcd: each client its own concurrency.NewSession (TTL 60s) and concurrency.NewMutex(session, %q), Lock then Unlock, over one clientv3.Client", lockerbench.MutexKey, lockerbench.MutexKey)
	ts.Note(workload.TKeep, "median and p99: locker: a node of its own in the harness's process (not a master) opens a session of TTL %v, which renews itself every %v "+
		"(an ExtendLease of its register; the node wrote it last, so one round), each renewal as the node times it (its locker.round.duration metric, op extend); "+
		"etcd: the renewal of the ExtendLease table (LeaseKeepAlive over one stream to the leader), one every %v, timed by the harness; "+
		"CPU/call: the same renewal run %d times back to back (locker: ExtendLease, by that node, of a key it locked just before), "+
		"CPU time of the harness's process and the system's child processes (the CPU-time clock of each thread, in ns), less their idle use measured over %v before the renewals (once it settled, for up to %v), per renewal",
		3*workload.KeepAlivePeriod, workload.KeepAlivePeriod, workload.KeepAlivePeriod, min(2*p.N, 1000), p.KeepAliveIdle, p.Settle)
	ts.Note(workload.TNames, "CPU time of the harness's process and of the system's child processes (the CPU-time clock of each thread, in ns) over the window, in %% of one core, "+
		"once the names are taken; \"before the names\": the same over %v before they are taken; before each window the CPU use is left up to %v to settle "+
		"(two 500 ms spans in a row within 20 %% or 5 ms/s of each other); CPU per name: the window's CPU per second divided by the names; "+
		"per name, above before: the same for the CPU above the window before; "+
		"each system on a fresh cluster started for this table once the others are closed, alone with the harness; "+
		"locker: the session on the client node of a 3-process cluster, the names taken 64 at a time; "+
		"etcd: the lease granted by the harness's clientv3.Client, the keys put 64 at a time",
		p.NamesIdle, p.Settle)
	ts.Note(workload.TMemory, "locker: growth of the live heap after a full GC on one in-process node holding the leases (what each master keeps), and of its RSS; "+
		"etcd: the same per member process, on a fresh cluster: its heap includes the raft log entries kept in memory until the next snapshot (every 100,000 writes), "+
		"its RSS bbolt's memory-mapped file (resident on tmpfs)")
	rep.Tables = ts.List()
	rep.Targets = Targets(rep)
	rep.Elapsed = time.Since(start)
	rep.Machine.LoadEnd = report.LoadAvg()
	return rep
}

// settings describes how the run was made.
func settings(p workload.Profile) []string {
	root, shm := etcdbench.DataRoot()
	return []string{
		fmt.Sprintf("profile %s: %d sequential calls per latency row, %d registry pairs, throughput runs of %v, contest of %v, "+
			"Mutex run of %v, %d keep-alive renewals, %s names held for %v",
			p.Name, p.N, p.RegistryN, p.RateTime, p.ContestTime, p.MutexTime, p.KeepAliveN, report.Count(float64(p.Names)), p.NamesWindow),
		"locker: 3 masters (W = 2, default Config) and a client node that is not a master and coordinates every write; " +
			"\"3 procs\": one OS process per master, the client in the harness's process; \"1 proc\": the four actor systems in the harness's process",
		fmt.Sprintf("protoactor remote on 127.0.0.1 with remote.WithEndpointWriterQueueSize(%d) (default 1,000,000 slots, 16 MB per connection)", lockerbench.QueueSize),
		"\"master caller\" rows: the sequential workloads (Lock, ExtendLease, Release, Lock+Release) with master 1 as the caller; " +
			"in \"3 procs\" they run in master 1's process, timed there with the same code (allocs/op then counts that process), the rows sent back over its stdout",
		"floor: Node.Ping from the same caller, a fan-out to the 3 masters done at 2 replies, with no work at the masters (x2 for two rounds)",
		fmt.Sprintf("etcd: server and client v3.5.21 embedded, one member per OS process, data under %s (tmpfs: %v), fsync on, defaults otherwise; "+
			"client/v3 in the harness's process with the 3 endpoints (unary requests round-robin, so 2 in 3 reach a follower that forwards them)", root, shm),
		"all three systems run side by side; each workload visits them one after the other, so that a table's rows are measured under the same load of the machine (its load average is above)",
	}
}

// holdNames runs the names workload on a fresh 3-process locker cluster,
// then on a fresh etcd cluster, each alone, so that the CPU it counts is
// theirs and the harness's, with no background work of other systems or
// of earlier workloads.
func holdNames(ctx context.Context, p workload.Profile, ts *workload.Tables, logf func(string, ...any)) {
	fail := func(system string, err error) {
		logf("names: %s: %v", system, err)
		ts.Add(workload.TNames, report.Row{System: system, Op: "names", N: p.Names, Err: err.Error()})
	}
	if c, err := lockerbench.StartProcs(ctx); err != nil {
		fail(lockerbench.ProcsSystem, err)
	} else {
		ops, closeIt, err := lockerOps(ctx, c, nil, logf)
		if err != nil {
			fail(c.System, err)
		} else {
			workload.HoldNames(ctx, p, ops, ts, logf)
		}
		closeIt()
	}
	e, err := etcdbench.Start(ctx)
	ops, closeIt, err := etcdOps(ctx, p, e, err, logf)
	if err != nil {
		fail("etcd 3 procs", err)
	} else {
		workload.HoldNames(ctx, p, ops, ts, logf)
	}
	if closeIt != nil {
		closeIt()
	}
}

// etcdMemory measures etcd's memory per held lease on a cluster of its
// own, fresh, so that the figure does not depend on the workloads' writes
// (a snapshot every 100,000 writes drops the raft log held in memory).
func etcdMemory(ctx context.Context, p workload.Profile, ts *workload.Tables, logf func(string, ...any)) {
	c, err := etcdbench.Start(ctx)
	if err != nil {
		ts.Add(workload.TMemory, report.Row{System: "etcd 3 procs", Op: "memory", Err: err.Error()})
		return
	}
	defer func() {
		if err := c.Close(); err != nil {
			logf("etcd: close: %v", err)
		}
	}()
	row, err := c.HeldLeaseMemory(ctx, p.EtcdMemCount)
	if err != nil {
		row.Err = err.Error()
	}
	ts.Add(workload.TMemory, row)
	logf("etcd memory, %d leases: %.0f B/lease heap, %.0f B/lease RSS", p.EtcdMemCount, row.Bytes, row.RSSBytes)
}

// lockerOps returns the operations of a started locker cluster and the
// function that closes it.
func lockerOps(ctx context.Context, c *lockerbench.Cluster, err error, logf func(string, ...any)) (workload.Ops, func(), error) {
	if err != nil {
		return workload.Ops{}, nil, err
	}
	closeIt := func() {
		if err := c.Close(); err != nil {
			logf("%s: close: %v", c.System, err)
		}
	}
	ops, err := c.Ops(ctx)
	return ops, closeIt, err
}

// masterOps returns the sequential workloads of a started locker cluster
// with master 1 as the caller; the cluster's own closer closes it.
func masterOps(ctx context.Context, c *lockerbench.Cluster) (workload.Ops, func(), error) {
	ops, err := c.MasterCaller(ctx)
	if err != nil {
		err = fmt.Errorf("%s%s: %w", c.System, lockerbench.MasterCaller, err)
	}
	return ops, nil, err
}

// etcdOps returns the operations of a started etcd cluster and the
// function that closes it.
func etcdOps(ctx context.Context, p workload.Profile, c *etcdbench.Cluster, err error, logf func(string, ...any)) (workload.Ops, func(), error) {
	if err != nil {
		return workload.Ops{}, nil, fmt.Errorf("etcd: %w", err)
	}
	ops, closeSessions, err := c.Ops(ctx, p.ContestClients)
	closeIt := func() {
		if closeSessions != nil {
			closeSessions()
		}
		if err := c.Close(); err != nil {
			logf("etcd: close: %v", err)
		}
	}
	return ops, closeIt, err
}
