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
	"github.com/protolocker/locker/bench/internal/proc"
	"github.com/protolocker/locker/bench/internal/report"
	"github.com/protolocker/locker/bench/internal/workload"
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
		return callerOps(c.nodes[0], system, floor, masterPrefix, masterValue), nil
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
	}, nil
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
// "ROWS" and the rows in JSON, on one line.
func serveCaller(p *proc.Parent, n *locker.Node) {
	var ops *workload.Ops
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
		}
	}
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
