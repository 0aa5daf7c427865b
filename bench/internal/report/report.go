// Package report holds the harness's results and renders them: text
// tables with ratios to this project, JSON, and an SVG bar chart.
package report

import "time"

// Kind says what a table measures and so which figure is its key.
type Kind string

// The kinds of tables.
const (
	Latency Kind = "latency" // sequential calls: median and p99
	Rate    Kind = "rate"    // concurrent clients: successful calls per second
	Contest Kind = "contest" // clients competing for one key: wins per second
	Lookup  Kind = "lookup"  // reads: mean time per call and allocations
	Memory  Kind = "memory"  // bytes per held lease
	CPU     Kind = "cpu"     // CPU time per call, over every process of the system
	Hold    Kind = "hold"    // CPU of every process of the system over a window, names held
)

// Row is one system's figures in a table.
type Row struct {
	System      string   `json:"system"`
	Op          string   `json:"op"`
	N           int      `json:"n"`
	MedianNs    float64  `json:"median_ns,omitempty"`
	P99Ns       float64  `json:"p99_ns,omitempty"`
	MeanNs      float64  `json:"mean_ns,omitempty"`
	CPUNs       float64  `json:"cpu_ns,omitempty"`
	AllocsPerOp *float64 `json:"allocs_per_op,omitempty"`
	Clients     int      `json:"clients,omitempty"`
	PerSec      float64  `json:"per_sec,omitempty"`
	FailShare   *float64 `json:"fail_share,omitempty"`
	Bytes       float64  `json:"bytes_per_lease,omitempty"`
	RSSBytes    float64  `json:"rss_bytes_per_lease,omitempty"`
	WindowNs    float64  `json:"window_ns,omitempty"` // Hold: the window's length
	CPUPct      float64  `json:"cpu_pct,omitempty"`   // Hold: CPU over the window, % of one core
	IdlePct     float64  `json:"idle_pct,omitempty"`  // Hold: the same before the names were taken
	SetupNs     float64  `json:"setup_ns,omitempty"`  // Hold: time taken to take the names
	Note        string   `json:"note,omitempty"`
	Err         string   `json:"error,omitempty"`
}

// Table is one workload: its rows, the first of which is the reference
// (this project) that ratios divide by.
type Table struct {
	ID    string   `json:"id"`
	Title string   `json:"title"`
	Kind  Kind     `json:"kind"`
	Rows  []Row    `json:"rows"`
	Notes []string `json:"notes,omitempty"`
}

// Target is one goal of the issue, checked against this run.
type Target struct {
	Goal string `json:"goal"`
	Got  string `json:"got"`
	Met  bool   `json:"met"`
}

// Report is one run of the harness.
type Report struct {
	Date     time.Time     `json:"date"`
	Profile  string        `json:"profile"`
	Machine  Machine       `json:"machine"`
	Settings []string      `json:"settings"`
	Tables   []*Table      `json:"tables"`
	Targets  []Target      `json:"targets"`
	Elapsed  time.Duration `json:"elapsed_ns"`
}

// Key returns the figure of r that the table's kind compares, and
// whether higher is better.
func (t *Table) Key(r Row) (v float64, higherBetter bool) {
	switch t.Kind {
	case Latency:
		return r.MedianNs, false
	case Rate, Contest:
		return r.PerSec, true
	case Lookup:
		return r.MeanNs, false
	case CPU:
		return r.CPUNs, false
	case Hold:
		return r.CPUPct, false
	case Memory:
		if r.Bytes > 0 {
			return r.Bytes, false
		}
		return r.RSSBytes, false
	}
	return 0, false
}

// Ratio returns r's key figure divided by the first row's, or 0 when
// either is missing.
func (t *Table) Ratio(r Row) float64 {
	if len(t.Rows) == 0 || r.Err != "" || t.Rows[0].Err != "" {
		return 0
	}
	ref, _ := t.Key(t.Rows[0])
	v, _ := t.Key(r)
	if ref == 0 || v == 0 {
		return 0
	}
	return v / ref
}

// Find returns the row of table id whose system and op start with the
// given strings, if any.
func (rep *Report) Find(id, system, op string) (Row, bool) {
	for _, t := range rep.Tables {
		if t.ID != id {
			continue
		}
		for _, r := range t.Rows {
			if r.System == system && (op == "" || r.Op == op) && r.Err == "" {
				return r, true
			}
		}
	}
	return Row{}, false
}

// PerName returns the CPU time per second and per name held of a Hold
// row, in nanoseconds.
func (r Row) PerName() float64 {
	if r.N == 0 {
		return 0
	}
	return r.CPUPct / 100 * 1e9 / float64(r.N)
}

// PerNameAbove is PerName of the window's CPU less the CPU before the
// names were taken: what the names add, per name.
func (r Row) PerNameAbove() float64 {
	if r.N == 0 {
		return 0
	}
	return (r.CPUPct - r.IdlePct) / 100 * 1e9 / float64(r.N)
}

// F returns a pointer to v, for the optional figures.
func F(v float64) *float64 { return &v }
