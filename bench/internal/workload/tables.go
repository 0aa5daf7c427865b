package workload

import (
	"fmt"
	"slices"
	"strings"

	"github.com/protolocker/locker/bench/internal/report"
)

// Table ids.
const (
	TLock     = "lock"
	TExtend   = "extend"
	TRelease  = "release"
	TPair     = "pair"
	TContest  = "contest"
	TLocal    = "lookup-local"
	TQuorum   = "lookup-quorum"
	TRegistry = "registry"
	TMemory   = "memory"
	TCPU      = "cpu"
	TMutex    = "mutex"
	TKeep     = "keepalive"
	TNames    = "names"
)

// TRate returns the id of the throughput table with clients clients.
func TRate(clients int) string { return fmt.Sprintf("rate-%d", clients) }

// Tables collects the rows of every workload, in the order of the report.
type Tables struct {
	list []*report.Table
	byID map[string]*report.Table
}

// NewTables returns the empty tables of profile p.
func NewTables(p Profile) *Tables {
	ts := &Tables{byID: map[string]*report.Table{}}
	ts.add(TLock, report.Latency, "Lock: sequential latency")
	ts.add(TExtend, report.Latency, "ExtendLease: sequential latency")
	ts.add(TRelease, report.Latency, "Release: sequential latency (of a key the caller locked just before, untimed)")
	ts.add(TPair, report.Latency, "Lock+Release: sequential latency of the pair")
	for _, c := range p.RateClients {
		ts.add(TRate(c), report.Rate, fmt.Sprintf("Lock+Release throughput, %d clients on distinct keys (pairs per second)", c))
	}
	ts.add(TContest, report.Contest, fmt.Sprintf("%d clients contending for one key (Lock, Release when won)", p.ContestClients))
	ts.add(TMutex, report.Rate, fmt.Sprintf("%d clients on one Mutex, blocking: Lock, Unlock (acquisitions per second)", p.MutexClients))
	ts.add(TKeep, report.Latency, fmt.Sprintf("Keep-alive: one renewal every %v (latency of each, CPU per renewal)", KeepAlivePeriod))
	ts.add(TNames, report.Hold, fmt.Sprintf("CPU of keeping %s names alive, nothing else running (%% of one core, every process of the system)", report.Count(float64(p.Names))))
	ts.add(TLocal, report.Lookup, "Local lookups (possibly stale)")
	ts.add(TQuorum, report.Lookup, "Consistent lookups")
	ts.add(TRegistry, report.Latency, "Registry: Register+Unregister")
	ts.add(TMemory, report.Memory, "Memory per held lease")
	ts.add(TCPU, report.CPU, "CPU time per sequential call, summed over the harness and the system's processes")
	return ts
}

func (ts *Tables) add(id string, kind report.Kind, title string) {
	t := &report.Table{ID: id, Kind: kind, Title: title}
	ts.list = append(ts.list, t)
	ts.byID[id] = t
}

// Add appends a row to table id.
func (ts *Tables) Add(id string, r report.Row) {
	if t, ok := ts.byID[id]; ok {
		t.Rows = append(t.Rows, r)
	}
}

// Rows returns the rows of table id, in the order they were added.
func (ts *Tables) Rows(id string) []report.Row {
	if t, ok := ts.byID[id]; ok {
		return t.Rows
	}
	return nil
}

// Note adds a note under table id.
func (ts *Tables) Note(id, format string, args ...any) {
	if t, ok := ts.byID[id]; ok {
		t.Notes = append(t.Notes, fmt.Sprintf(format, args...))
	}
}

// List returns the tables that have rows, each ordered this project
// first (the reference of the ratios), then etcd, then the floors.
func (ts *Tables) List() []*report.Table {
	var out []*report.Table
	for _, t := range ts.list {
		if len(t.Rows) == 0 {
			continue
		}
		slices.SortStableFunc(t.Rows, func(a, b report.Row) int { return rank(a.System) - rank(b.System) })
		out = append(out, t)
	}
	return out
}

func rank(system string) int {
	for i, p := range []string{"locker 3", "locker 1", "locker", "etcd", "floor 3", "floor"} {
		if strings.HasPrefix(system, p) {
			return i
		}
	}
	return 99
}
