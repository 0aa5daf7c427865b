package lockerbench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/protolocker/locker"
	"github.com/protolocker/locker/bench/internal/measure"
	"github.com/protolocker/locker/bench/internal/proc"
	"github.com/protolocker/locker/bench/internal/report"
	"github.com/protolocker/locker/bench/internal/workload"
	"github.com/protolocker/locker/concurrency"
)

// masterPrefix is the prefix of the keys master 1 takes as a caller.
const masterPrefix = "master1/"

// masterValue is the value master 1 writes as a caller.
var masterValue = []byte("bench-master-1")

// MasterCaller returns the sequential workloads (Lock, ExtendLease,
// Release, Lock+Release and their floors) with master 1 as the caller.
// In the in-process cluster the harness calls master 1's node directly.
// In the 3-process cluster master 1 lives in a child process: the child
// runs each workload there, timing it with the same code, and sends the
// rows back over its stdout, so that no pipe round trip is in a figure.
func (c *Cluster) MasterCaller(ctx context.Context) (workload.Ops, error) {
	system, floor := c.System+MasterCaller, c.Floor+MasterCaller
	if len(c.nodes) > 0 {
		ops := callerOps(c.nodes[0], system, floor, masterPrefix, masterValue)
		ops.Mutex = workload.RunOp{Name: mutexOverMasters, Run: func(ctx context.Context, clients int, d time.Duration) (measure.Rate, error) {
			return runMutex(ctx, c.nodes, clients, d)
		}}
		return ops, nil
	}
	if len(c.children) == 0 {
		return workload.Ops{}, errors.New("no master")
	}
	ch := c.children[0]
	if err := ch.Send("CALLER"); err != nil {
		return workload.Ops{}, err
	}
	got, err := ch.Expect("CALLER", 20*time.Second)
	if err != nil {
		return workload.Ops{}, err
	}
	if got != "ok" {
		return workload.Ops{}, fmt.Errorf("%s: master 1 as a caller: %s", system, got)
	}
	return workload.Ops{
		System: system,
		Floor:  floor,
		PIDs:   proc.PIDs(c.children),
		Remote: func(ctx context.Context, p workload.Profile, id string) ([]report.Row, error) {
			return runRemote(ctx, ch, p, id)
		},
		Mutex: workload.RunOp{Name: mutexOverMasters, Run: func(ctx context.Context, clients int, d time.Duration) (measure.Rate, error) {
			return remoteMutex(ctx, c.children, clients, d)
		}},
	}, nil
}

// mutexOverMasters names the contention workload with its sessions on
// the masters.
const mutexOverMasters = "Mutex.Lock+Unlock, session i on master i mod 3"

// share returns how many of clients sessions go to node j of n: client i
// to node i mod n.
func share(clients, n, j int) int {
	k := clients / n
	if j < clients%n {
		k++
	}
	return k
}

// mutexResult is a child's answer to GO.
type mutexResult struct {
	Rate measure.Rate
	Err  string
}

// remoteMutex runs the contention workload in the master processes:
// child j opens share(clients, 3, j) sessions and Mutexes on its node
// (MUTEX), then every child runs its clients for d at once (GO) and
// answers with its counts, summed here over the longest run.
func remoteMutex(ctx context.Context, children []*proc.Child, clients int, d time.Duration) (measure.Rate, error) {
	var errs []error
	for j, ch := range children {
		if err := ch.Send(fmt.Sprintf("MUTEX %d", share(clients, len(children), j))); err != nil {
			errs = append(errs, err)
		}
	}
	for _, ch := range children {
		got, err := ch.Expect("MUTEX", 30*time.Second)
		if err == nil && got != "ok" {
			err = fmt.Errorf("child %d: %s", ch.PID(), got)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	budget := 5 * time.Minute
	if dl, ok := ctx.Deadline(); ok {
		budget = time.Until(dl)
	}
	run := d
	if len(errs) > 0 || budget <= 0 {
		run = 0 // the children only close their sessions
	}
	for _, ch := range children {
		if err := ch.Send(fmt.Sprintf("GO %d %d", run.Milliseconds(), max(budget, 0).Milliseconds())); err != nil {
			errs = append(errs, err)
		}
	}
	total := measure.Rate{Clients: clients}
	for _, ch := range children {
		line, err := ch.Expect("RATE", d+max(budget, 0)+15*time.Second)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var res mutexResult
		if err := json.Unmarshal([]byte(line), &res); err != nil {
			errs = append(errs, fmt.Errorf("rate from child %d: %w", ch.PID(), err))
			continue
		}
		if res.Err != "" {
			errs = append(errs, fmt.Errorf("child %d: %s", ch.PID(), res.Err))
		}
		total.Ops += res.Rate.Ops
		total.Errors += res.Rate.Errors
		total.Elapsed = max(total.Elapsed, res.Rate.Elapsed)
		if res.Rate.LastErr != "" {
			total.LastErr = res.Rate.LastErr
		}
	}
	if total.Elapsed > 0 {
		total.PerSec = float64(total.Ops) / total.Elapsed.Seconds()
	}
	if run == 0 && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("not run: %w", context.DeadlineExceeded))
	}
	return total, errors.Join(errs...)
}

