package sim

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/protolocker/locker/internal/proposer"
)

var (
	seedFlag = flag.Int64("sim.seed", 0, "base seed (0: a fresh random one, printed)")
	runsFlag = flag.Int("sim.runs", 0, "runs per profile (0: the bounded profile's count)")
	longFlag = flag.Bool("sim.long", false, "the long profile: many more runs")
	profFlag = flag.String("sim.profile", "", "run only this profile")
)

// TestCorpus replays every seed that ever failed (testdata/seeds.txt,
// "profile seed" per line).
func TestCorpus(t *testing.T) {
	f, err := os.Open("testdata/seeds.txt")
	if err != nil {
		t.Skip("no corpus")
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		seed, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil {
			t.Fatalf("bad corpus line %q", line)
		}
		t.Run(line, func(t *testing.T) { runOne(t, fields[0], seed) })
	}
}

// TestSimulation runs every profile on fresh seeds (or -sim.seed), and
// reports how many operations ran per second of wall time.
func TestSimulation(t *testing.T) {
	base := *seedFlag
	if base == 0 {
		base = rand.Int64N(1 << 40)
	}
	runs := 25
	if *longFlag {
		runs = 2000
	}
	if *runsFlag > 0 {
		runs = *runsFlag
	}
	names := make([]string, 0, len(Profiles))
	for name := range Profiles {
		if *profFlag == "" || *profFlag == name {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	t.Logf("base seed %d, %d runs per profile on %d workers; replay one run with -sim.profile=P -sim.seed=S -sim.runs=1",
		base, runs, runtime.GOMAXPROCS(0))
	defer debug.SetGCPercent(debug.SetGCPercent(400)) // the worlds are small and short-lived
	var all Stats
	ran := 0 // runs of the profiles -run selected
	start := time.Now()
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			pstart := time.Now()
			total := runMany(t, name, base, runs)
			all = add(all, total)
			ran += runs
			el := time.Since(pstart)
			t.Logf("%s: %d runs, %d operations (%d ok, %d refused, %d unknown), %d tenures, %d crashes, %d partitions, %d view changes (%d committed), %d repairs, %d reaped, %d unrecoverable, %d messages (%d dropped, %d duplicated), %v, %.0f ops/s",
				name, runs, total.Ops, total.OK, total.Refused, total.Unknown, total.Tenures, total.Crashes, total.Partitions,
				total.ViewChanges, total.Committed, total.Repairs, total.Reaped, total.Unrecoverable, total.Messages, total.Dropped, total.Duplicated,
				el.Round(time.Millisecond), float64(total.Ops)/el.Seconds())
		})
	}
	el := time.Since(start)
	verdict := "no violation"
	if t.Failed() {
		verdict = "VIOLATIONS (above)"
	}
	t.Logf("all profiles: %d runs, %d operations, %s: %v, %.0f ops/s", ran, all.Ops, verdict,
		el.Round(time.Millisecond), float64(all.Ops)/el.Seconds())
}

// runMany runs seeds base..base+runs-1 of a profile on every core and
// adds up their stats; it stops at the first failure.
func runMany(t *testing.T, profile string, base int64, runs int) Stats {
	var (
		mu    sync.Mutex
		total Stats
		next  = make(chan int64)
		wg    sync.WaitGroup
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for seed := range next {
				s, err := runSeed(profile, seed)
				mu.Lock()
				if err != nil {
					t.Error(err)
				}
				total = add(total, s)
				mu.Unlock()
			}
		})
	}
	for i := range runs {
		if t.Failed() {
			break
		}
		next <- base + int64(i)
	}
	close(next)
	wg.Wait()
	return total
}

func add(a, b Stats) Stats {
	a.Events += b.Events
	a.Messages += b.Messages
	a.Dropped += b.Dropped
	a.Duplicated += b.Duplicated
	a.Ops += b.Ops
	a.OK += b.OK
	a.Refused += b.Refused
	a.Unknown += b.Unknown
	a.Crashes += b.Crashes
	a.Restarts += b.Restarts
	a.Partitions += b.Partitions
	a.ViewChanges += b.ViewChanges
	a.Committed += b.Committed
	a.Tenures += b.Tenures
	a.Repairs += b.Repairs
	a.Reaped += b.Reaped
	a.Unrecoverable += b.Unrecoverable
	return a
}

