package run

import (
	"strings"
	"testing"

	"github.com/protolocker/locker/bench/internal/report"
	"github.com/protolocker/locker/bench/internal/workload"
)

func TestTargets(t *testing.T) {
	lat := func(system string, us float64) report.Row {
		return report.Row{System: system, Op: "x", N: 10, MedianNs: us * 1e3}
	}
	rep := &report.Report{Tables: []*report.Table{
		{ID: workload.TLock, Kind: report.Latency, Rows: []report.Row{
			lat("locker 3 procs", 600), lat("locker 3 procs, master caller", 400), lat("etcd 3 procs", 700),
			lat("floor 3 procs", 550), lat("floor 3 procs, master caller", 300),
		}},
		{ID: workload.TMutex, Kind: report.Rate, Rows: []report.Row{
			{System: "locker 3 procs", PerSec: 1100}, {System: "locker 3 procs, master caller", PerSec: 700}, {System: "etcd 3 procs", PerSec: 100},
		}},
		{ID: workload.TRelease, Kind: report.Latency, Rows: []report.Row{
			lat("locker 1 proc, master caller", 100), lat("floor 1 proc, master caller", 90),
		}},
	}}
	got := map[string]report.Target{}
	for _, g := range Targets(rep) {
		got[g.Goal] = g
	}
	for goal, want := range map[string]struct {
		met bool
		got string
	}{
		"Lock median <= 1.2x the two-round floor (locker 3 procs)":                                       {true, "1.09x"},
		"Lock median <= 1.2x the two-round floor (locker 3 procs, master caller)":                        {false, "1.33x"},
		"Lock from a master caller <= 0.6x etcd Mutex.Lock (3 procs)":                                    {true, "0.57x"},
		"Release median <= 1.3x the one-round floor (locker 1 proc, master caller)":                      {true, "1.11x"},
		"ExtendLease median <= 1.3x the one-round floor (locker 1 proc)":                                 {false, "not measured"},
		"8 clients on one Mutex, blocking: >= 10x etcd's acquisitions/s (locker 3 procs)":                {true, "11.00x (1,100/s vs 100/s)"},
		"8 clients on one Mutex, blocking: >= 10x etcd's acquisitions/s (locker 3 procs, master caller)": {false, "7.00x"},
	} {
		g, ok := got[goal]
		if !ok {
			t.Errorf("no target %q", goal)
			continue
		}
		if !strings.HasPrefix(g.Got, want.got) {
			t.Errorf("%s: got %q, want %s", goal, g.Got, want.got)
		}
		if g.Met != want.met {
			t.Errorf("%s: met %v, want %v", goal, g.Met, want.met)
		}
	}
}
