// Command compare benchmarks locker against its floor and against an
// embedded etcd cluster, side by side, on loopback. Run it from bench/:
//
//	go run ./cmd/compare                 # full profile, a few minutes
//	go run ./cmd/compare -profile smoke  # seconds, every workload once
//
// It prints one table per workload and writes JSON and an SVG chart
// under -out (default results/). It re-executes itself, with a hidden
// first argument, for the master and etcd member processes.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/protolocker/locker/bench/internal/etcdbench"
	"github.com/protolocker/locker/bench/internal/lockerbench"
	"github.com/protolocker/locker/bench/internal/proc"
	"github.com/protolocker/locker/bench/internal/report"
	"github.com/protolocker/locker/bench/internal/run"
	"github.com/protolocker/locker/bench/internal/workload"
)

func main() {
	if len(os.Args) > 1 {
		if role, ok := strings.CutPrefix(os.Args[1], "-"+proc.Flag+"="); ok {
			os.Exit(child(role, os.Args[2:]))
		}
	}
	profile := flag.String("profile", "full", "smoke (seconds, every workload once) or full")
	out := flag.String("out", "results", "folder for the JSON and SVG results")
	flag.Parse()
	p, err := workload.Lookup(*profile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(2)
	}
	stopProfile, err := proc.Profile("harness")
	if err != nil {
		fmt.Fprintln(os.Stderr, "compare: profile:", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
	}
	rep := run.Run(ctx, p, logf)
	stopProfile()
	report.WriteText(os.Stdout, rep)
	base := filepath.Join(*out, fmt.Sprintf("%s-%s", p.Name, rep.Date.Format("20060102-150405")))
	for _, w := range []struct {
		path  string
		write func(string, *report.Report) error
	}{{base + ".json", report.WriteJSON}, {base + ".svg", report.WriteSVG}} {
		if err := w.write(w.path, rep); err != nil {
			fmt.Fprintln(os.Stderr, "compare:", err)
			os.Exit(1)
		}
		fmt.Println("wrote", w.path)
	}
}

func child(role string, args []string) int {
	stopProfile, err := proc.Profile(role)
	if err != nil {
		fmt.Fprintf(os.Stderr, "compare child %s: profile: %v\n", role, err)
	}
	defer stopProfile()
	switch role {
	case lockerbench.Role:
		err = lockerbench.ChildMain()
	case etcdbench.Role:
		err = etcdbench.ChildMain(args)
	default:
		err = fmt.Errorf("unknown role %q", role)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "compare child %s: %v\n", role, err)
		return 1
	}
	return 0
}
