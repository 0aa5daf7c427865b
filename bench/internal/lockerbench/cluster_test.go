package lockerbench

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/protolocker/locker/bench/internal/proc"
	"github.com/protolocker/locker/bench/internal/workload"
)

// TestMain lets the test binary serve as a master process, as the
// harness's binary does.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && strings.HasPrefix(os.Args[1], "-"+proc.Flag+"=") {
		if err := ChildMain(); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestClusters(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, start := range []func(context.Context) (*Cluster, error){StartProcs, StartInProc} {
		c, err := start(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ops, err := c.Ops(ctx)
		if err != nil {
			c.Close()
			t.Fatal(err)
		}
		for _, op := range []workload.Op{ops.Lock, ops.Extend, ops.Release, ops.Pair, ops.Read, ops.Register, *ops.Floor1, *ops.Floor2} {
			if err := doOnce(ctx, op); err != nil {
				t.Errorf("%s %s: %v", c.System, op.Name, err)
			}
		}
		masterCaller(ctx, t, c)
		sessionWorkloads(ctx, t, c, ops)
		if won, err := ops.Contest.Do(ctx, 0); !won || err != nil {
			t.Errorf("%s: uncontested attempt: won %v, %v", c.System, won, err)
		}
		if len(c.nodes) > 0 {
			ts := workload.NewTables(workload.Profiles["smoke"])
			if err := c.LocalLookups(ctx, 1000, ts); err != nil {
				t.Errorf("local lookups: %v", err)
			}
		}
		if err := c.Close(); err != nil {
			t.Errorf("%s: close: %v", c.System, err)
		}
	}
}

// doOnce runs op's Setup, Prep and one call, twice for Release (its
// Prep takes the key back).
func doOnce(ctx context.Context, op workload.Op) error {
	if op.Setup != nil {
		if err := op.Setup(ctx); err != nil {
			return err
		}
	}
	for i := range 2 {
		if op.Prep != nil {
			if err := op.Prep(ctx, i); err != nil {
				return err
			}
		}
		if err := op.Do(ctx, i); err != nil {
			return err
		}
	}
	return nil
}

// masterCaller runs the sequential workloads, a few calls each, with
// master 1 as the caller, and checks that every table gets its rows.
func masterCaller(ctx context.Context, t *testing.T, c *Cluster) {
	ops, err := c.MasterCaller(ctx)
	if err != nil {
		t.Errorf("%s: master caller: %v", c.System, err)
		return
	}
	p := workload.Profile{Name: "test", N: 5}
	ts := workload.NewTables(p)
	for _, id := range []string{workload.Warm, workload.TLock, workload.TExtend, workload.TRelease, workload.TPair} {
		workload.Sequential(ctx, p, id, ops, ts, t.Logf)
	}
	for id, want := range map[string][]string{
		workload.TLock:    {c.System + MasterCaller, c.Floor + MasterCaller},
		workload.TExtend:  {c.System + MasterCaller, c.Floor + MasterCaller},
		workload.TRelease: {c.System + MasterCaller, c.Floor + MasterCaller},
		workload.TPair:    {c.System + MasterCaller},
	} {
		rows := ts.Rows(id)
		if len(rows) != len(want) {
			t.Errorf("%s: %d rows, want %v: %+v", id, len(rows), want, rows)
			continue
		}
		for i, r := range rows {
			if r.System != want[i] || r.Err != "" || r.N != p.N || r.MedianNs <= 0 {
				t.Errorf("%s: row %d = %+v, want %s with %d calls", id, i, r, want[i], p.N)
			}
		}
	}
}

func TestHeldLeaseMemory(t *testing.T) {
	row, err := HeldLeaseMemory(context.Background(), 2000)
	if err != nil {
		t.Fatal(err)
	}
	if row.Bytes <= 0 || row.Bytes > 10_000 {
		t.Fatalf("%.0f bytes per lease", row.Bytes)
	}
}

// sessionWorkloads runs the Mutex (from the client node and from the
// masters), keep-alive and names workloads, a few calls each.
func sessionWorkloads(ctx context.Context, t *testing.T, c *Cluster, ops workload.Ops) {
	if r, err := ops.Mutex.Run(ctx, 3, 200*time.Millisecond); err != nil || r.Ops == 0 {
		t.Errorf("%s: mutex: %+v, %v", c.System, r, err)
	}
	m, err := c.MasterCaller(ctx)
	if err != nil {
		t.Errorf("%s: master caller: %v", c.System, err)
	} else if r, err := m.Mutex.Run(ctx, 4, 200*time.Millisecond); err != nil || r.Ops == 0 {
		t.Errorf("%s: mutex over the masters: %+v, %v", c.System, r, err)
	}
	if r, err := ops.KeepAlive.Run(ctx, keepAliveTest); err != nil || r.N != 3 || r.Median <= 0 || r.Burst.CPU <= 0 {
		t.Errorf("%s: keep-alive: %+v, %v", c.System, r, err)
	}
	if h, err := ops.Names.Run(ctx, namesTest); err != nil || h.During.Wall < 200*time.Millisecond {
		t.Errorf("%s: names: %+v, %v", c.System, h, err)
	}
}

// keepAliveTest is a keep-alive run of a few renewals.
var keepAliveTest = workload.KeepAlive{N: 3, Period: 10 * time.Millisecond, Idle: 50 * time.Millisecond, CPUCalls: 10}

// namesTest is a names run of a few names.
var namesTest = workload.Names{Count: 50, Idle: 50 * time.Millisecond, Window: 200 * time.Millisecond}