// runOne runs one seed of a profile and checks it.
func runOne(t *testing.T, profile string, seed int64) Stats {
	t.Helper()
	s, err := runSeed(profile, seed)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// runSeed runs one seed of a profile and checks it: the invariants as it
// runs, convergence at its end, and linearizability of the lin profiles.
func runSeed(profile string, seed int64) (Stats, error) {
	p, ok := Profiles[profile]
	if !ok {
		return Stats{}, fmt.Errorf("no profile %q", profile)
	}
	w := New(seed, p)
	replay := fmt.Sprintf("replay: go test ./sim/ -run 'TestSimulation/%s' -sim.profile=%s -sim.seed=%d -sim.runs=1 -v",
		profile, profile, seed)
	if err := w.Run(); err != nil {
		return w.Stats(), fmt.Errorf("%s: %v\n%s", profile, err, replay)
	}
	if !p.Short {
		if err := linearizable(profile, seed, w.History()); err != nil {
			return w.Stats(), fmt.Errorf("%v\n%s", err, replay)
		}
	}
	return w.Stats(), nil
}

// linearizable checks a lin profile's history with porcupine; on a
// violation it writes the visualization and explains the key that fails.
func linearizable(profile string, seed int64, h *History) error {
	end := int64(0)
	for _, op := range h.Ops {
		end = max(end, op.Return)
	}
	ops := make([]porcupine.Operation, 0, len(h.Ops))
	for _, op := range h.Ops {
		ret := op.Return
		if op.Result == ResultUnknown {
			ret = end + 1 // it may take effect at any time from its call on
		}
		ops = append(ops, porcupine.Operation{ClientId: op.Client, Input: op, Call: op.Call, Output: op, Return: ret})
	}
	res, info := porcupine.CheckOperationsVerbose(model.ToModel(), ops, 30*time.Second)
	if res != porcupine.Illegal {
		return nil
	}
	path := fmt.Sprintf("%s/sim-%s-%d.html", os.TempDir(), profile, seed)
	if f, err := os.Create(path); err == nil {
		_ = porcupine.Visualize(model.ToModel(), info, f)
		f.Close()
	}
	return fmt.Errorf("%s seed %d: history is not linearizable (%d operations); visualization: %s\n%s",
		profile, seed, len(ops), path, explain(ops))
}

// explain lists, by call time, the operations of the first key whose
// history is not linearizable, up to the shortest prefix that is not.
func explain(ops []porcupine.Operation) string {
	m := model.ToModel()
	var b strings.Builder
	for _, part := range model.Partition(ops) {
		if porcupine.CheckOperationsTimeout(m, part, 10*time.Second) != porcupine.Illegal {
			continue
		}
		sort.Slice(part, func(i, j int) bool { return part[i].Call < part[j].Call })
		end := shortestIllegal(m, part)
		fmt.Fprintf(&b, "shortest illegal prefix ends at %v\n", time.Duration(end))
		for _, op := range part {
			if op.Call > end {
				break
			}
			o := op.Input.(*Op)
			fmt.Fprintf(&b, "%12v %12v c%d %s\n", time.Duration(op.Call), time.Duration(op.Return), o.Client,
				model.DescribeOperation(o, o))
		}
		break
	}
	return b.String()
}

// shortestIllegal returns the earliest time T such that the operations
// called by T are not linearizable, taking the writes that had not
// returned by T as unknown and dropping such reads.
func shortestIllegal(m porcupine.Model, ops []porcupine.Operation) int64 {
	var ends []int64
	for _, op := range ops {
		ends = append(ends, op.Return)
	}
	sort.Slice(ends, func(i, j int) bool { return ends[i] < ends[j] })
	last := ends[len(ends)-1]
	for _, T := range ends {
		var prefix []porcupine.Operation
		for _, op := range ops {
			o := op.Input.(*Op)
			switch {
			case op.Call > T:
			case op.Return <= T:
				prefix = append(prefix, op)
			case o.Kind != proposer.Read:
				u := *o
				u.Result = ResultUnknown
				op.Input, op.Output, op.Return = &u, &u, last+1
				prefix = append(prefix, op)
			}
		}
		if porcupine.CheckOperationsTimeout(m, prefix, time.Second) == porcupine.Illegal {
			return T
		}
	}
	return last
}
