package workload

import (
	"context"
	"fmt"

	"github.com/protolocker/locker/bench/internal/measure"
	"github.com/protolocker/locker/bench/internal/report"
)

// rate runs the throughput workload with c clients.
func rate(ctx context.Context, p Profile, c int, ops Ops, ts *Tables, logf func(string, ...any)) {
	if ops.Rate.Do == nil {
		return
	}
	r, err := measure.Throughput(ctx, c, p.RateTime, ops.Rate.Do)
	row := report.Row{System: ops.System, Op: ops.Rate.Name, N: int(r.Ops), Clients: c, PerSec: r.PerSec}
	if err != nil {
		row.Err = err.Error()
	} else if r.Errors > 0 {
		row.Note = fmt.Sprintf("%d of %d calls failed (not counted), the last: %s", r.Errors, r.Ops+r.Errors, r.LastErr)
	}
	ts.Add(TRate(c), row)
	logf("%s %s x%d: %s/s", ops.System, ops.Rate.Name, c, report.Count(r.PerSec))
}

// contest runs p.ContestClients clients against one key.
func contest(ctx context.Context, p Profile, ops Ops, ts *Tables, logf func(string, ...any)) {
	if ops.Contest.Do == nil {
		return
	}
	r, err := measure.Compete(ctx, p.ContestClients, p.ContestTime, ops.Contest.Do)
	row := report.Row{System: ops.System, Op: ops.Contest.Name, N: int(r.Attempts), Clients: r.Clients,
		PerSec: r.WinsSec, FailShare: report.F(r.FailShare)}
	if err != nil {
		row.Err = err.Error()
	} else if r.Errors > 0 {
		row.Note = fmt.Sprintf("%d of %d attempts failed with an error rather than losing to the holder, the last: %s", r.Errors, r.Attempts, r.LastErr)
	}
	ts.Add(TContest, row)
	logf("%s %s x%d: %s wins/s, %.1f%% of %d attempts failed", ops.System, ops.Contest.Name, r.Clients,
		report.Count(r.WinsSec), r.FailShare*100, r.Attempts)
}
