package measure

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// RunTime returns the CPU time used so far by this process and by the
// processes pids, summed over their threads (taskTime; threads that
// exited are not counted). Where no thread can be read it falls back
// to CPU, in 10 ms ticks.
func RunTime(pids ...int) time.Duration {
	total := procTime(os.Getpid(), true)
	for _, pid := range pids {
		total += procTime(pid, false)
	}
	return total
}

// procTime is the CPU time of process pid (taskTime), or else its
// ticks (CPU for this process, procCPU for another).
func procTime(pid int, self bool) time.Duration {
	if t, ok := taskTime(pid); ok {
		return t
	}
	if self {
		return CPU()
	}
	return procCPU(pid)
}

// taskTime sums the CPU time of pid's threads: each thread's CPU-time
// clock (threadCPU), or else the first field of its schedstat.
func taskTime(pid int) (time.Duration, bool) {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	tasks, err := os.ReadDir(dir)
	if err != nil || len(tasks) == 0 {
		return 0, false
	}
	var total time.Duration
	read := false
	for _, t := range tasks {
		if ns, ok := threadTime(dir, t.Name()); ok {
			total += ns
			read = true
		}
	}
	return total, read
}

// threadTime is the CPU time of thread tid (a name in dir).
func threadTime(dir, tid string) (time.Duration, bool) {
	if id, err := strconv.Atoi(tid); err == nil {
		if ns, ok := threadCPU(id); ok {
			return ns, true
		}
	}
	b, err := os.ReadFile(dir + "/" + tid + "/schedstat")
	if err != nil {
		return 0, false // the thread exited
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, false
	}
	ns, err := strconv.ParseInt(f[0], 10, 64)
	return time.Duration(ns), err == nil
}

// Busy is the CPU time processes used over a span of wall time.
type Busy struct {
	Wall time.Duration
	CPU  time.Duration
	// Each is CPU split by process: this one first, then the pids in
	// their order.
	Each []time.Duration
}

// Cores returns the CPU time per wall time: 1 is one core busy.
func (b Busy) Cores() float64 {
	if b.Wall <= 0 {
		return 0
	}
	return b.CPU.Seconds() / b.Wall.Seconds()
}

// Watch starts counting the CPU time of this process and pids (RunTime);
// the returned function says how much they used since, and over what
// wall time.
func Watch(pids ...int) func() Busy {
	each := func() []time.Duration {
		d := []time.Duration{RunTime()}
		for _, pid := range pids {
			d = append(d, procTime(pid, false))
		}
		return d
	}
	cpu0, start := each(), time.Now()
	return func() Busy {
		cpu1, b := each(), Busy{Wall: time.Since(start)}
		for i := range cpu1 {
			b.Each = append(b.Each, cpu1[i]-cpu0[i])
			b.CPU += cpu1[i] - cpu0[i]
		}
		return b
	}
}

// Shares renders the CPU of each process as % of one core, e.g.
// "3.1 + 1.2 + 1.1 + 1.0 %".
func (b Busy) Shares() string {
	if b.Wall <= 0 {
		return "-"
	}
	parts := make([]string, len(b.Each))
	for i, d := range b.Each {
		parts[i] = strconv.FormatFloat(100*d.Seconds()/b.Wall.Seconds(), 'f', 1, 64)
	}
	return strings.Join(parts, " + ") + " %"
}

// Idle is the CPU time this process and pids use over d while the
// caller runs nothing; it stops early when ctx ends.
func Idle(ctx context.Context, d time.Duration, pids ...int) Busy {
	done := Watch(pids...)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
	return done()
}

// Renewals is the outcome of a keep-alive run: the duration of each of
// a run of paced renewals (Sample), and the CPU a renewal costs,
// measured over renewals run back to back (Burst, of Calls renewals),
// less what the processes use idle (Idle's rate over Burst's wall time).
type Renewals struct {
	Sample
	Idle  Busy
	Burst Busy
	Calls int
	CPU   time.Duration // per renewal, net of the idle use
}

// NetCPU fills r.CPU from r.Burst, r.Idle and r.Calls.
func (r *Renewals) NetCPU() {
	if r.Calls == 0 {
		return
	}
	net := r.Burst.CPU - time.Duration(r.Idle.Cores()*float64(r.Burst.Wall))
	r.CPU = max(net, 0) / time.Duration(r.Calls)
}

// Burst calls op n times in a row and returns the CPU time this process
// and pids used meanwhile (RunTime). It fails on the first error.
func Burst(n int, pids []int, op func(i int) error) (Busy, error) {
	done := Watch(pids...)
	for i := range n {
		if err := op(i); err != nil {
			return done(), err
		}
	}
	return done(), nil
}

// Paced calls op n times, one every period (the first after one period),
// as a session's keep-alive renews its lease, and returns the duration of
// each call that succeeded, summarized as Latency does.
func Paced(ctx context.Context, n int, period time.Duration, op func(i int) error) (Sample, error) {
	var d []time.Duration
	var failed int
	var lastErr error
	t := time.NewTicker(period)
	defer t.Stop()
loop:
	for i := 0; i < n; i++ {
		select {
		case <-ctx.Done():
			break loop
		case <-t.C:
		}
		start := time.Now()
		err := op(i)
		el := time.Since(start)
		if err != nil {
			failed, lastErr = failed+1, err
			if failed > n/2 {
				break loop
			}
			continue
		}
		d = append(d, el)
	}
	return FromDurations(d, failed, lastErr, ctx.Err())
}

// FromDurations summarizes durations measured elsewhere (a node's own
// timing of its calls), failed calls counted as in Latency: the sample
// is an error when more than half failed or none succeeded.
func FromDurations(d []time.Duration, failed int, lastErr, ctxErr error) (Sample, error) {
	s := summarize(d)
	s.Failed, s.LastErr = failed, lastErr
	switch {
	case failed > 0 && failed >= len(d):
		return s, fmt.Errorf("%d of %d calls failed, the last: %w", failed, len(d)+failed, lastErr)
	case len(d) == 0:
		return s, fmt.Errorf("no call finished: %w", ctxErr)
	}
	return s, nil
}

// Hold is the CPU time of keeping names alive: a window of wall time
// with the names held and nothing run, and one before they were taken.
type Hold struct {
	Names  int
	Setup  time.Duration // taking the names
	Before Busy          // with no names
	During Busy          // with the names held
	// How long the CPU use was left to settle before each window
	// (Quiet), and whether it settled.
	SettledBefore, SettledDuring time.Duration
	QuietBefore, QuietDuring     bool
}

// quietStep is the window Quiet compares the CPU use over.
const quietStep = 500 * time.Millisecond

// Quiet waits until the CPU use of this process and pids settles after
// earlier work: until two windows of quietStep in a row use CPU at rates
// within 20 % (or 5 ms per second) of each other, for up to limit (at
// least two windows; none when limit is not positive). It returns how
// long it waited and whether the use settled.
func Quiet(ctx context.Context, limit time.Duration, pids ...int) (time.Duration, bool) {
	if limit <= 0 {
		return 0, true
	}
	start := time.Now()
	prev := Idle(ctx, quietStep, pids...).Cores()
	for ctx.Err() == nil {
		cur := Idle(ctx, quietStep, pids...).Cores()
		if d := cur - prev; max(d, -d) <= max(0.2*prev, 0.005) {
			return time.Since(start), true
		}
		if time.Since(start) >= limit {
			break
		}
		prev = cur
	}
	return time.Since(start), false
}