// runRemote asks the child ch to run workload id of profile p's size
// within what is left of ctx's deadline, and returns its rows.
func runRemote(ctx context.Context, ch *proc.Child, p workload.Profile, id string) ([]report.Row, error) {
	budget := 5 * time.Minute
	if d, ok := ctx.Deadline(); ok {
		budget = time.Until(d)
	}
	if budget <= 0 || ctx.Err() != nil {
		return nil, fmt.Errorf("not run: %w", context.DeadlineExceeded)
	}
	if err := ch.Send(fmt.Sprintf("RUN %s %d %d", id, p.N, budget.Milliseconds())); err != nil {
		return nil, err
	}
	line, err := ch.Expect("ROWS", budget+15*time.Second)
	if err != nil {
		return nil, err
	}
	var rows []report.Row
	if err := json.Unmarshal([]byte(line), &rows); err != nil {
		return nil, fmt.Errorf("rows from the child: %w", err)
	}
	return rows, nil
}

// serveCaller answers the parent's requests in a master's process:
// "CALLER" makes this master a caller (answered "CALLER ok"), "RUN id n
// budget-ms" runs workload id with n calls within budget and answers
// "ROWS" and the rows in JSON, on one line. "MUTEX k" opens k sessions
// with a Mutex on MutexKey each (answered "MUTEX ok" or the error), and
// "GO ms budget-ms" runs them (goMutex), closes the sessions and answers
// "RATE" and a mutexResult in JSON.
func serveCaller(p *proc.Parent, n *locker.Node) {
	var ops *workload.Ops
	var mutexes []*concurrency.Mutex
	closeMutexes := func() {}
	defer func() { closeMutexes() }()
	for {
		line, ok := p.Next()
		if !ok {
			return
		}
		cmd, args, _ := strings.Cut(line, " ")
		switch cmd {
		case "CALLER":
			o := callerOps(n, ProcsSystem+MasterCaller, ProcsFloor+MasterCaller, masterPrefix, masterValue)
			ops = &o
			p.Say("CALLER ok")
		case "RUN":
			rows, err := runHere(ops, args)
			if err != nil {
				rows = []report.Row{{System: ProcsSystem + MasterCaller, Op: args, Err: err.Error()}}
			}
			b, err := json.Marshal(rows)
			if err != nil {
				b = []byte("[]")
			}
			p.Say("ROWS %s", b)
		case "MUTEX":
			closeMutexes()
			k, err := strconv.Atoi(args)
			if err == nil {
				mutexes, closeMutexes, err = openMutexes(context.Background(), []*locker.Node{n}, k)
			}
			if err != nil {
				mutexes, closeMutexes = nil, func() {}
				p.Say("MUTEX %v", err)
				continue
			}
			p.Say("MUTEX ok")
		case "GO":
			res := goMutex(mutexes, args)
			closeMutexes()
			mutexes, closeMutexes = nil, func() {}
			b, err := json.Marshal(res)
			if err != nil {
				b = []byte(`{"Err":"marshal"}`)
			}
			p.Say("RATE %s", b)
		}
	}
}

// goMutex runs "ms budget-ms": every Mutex's client locks and unlocks
// it in a loop for ms, within budget; ms 0 runs nothing.
func goMutex(ms []*concurrency.Mutex, args string) mutexResult {
	f := strings.Fields(args)
	if len(f) != 2 {
		return mutexResult{Err: fmt.Sprintf("GO %q: want run and budget in ms", args)}
	}
	run, err1 := strconv.Atoi(f[0])
	budget, err2 := strconv.Atoi(f[1])
	if err := errors.Join(err1, err2); err != nil {
		return mutexResult{Err: err.Error()}
	}
	if run == 0 || len(ms) == 0 {
		return mutexResult{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(budget)*time.Millisecond)
	defer cancel()
	r, err := measure.Throughput(ctx, len(ms), time.Duration(run)*time.Millisecond, func(ctx context.Context, client, _ int) error {
		return lockUnlock(ctx, ms[client])
	})
	res := mutexResult{Rate: r}
	if err != nil {
		res.Err = err.Error()
	}
	return res
}

// runHere runs "id n budget-ms" on ops and returns the rows.
func runHere(ops *workload.Ops, args string) ([]report.Row, error) {
	if ops == nil {
		return nil, errors.New("RUN before CALLER")
	}
	f := strings.Fields(args)
	if len(f) != 3 {
		return nil, fmt.Errorf("RUN %q: want id, calls, budget in ms", args)
	}
	calls, err1 := strconv.Atoi(f[1])
	ms, err2 := strconv.Atoi(f[2])
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("RUN %q: %w", args, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(ms)*time.Millisecond)
	defer cancel()
	p := workload.Profile{Name: "child", N: calls}
	ts := workload.NewTables(p)
	workload.Sequential(ctx, p, f[0], *ops, ts, func(string, ...any) {})
	return ts.Rows(f[0]), nil
}
