package report

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteText writes the report as Markdown: the machine, one table per
// workload with ratios to its first row, and the targets.
func WriteText(w io.Writer, rep *Report) {
	m := rep.Machine
	fmt.Fprintf(w, "# locker vs etcd, profile %s, %s\n\n", rep.Profile, rep.Date.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(w, "machine: %s, %d cores (GOMAXPROCS %d), %s, %s, kernel %s, memory %s; load average %s at the start, %s at the end\n\n",
		m.CPU, m.Cores, m.GOMAXPROCS, m.GoVersion, m.OS, m.Kernel, m.MemTotal, m.LoadStart, m.LoadEnd)
	for _, s := range rep.Settings {
		fmt.Fprintf(w, "- %s\n", s)
	}
	fmt.Fprintln(w)
	for _, t := range rep.Tables {
		writeTable(w, t)
	}
	if len(rep.Targets) > 0 {
		fmt.Fprintf(w, "## Targets\n\n| goal | this run | met |\n|---|---|---|\n")
		for _, g := range rep.Targets {
			met := "no"
			if g.Met {
				met = "yes"
			}
			fmt.Fprintf(w, "| %s | %s | %s |\n", g.Goal, g.Got, met)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "elapsed: %v\n", rep.Elapsed.Round(time.Second))
}

func writeTable(w io.Writer, t *Table) {
	_, higher := t.Key(Row{})
	better := "lower is better"
	if higher {
		better = "higher is better"
	}
	fmt.Fprintf(w, "## %s (%s; ratio = row / first row)\n\n", t.Title, better)
	head := []string{"system", "op", "n"}
	withCPU := false // a latency table whose rows have their CPU per call
	for _, r := range t.Rows {
		withCPU = withCPU || (t.Kind == Latency && r.CPUNs > 0)
	}
	switch t.Kind {
	case Latency:
		head = append(head, "median", "p99", "allocs/op")
		if withCPU {
			head = append(head, "CPU/call")
		}
	case Rate:
		head = append(head, "clients", "per second")
	case Contest:
		head = append(head, "clients", "wins per second", "failed attempts")
	case Lookup:
		head = append(head, "mean", "median", "p99", "allocs/op")
	case Memory:
		head = append(head, "heap bytes/lease", "RSS bytes/lease")
	case CPU:
		head = append(head, "wall/call", "CPU/call", "cores busy")
	case Hold:
		head = append(head, "window", "CPU, % of a core", "before the names", "CPU per name", "per name, above before", "names taken in")
	}
	head = append(head, "ratio")
	fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(head, " | "), strings.Repeat("---|", len(head)))
	for _, r := range t.Rows {
		cells := []string{r.System, r.Op, fmt.Sprint(r.N)}
		if r.Err != "" {
			fmt.Fprintf(w, "| %s | failed: %s |\n", strings.Join(cells, " | "), strings.ReplaceAll(r.Err, "|", "/"))
			continue
		}
		switch t.Kind {
		case Latency:
			cells = append(cells, Dur(r.MedianNs), Dur(r.P99Ns), allocs(r.AllocsPerOp))
			if withCPU {
				cells = append(cells, Dur(r.CPUNs))
			}
		case Rate:
			cells = append(cells, fmt.Sprint(r.Clients), Count(r.PerSec))
		case Contest:
			cells = append(cells, fmt.Sprint(r.Clients), Count(r.PerSec), pct(r.FailShare))
		case Lookup:
			cells = append(cells, Dur(r.MeanNs), Dur(r.MedianNs), Dur(r.P99Ns), allocs(r.AllocsPerOp))
		case Memory:
			cells = append(cells, byteSize(r.Bytes), byteSize(r.RSSBytes))
		case CPU:
			busy := "-"
			if r.MeanNs > 0 {
				busy = fmt.Sprintf("%.2f", r.CPUNs/r.MeanNs)
			}
			cells = append(cells, Dur(r.MeanNs), Dur(r.CPUNs), busy)
		case Hold:
			cells = append(cells, Dur(r.WindowNs), Pct(r.CPUPct), Pct(r.IdlePct), Dur(r.PerName())+"/s", signedDur(r.PerNameAbove())+"/s", Dur(r.SetupNs))
		}
		cells = append(cells, ratio(t.Ratio(r)))
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
	fmt.Fprintln(w)
	for _, n := range t.Notes {
		fmt.Fprintf(w, "- %s\n", n)
	}
	if len(t.Notes) > 0 {
		fmt.Fprintln(w)
	}
	for _, r := range t.Rows {
		if r.Note != "" {
			fmt.Fprintf(w, "- %s, %s: %s\n", r.System, r.Op, r.Note)
		}
	}
	fmt.Fprintln(w)
}

// Dur renders nanoseconds with a unit that keeps three digits.
func Dur(ns float64) string {
	switch {
	case ns == 0:
		return "-"
	case ns < 1e3:
		return fmt.Sprintf("%.1f ns", ns)
	case ns < 1e6:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	case ns < 1e9:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	}
	return fmt.Sprintf("%.2f s", ns/1e9)
}

// signedDur is Dur with a sign.
func signedDur(ns float64) string {
	if ns < 0 {
		return "−" + Dur(-ns)
	}
	return Dur(ns)
}

// Count renders a rate with thousands separators.
func Count(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func allocs(a *float64) string {
	if a == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f", *a)
}

// Pct renders a percentage of one core.
func Pct(v float64) string {
	switch {
	case v == 0:
		return "-"
	case v < 1:
		return fmt.Sprintf("%.3f %%", v)
	case v < 10:
		return fmt.Sprintf("%.2f %%", v)
	}
	return fmt.Sprintf("%.1f %%", v)
}

func pct(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", *p*100)
}

func byteSize(b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f B", b)
}

func ratio(x float64) string {
	if x == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", x)
}
