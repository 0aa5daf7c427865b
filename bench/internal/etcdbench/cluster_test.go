package etcdbench

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/protolocker/locker/bench/internal/proc"
	"github.com/protolocker/locker/bench/internal/workload"
)

// TestMain lets the test binary serve as an etcd member process, as the
// harness's binary does.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && strings.HasPrefix(os.Args[1], "-"+proc.Flag+"=") {
		if err := ChildMain(os.Args[2:]); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestCluster(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	t0 := time.Now()
	c, err := Start(ctx)
	t.Logf("started in %v", time.Since(t0))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		t0 := time.Now()
		if err := c.Close(); err != nil {
			t.Error(err)
		}
		t.Logf("closed in %v", time.Since(t0))
		if _, err := os.Stat(c.DataDir); !os.IsNotExist(err) {
			t.Errorf("data dir %s left behind: %v", c.DataDir, err)
		}
	}()
	ops, closeSessions, err := c.Ops(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer closeSessions()
	for _, op := range []workload.Op{ops.Lock, ops.Extend, ops.Pair, ops.Read, *ops.Local, ops.Register} {
		if err := op.Do(ctx, 1); err != nil {
			t.Errorf("%s: %v", op.Name, err)
		}
	}
	if err := ops.Extend.Setup(ctx); err != nil {
		t.Errorf("extend setup: %v", err)
	} else if err := ops.Extend.Do(ctx, 0); err != nil {
		t.Errorf("extend after setup: %v", err)
	}
	for i := range 2 {
		if err := ops.Release.Prep(ctx, i); err != nil {
			t.Errorf("release prep: %v", err)
		} else if err := ops.Release.Do(ctx, i); err != nil {
			t.Errorf("release: %v", err)
		}
	}
	if won, err := ops.Contest.Do(ctx, 0); !won || err != nil {
		t.Errorf("uncontested attempt: won %v, %v", won, err)
	}
	if err := ops.Rate.Do(ctx, 3, 0); err != nil {
		t.Errorf("rate: %v", err)
	}
	sessionWorkloads(ctx, t, ops)
	row, err := c.HeldLeaseMemory(ctx, 100)
	if err != nil || row.RSSBytes == 0 && row.Bytes == 0 {
		t.Errorf("memory: %+v, %v", row, err)
	}
}

// sessionWorkloads runs the Mutex, keep-alive and names workloads, a few
// calls each.
func sessionWorkloads(ctx context.Context, t *testing.T, ops workload.Ops) {
	if r, err := ops.Mutex.Run(ctx, 3, 200*time.Millisecond); err != nil || r.Ops == 0 {
		t.Errorf("mutex: %+v, %v", r, err)
	}
	if r, err := ops.KeepAlive.Run(ctx, workload.KeepAlive{N: 3, Period: 10 * time.Millisecond, Idle: 50 * time.Millisecond, CPUCalls: 10}); err != nil || r.N != 3 || r.Median <= 0 || r.Burst.CPU <= 0 {
		t.Errorf("keep-alive: %+v, %v", r, err)
	}
	if h, err := ops.Names.Run(ctx, workload.Names{Count: 50, Idle: 50 * time.Millisecond, Window: 200 * time.Millisecond}); err != nil || h.During.Wall < 200*time.Millisecond {
		t.Errorf("names: %+v, %v", h, err)
	}
}
