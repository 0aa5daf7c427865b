package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/protolocker/locker"
)

var (
	linKeys   = []string{"x", "y", "z"}
	linValues = []string{"a", "b", "c"}
)

// linLease is every Lock's lease and the masters' MaxLease: the model
// has no expiry, so a run must end before it (runHistory checks).
const linLease = time.Minute

// history is what one run recorded. Timestamps are ticks of one logical
// clock, taken before each call and after each return, so they order
// operations as real time does.
type history struct {
	ops    []porcupine.Operation
	faults []porcupine.Annotation
	counts [3]int // ok, refused, unknown writes
	reads  int    // successful reads
	failed int    // failed reads, dropped

	skipped         int // operations not run: their master was killed
	kills, restarts int
}

func TestLinearizable(t *testing.T) {
	p := linProfile()
	base := baseSeed(t)
	var total history // counts only
	var ops, linearizable, timedOut int
	start := time.Now()
	for i := range p.histories {
		seed := base + int64(i)
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			var h history
			synctest.Test(t, func(t *testing.T) { h = runHistory(t, seed, p) })
			ops += len(h.ops)
			for i := range total.counts {
				total.counts[i] += h.counts[i]
			}
			total.reads, total.failed = total.reads+h.reads, total.failed+h.failed
			total.skipped, total.kills, total.restarts = total.skipped+h.skipped, total.kills+h.kills, total.restarts+h.restarts
			switch checkHistory(t, seed, h) {
			case porcupine.Ok:
				linearizable++
			case porcupine.Unknown:
				timedOut++
			}
		})
	}
	t.Logf("%d histories (%d linearizable, %d too long to check), %d operations: writes %d ok, %d refused, %d ambiguous; %d reads (%d failed, dropped); %d skipped; %d kills, %d restarts; %v; base seed %d",
		p.histories, linearizable, timedOut, ops, total.counts[ok], total.counts[refused], total.counts[unknown],
		total.reads, total.failed, total.skipped, total.kills, total.restarts, time.Since(start).Round(time.Millisecond), base)
}

// runHistory runs p.clients clients of p.ops random operations each on a
// fresh cluster while faults change the network.
func runHistory(t *testing.T, seed int64, p profile) history {
	c := newCluster(t, mastersFor(seed), seed, locker.Config{
		RequestTimeout: 200 * time.Millisecond,
		MaxLease:       linLease,
	})
	epoch := time.Now()
	var (
		clock atomic.Int64
		mu    sync.Mutex
		h     history
	)
	f := newFaults(c, seed, 20*time.Millisecond, 300*time.Millisecond)
	stop := make(chan struct{})
	var faultsDone sync.WaitGroup
	faultsDone.Go(func() {
		f.run(stop, func(s string) {
			mu.Lock()
			defer mu.Unlock()
			now := clock.Load()
			h.faults = append(h.faults, porcupine.Annotation{Tag: "faults", Start: now, End: now, Description: s})
		})
	})

	var clients sync.WaitGroup
	for id := range p.clients {
		clients.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(seed), uint64(100+id)))
			for range p.ops {
				time.Sleep(time.Duration(rng.IntN(20)) * time.Millisecond)
				in := randomInput(rng)
				node := c.node(rng.IntN(c.size()))
				if node == nil {
					mu.Lock()
					h.skipped++ // its master is killed
					mu.Unlock()
					continue
				}
				call := clock.Add(1)
				out, err := execute(node, in)
				ret := clock.Add(1)
				// ErrStopped: the master was killed during the call; a
				// write is ambiguous (outcome), a read is dropped.
				if errors.Is(err, locker.ErrInvalid) {
					t.Errorf("%s: %v", describe(in, out), err) // the test's fault, not the store's
				}
				mu.Lock()
				switch {
				case in.op == opRead && err != nil:
					h.failed++
				case in.op == opRead:
					h.reads++
				default:
					h.counts[out.res]++
				}
				if in.op != opRead || err == nil {
					meta := node.Address()
					if err != nil {
						meta += ": " + err.Error()
					}
					h.ops = append(h.ops, porcupine.Operation{ClientId: id, Input: in, Call: call,
						Output: out, Return: ret, Metadata: meta})
				}
				mu.Unlock()
			}
		})
	}
	clients.Wait()
	close(stop)
	faultsDone.Wait()
	if f.err != nil {
		t.Fatal(f.err)
	}
	if d := time.Since(epoch); d >= linLease {
		t.Fatalf("the run took %v, more than the lease (%v) the model takes as endless", d, linLease)
	}
	h.kills, h.restarts = f.count["kill"], f.count["restart"]

	end := clock.Add(1)
	for i := range h.ops {
		if h.ops[i].Output.(output).res == unknown {
			h.ops[i].Return = end // it may take effect at any time from its call on
		}
	}
	t.Logf("seed %d, %d masters, %v: %d writes ok, %d refused, %d ambiguous; %d reads (%d failed, dropped); %d skipped on killed masters; faults %v",
		seed, c.size(), time.Since(epoch), h.counts[ok], h.counts[refused], h.counts[unknown], h.reads, h.failed, h.skipped, f.count)
	return h
}

