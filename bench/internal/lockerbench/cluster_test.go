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
		for _, op := range []workload.Op{ops.Lock, ops.Extend, ops.Pair, ops.Read, ops.Register, *ops.Floor1, *ops.Floor2} {
			if err := op.Do(ctx, 1); err != nil {
				t.Errorf("%s %s: %v", c.System, op.Name, err)
			}
		}
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

func TestHeldLeaseMemory(t *testing.T) {
	row, err := HeldLeaseMemory(context.Background(), 2000)
	if err != nil {
		t.Fatal(err)
	}
	if row.Bytes <= 0 || row.Bytes > 10_000 {
		t.Fatalf("%.0f bytes per lease", row.Bytes)
	}
}
