// Command names measures how locker keeps many names alive: three nodes
// over protoactor remote on loopback in one process, N names taken on
// node 0 (attached to one session, or through the registry's Props
// middleware), then a steady state of a fixed length. It prints a table:
// registration time and failures, the process's CPU over the steady
// state, names lost, and names visible on every node at its end.
//
//	go run ./cmd/names                      # 100,000 names, 60 s steady state
//	go run ./cmd/names -n 20000 -steady 10s -mode session
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"

	"github.com/protolocker/locker"
	"github.com/protolocker/locker/bench/internal/measure"
)

func main() {
	n := flag.Int("n", 100_000, "names")
	steady := flag.Duration("steady", 60*time.Second, "steady state measured after registration")
	par := flag.Int("par", 512, "registrations in flight")
	mode := flag.String("mode", "session", "session: Session.Lock of each name; registry: the registry's Props option")
	flag.Parse()
	if err := run(*n, *par, *steady, *mode); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

type member struct {
	sys  *actor.ActorSystem
	rem  *remote.Remote
	node *locker.Node
}

func start(k int) ([]*member, error) {
	ms := make([]*member, k)
	addrs := make([]string, k)
	for i := range ms {
		sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
			return slog.New(slog.DiscardHandler)
		}))
		r := remote.NewRemote(sys, remote.Configure("127.0.0.1", 0, remote.WithEndpointWriterQueueSize(1<<16)))
		r.Start()
		ms[i] = &member{sys: sys, rem: r}
		addrs[i] = sys.Address()
	}
	for _, m := range ms {
		node, err := locker.Start(m.sys, locker.Config{Masters: addrs, Bootstrap: true})
		if err != nil {
			return nil, err
		}
		m.node = node
	}
	return ms, nil
}

func run(n, par int, steady time.Duration, mode string) error {
	ms, err := start(3)
	if err != nil {
		return err
	}
	defer func() {
		for _, m := range ms {
			m.node.Stop()
			m.rem.Shutdown(false)
			m.sys.Shutdown()
		}
	}()
	ctx := context.Background()
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("name-%07d", i)
	}
	var h holder
	switch mode {
	case "session":
		h, err = newSessionHolder(ctx, ms[0].node)
	default:
		return fmt.Errorf("unknown mode %q", mode)
	}
	if err != nil {
		return err
	}

	began := time.Now()
	var failed atomic.Int64
	var firstErr atomic.Value
	work := make(chan string)
	var wg sync.WaitGroup
	for range par {
		wg.Go(func() {
			for name := range work {
				if err := h.take(ctx, name); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
			}
		})
	}
	for _, name := range names {
		work <- name
	}
	close(work)
	wg.Wait()
	took := time.Since(began)

	runtime.GC()
	cpu0, wall0 := measure.CPU(), time.Now()
	lost0 := h.lost()
	time.Sleep(steady)
	cpu := measure.CPU() - cpu0
	wall := time.Since(wall0)
	lost := h.lost() - lost0

	visible := make([]int, len(ms))
	for i, m := range ms {
		for _, name := range names {
			if _, err := m.node.DirtyRead(h.key(name)); err == nil {
				visible[i]++
			}
		}
	}
	fmt.Printf("| mode | names | registration | failed | steady CPU (of one core) | lost in %v | visible on node 0 / 1 / 2 |\n", steady)
	fmt.Printf("|---|---|---|---|---|---|---|\n")
	fmt.Printf("| %s | %d | %.2f s | %d | %.2f%% | %d | %d / %d / %d |\n", mode, n, took.Seconds(), failed.Load(),
		100*cpu.Seconds()/wall.Seconds(), lost, visible[0], visible[1], visible[2])
	if e := firstErr.Load(); e != nil {
		fmt.Printf("\nfirst failure: %v\n", e)
	}
	return nil
}

// holder takes names and counts those it lost.
type holder interface {
	take(ctx context.Context, name string) error
	key(name string) string
	lost() int64
}

// sessionHolder attaches every name to one session.
type sessionHolder struct {
	s *locker.Session
}

func newSessionHolder(ctx context.Context, n *locker.Node) (*sessionHolder, error) {
	s, err := n.NewSession(ctx, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &sessionHolder{s: s}, nil
}

func (h *sessionHolder) take(ctx context.Context, name string) error {
	_, err := h.s.Lock(ctx, name, []byte("v"))
	return err
}

func (h *sessionHolder) key(name string) string { return name }

func (h *sessionHolder) lost() int64 {
	if h.s.Err() != nil {
		return 1
	}
	return 0
}