func randomInput(rng *rand.Rand) input {
	in := input{op: opKind(rng.IntN(4)), key: linKeys[rng.IntN(len(linKeys))],
		val: linValues[rng.IntN(len(linValues))]}
	if in.op == opUpdate {
		in.old = linValues[rng.IntN(len(linValues))]
	}
	return in
}

// execute performs one call; for a read the error means the read failed.
func execute(n *locker.Node, in input) (output, error) {
	ctx := context.Background() // bounded by RequestTimeout
	var err error
	switch in.op {
	case opLock:
		_, err = n.Lock(ctx, in.key, []byte(in.val), linLease)
	case opUpdate:
		_, err = n.Update(ctx, in.key, []byte(in.old), []byte(in.val))
	case opRelease:
		_, err = n.Release(ctx, in.key, []byte(in.val))
	case opRead:
		e, err := n.Read(ctx, in.key)
		switch {
		case err == nil:
			return output{found: true, val: string(e.Value)}, nil
		case errors.Is(err, locker.ErrNotFound):
			return output{}, nil
		}
		return output{}, err
	}
	return output{res: outcome(in.op, err)}, err
}

// checkHistory checks h with porcupine. On a violation it writes the
// visualization to a temp file and fails with its path and the seed.
func checkHistory(t *testing.T, seed int64, h history) porcupine.CheckResult {
	m := model.ToModel()
	res, info := porcupine.CheckOperationsVerbose(m, h.ops, 20*time.Second)
	switch res {
	case porcupine.Ok:
		return res
	case porcupine.Unknown:
		t.Logf("seed %d: the checker timed out on %d operations; not checked", seed, len(h.ops))
		return res
	}
	info.AddAnnotations(h.faults)
	f, err := os.CreateTemp("", fmt.Sprintf("chaos-linearizable-%d-*.html", seed))
	if err == nil {
		err = porcupine.Visualize(m, info, f)
		f.Close()
	}
	if err == nil {
		err = writeText(strings.TrimSuffix(f.Name(), ".html")+".txt", h)
	}
	if err != nil {
		t.Errorf("visualization: %v", err)
	}
	t.Fatalf("history is not linearizable (seed %d, %d masters); visualization: %s (and .txt)\nrepeat: go test -run 'TestLinearizable/%d$' -chaos.seed=%d -count=20 ./",
		seed, mastersFor(seed), f.Name(), seed, seed)
	return res
}

// writeText lists the history of the keys that fail, by call time, with
// the faults in between.
func writeText(path string, h history) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	m := model.ToModel()
	for _, part := range model.Partition(h.ops) {
		if porcupine.CheckOperationsTimeout(m, part, 10*time.Second) == porcupine.Ok {
			continue
		}
		slices.SortFunc(part, func(a, b porcupine.Operation) int { return int(a.Call - b.Call) })
		end := shortestIllegalPrefix(m, part)
		fmt.Fprintf(f, "key %s: shortest illegal prefix, to tick %d\n", part[0].Input.(input).key, end)
		fi := 0
		for _, op := range part {
			if op.Call > end {
				break
			}
			for ; fi < len(h.faults) && h.faults[fi].Start <= op.Call; fi++ {
				fmt.Fprintf(f, "%5d        fault: %s\n", h.faults[fi].Start, h.faults[fi].Description)
			}
			fmt.Fprintf(f, "%5d..%-5d c%d %s  [%v]\n", op.Call, op.Return, op.ClientId,
				describe(op.Input.(input), op.Output.(output)), op.Metadata)
		}
		fmt.Fprintln(f)
	}
	return nil
}

// shortestIllegalPrefix returns the earliest tick T such that the
// operations called by T are not linearizable, taking what had not
// returned by T as ambiguous (writes) or absent (reads).
func shortestIllegalPrefix(m porcupine.Model, ops []porcupine.Operation) int64 {
	var ends []int64
	for _, op := range ops {
		ends = append(ends, op.Return)
	}
	slices.Sort(ends)
	for _, T := range ends {
		var prefix []porcupine.Operation
		for _, op := range ops {
			switch {
			case op.Call > T:
			case op.Return <= T:
				prefix = append(prefix, op)
			case op.Input.(input).op != opRead:
				op.Output, op.Return = output{res: unknown}, ends[len(ends)-1]
				prefix = append(prefix, op)
			}
		}
		if porcupine.CheckOperationsTimeout(m, prefix, time.Second) == porcupine.Illegal {
			return T
		}
	}
	return ends[len(ends)-1]
}
