package report

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sample() *Report {
	return &Report{
		Date: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Profile: "smoke", Machine: Machine{CPU: "test <cpu>", Cores: 2},
		Tables: []*Table{
			{ID: "lock", Kind: Latency, Title: "Lock", Rows: []Row{
				{System: "locker 3 procs", Op: "Lock", N: 10, MedianNs: 100e3, P99Ns: 200e3},
				{System: "etcd 3 procs", Op: "Mutex.Lock", N: 10, MedianNs: 400e3, P99Ns: 900e3},
				{System: "floor 3 procs", Op: "Ping", Err: "broken | pipe"},
			}},
			{ID: "rate", Kind: Rate, Title: "Rate", Rows: []Row{
				{System: "locker 3 procs", Op: "pair", PerSec: 9000, Clients: 8},
				{System: "etcd 3 procs", Op: "pair", PerSec: 3000, Clients: 8},
			}},
			{ID: "lookup", Kind: Lookup, Title: "Lookups", Rows: []Row{
				{System: "locker 1 proc", Op: "DirtyRead", MeanNs: 20, AllocsPerOp: F(0)},
				{System: "etcd 3 procs", Op: "Get", MeanNs: 200e3},
			}},
			{ID: "keepalive", Kind: Latency, Title: "Keep-alive", Rows: []Row{
				{System: "locker 3 procs", Op: "renewal", N: 10, MedianNs: 200e3, P99Ns: 300e3, CPUNs: 250e3},
			}},
			{ID: "names", Kind: Hold, Title: "Names", Rows: []Row{
				{System: "locker 3 procs", Op: "session", N: 100_000, WindowNs: 20e9, CPUPct: 2, IdlePct: 2.5, SetupNs: 4e9},
				{System: "etcd 3 procs", Op: "lease", N: 100_000, WindowNs: 20e9, CPUPct: 8, IdlePct: 4, SetupNs: 12e9},
			}},
		},
		Targets: []Target{{Goal: "g", Got: "x", Met: true}},
	}
}

func TestRatios(t *testing.T) {
	rep := sample()
	lock := rep.Tables[0]
	if x := lock.Ratio(lock.Rows[1]); x != 4 {
		t.Fatalf("latency ratio = %v", x)
	}
	if x := lock.Ratio(lock.Rows[2]); x != 0 {
		t.Fatalf("ratio of a failed row = %v", x)
	}
	rate := rep.Tables[1]
	if x := rate.Ratio(rate.Rows[1]); x < 0.33 || x > 0.34 {
		t.Fatalf("rate ratio = %v", x)
	}
	if r, ok := rep.Find("lock", "etcd 3 procs", ""); !ok || r.Op != "Mutex.Lock" {
		t.Fatalf("Find = %+v, %v", r, ok)
	}
}

func TestFormats(t *testing.T) {
	for in, want := range map[float64]string{0: "-", 12.34: "12.3 ns", 1500: "1.5 µs", 2.5e6: "2.50 ms", 3e9: "3.00 s"} {
		if got := Dur(in); got != want {
			t.Errorf("Dur(%v) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567"} {
		if got := Count(in); got != want {
			t.Errorf("Count(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestWriters(t *testing.T) {
	rep := sample()
	var b bytes.Buffer
	WriteText(&b, rep)
	for _, want := range []string{"## Lock", "| locker 3 procs | Lock | 10 | 100.0 µs | 200.0 µs | - | 1.00x |", "4.00x", "failed: broken / pipe", "## Targets",
		"| locker 3 procs | renewal | 10 | 200.0 µs | 300.0 µs | - | 250.0 µs | 1.00x |",
		"| locker 3 procs | session | 100000 | 20.00 s | 2.00 % | 2.50 % | 200.0 ns/s | −50.0 ns/s | 4.00 s | 1.00x |",
		"| etcd 3 procs | lease | 100000 | 20.00 s | 8.00 % | 4.00 % | 800.0 ns/s | 400.0 ns/s | 12.00 s | 4.00x |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}
	dir := t.TempDir()
	if err := WriteJSON(filepath.Join(dir, "r.json"), rep); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "r.svg")
	if err := WriteSVG(path, rep); err != nil {
		t.Fatal(err)
	}
	svg, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(bytes.NewReader(svg))
	for {
		if _, err := d.Token(); err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("SVG is not well-formed: %v", err)
			}
			break
		}
	}
	if !strings.Contains(string(svg), "log scale") {
		t.Error("lookup panel (20 ns vs 200 µs) should be on a log scale")
	}
}
