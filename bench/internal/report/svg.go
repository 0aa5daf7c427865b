package report

import (
	"fmt"
	"html"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// SVG layout, in pixels.
const (
	svgWidth  = 1120
	labelW    = 370
	barW      = 460
	rowH      = 18
	titleH    = 24
	panelGap  = 14
	topMargin = 40
)

// WriteSVG draws one panel of horizontal bars per table, the key figure
// of each row, and writes it to path. A panel whose figures span more
// than two decades is drawn on a log scale.
func WriteSVG(path string, rep *Report) error {
	var b strings.Builder
	y := topMargin
	for _, t := range rep.Tables {
		y = panel(&b, t, y)
	}
	var out strings.Builder
	fmt.Fprintf(&out, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", svgWidth, y+10)
	fmt.Fprintf(&out, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&out, `<text x="10" y="22" font-size="16" font-weight="bold">%s</text>`+"\n",
		esc(fmt.Sprintf("locker vs etcd, profile %s, %s, %s, %d cores", rep.Profile, rep.Date.Format("2006-01-02"), rep.Machine.CPU, rep.Machine.Cores)))
	out.WriteString(b.String())
	out.WriteString("</svg>\n")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(out.String()), 0o644)
}

func panel(b *strings.Builder, t *Table, y int) int {
	lo, hi := math.Inf(1), 0.0
	for _, r := range t.Rows {
		if v, _ := t.Key(r); v > 0 && r.Err == "" {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	logScale := hi > 0 && hi/lo > 100
	_, higher := t.Key(Row{})
	note := "lower is better"
	if higher {
		note = "higher is better"
	}
	if logScale {
		note += ", log scale"
	}
	fmt.Fprintf(b, `<text x="10" y="%d" font-weight="bold">%s <tspan font-weight="normal" fill="#666">(%s)</tspan></text>`+"\n", y+16, esc(t.Title), note)
	y += titleH
	for _, r := range t.Rows {
		v, _ := t.Key(r)
		fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", labelW-6, y+13, esc(clip(r.System+" · "+r.Op, 58)))
		w := 0.0
		switch {
		case r.Err != "" || v <= 0 || hi <= 0:
		case logScale:
			// lo maps to a tenth of the bar, hi to all of it.
			w = barW * (0.1 + 0.9*math.Log(v/lo)/math.Log(hi/lo))
		default:
			w = barW * v / hi
		}
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`+"\n", labelW, y+2, w, rowH-4, color(r.System))
		fmt.Fprintf(b, `<text x="%.1f" y="%d">%s</text>`+"\n", float64(labelW)+w+6, y+13, esc(valueText(t, r)))
		y += rowH
	}
	return y + panelGap
}

func valueText(t *Table, r Row) string {
	if r.Err != "" {
		return "failed"
	}
	var s string
	switch t.Kind {
	case Latency:
		s = Dur(r.MedianNs) + " median"
	case Rate:
		s = Count(r.PerSec) + "/s"
	case Contest:
		s = fmt.Sprintf("%s wins/s, %s failed", Count(r.PerSec), pct(r.FailShare))
	case Lookup:
		s = Dur(r.MeanNs) + "/op"
	case Memory:
		v, _ := t.Key(r)
		s = byteSize(v) + "/lease"
	case CPU:
		s = Dur(r.CPUNs) + " CPU/call"
	case Hold:
		s = Pct(r.CPUPct) + " of a core"
	}
	if x := t.Ratio(r); x != 0 {
		s += fmt.Sprintf("  (%.2fx)", x)
	}
	return s
}

func color(system string) string {
	master := strings.HasSuffix(system, ", master caller")
	switch {
	case master && strings.HasPrefix(system, "locker 3"):
		return "#1b7f72"
	case master && strings.HasPrefix(system, "locker"):
		return "#6cc3b5"
	case strings.HasPrefix(system, "locker 3"):
		return "#1f5fbf"
	case strings.HasPrefix(system, "locker"):
		return "#6d9be0"
	case strings.HasPrefix(system, "etcd"):
		return "#e07b24"
	}
	return "#999999"
}

func esc(s string) string { return html.EscapeString(s) }

// clip shortens s to at most n runes, with an ellipsis.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
