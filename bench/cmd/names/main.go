// Command names measures how locker keeps many names alive: nodes over
// protoactor remote on loopback in one process (three by default), N
// names taken on node 0 (attached to one session, or actors spawned with
// the registry's Props option), then a steady state of a fixed length.
// It prints a table: registration time and failures, the live heap per
// name, the process's CPU over the steady state, names lost, and names
// visible on every node at its end.
//
//	go run ./cmd/names -mode registry                 # 100,000 actors, 60 s steady state
//	go run ./cmd/names -mode session -n 20000 -steady 10s
//	go run ./cmd/names -mode registry -nodes 1 -n 1000000
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/eventstream"
	"github.com/asynkron/protoactor-go/remote"

	"github.com/protolocker/locker"
	"github.com/protolocker/locker/bench/internal/measure"
	"github.com/protolocker/locker/registry"
)

func main() {
	n := flag.Int("n", 100_000, "names")
	steady := flag.Duration("steady", 60*time.Second, "steady state measured after registration")
	par := flag.Int("par", 512, "registrations in flight")
	mode := flag.String("mode", "registry", "session: Session.Lock of each name; registry: actors spawned with the registry's Props option")
	nodes := flag.Int("nodes", 3, "nodes (all masters)")
	flag.Parse()
	if err := run(*n, *nodes, *par, *steady, *mode); err != nil {
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

func run(n, nodes, par int, steady time.Duration, mode string) error {
	ms, err := start(nodes)
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
		h, err = newSessionHolder(ctx, ms)
	case "registry":
		h, err = newRegistryHolder(ms)
	default:
		return fmt.Errorf("unknown mode %q", mode)
	}
	if err != nil {
		return err
	}
	defer h.close()

	heap0 := measure.SettledHeap()
	st0 := ms[0].node.Stats()
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
	st := ms[0].node.Stats()
	perMsg := float64(st.Batched-st0.Batched) / float64(max(st.Messages-st0.Messages, 1))
	perName := float64(int64(measure.SettledHeap())-int64(heap0)) / float64(n)

	runtime.GC()
	cpu0, wall0 := measure.CPU(), time.Now()
	lost0 := h.lost()
	time.Sleep(steady)
	cpu := measure.CPU() - cpu0
	wall := time.Since(wall0)
	lost := h.lost() - lost0

	visible := make([]string, len(ms))
	for i := range ms {
		seen := 0
		for _, name := range names {
			if h.visible(i, name) {
				seen++
			}
		}
		visible[i] = fmt.Sprint(seen)
	}
	fmt.Printf("| mode | nodes | names | registration | failed | requests per message | heap per name (all %d nodes) | steady CPU (of one core) | lost in %v | visible per node |\n",
		nodes, steady)
	fmt.Printf("|---|---|---|---|---|---|---|---|---|---|\n")
	fmt.Printf("| %s | %d | %d | %.2f s | %d | %.1f | %.0f B | %.2f%% | %d | %s |\n", mode, nodes, n, took.Seconds(), failed.Load(),
		perMsg, perName, 100*cpu.Seconds()/wall.Seconds(), lost, strings.Join(visible, " / "))
	if e := firstErr.Load(); e != nil {
		fmt.Printf("\nfirst failure: %v\n", e)
	}
	return nil
}

// holder takes names and counts those it lost.
type holder interface {
	take(ctx context.Context, name string) error
	visible(node int, name string) bool // node's local table shows the name
	lost() int64
	close()
}

// sessionHolder attaches every name to one session.
type sessionHolder struct {
	s     *locker.Session
	nodes []*locker.Node
}

func newSessionHolder(ctx context.Context, ms []*member) (*sessionHolder, error) {
	s, err := ms[0].node.NewSession(ctx, 5*time.Second)
	if err != nil {
		return nil, err
	}
	h := &sessionHolder{s: s}
	for _, m := range ms {
		h.nodes = append(h.nodes, m.node)
	}
	return h, nil
}

func (h *sessionHolder) take(ctx context.Context, name string) error {
	_, err := h.s.Lock(ctx, name, []byte("v"))
	return err
}

func (h *sessionHolder) visible(node int, name string) bool {
	_, err := h.nodes[node].DirtyRead(name)
	return err == nil
}

func (h *sessionHolder) close() { _ = h.s.Close(context.Background()) }

func (h *sessionHolder) lost() int64 {
	if h.s.Err() != nil {
		return 1
	}
	return 0
}

// registryHolder spawns one actor per name on node 0 with the registry's
// Props option; every node has a registry, for WhereIs.
type registryHolder struct {
	regs  []*registry.Registry
	sys   *actor.ActorSystem
	props *actor.Props
	lostN atomic.Int64
	sub   *eventstream.Subscription
}

func newRegistryHolder(ms []*member) (*registryHolder, error) {
	h := &registryHolder{sys: ms[0].sys}
	for _, m := range ms {
		h.regs = append(h.regs, registry.New(m.node))
	}
	h.props = actor.PropsFromFunc(func(actor.Context) {}, h.regs[0].PropsOption())
	h.sub = h.sys.EventStream.Subscribe(func(e any) {
		if _, ok := e.(*registry.LeaseLost); ok {
			h.lostN.Add(1)
		}
	})
	return h, nil
}

func (h *registryHolder) take(_ context.Context, name string) error {
	_, err := h.sys.Root.SpawnNamed(h.props, name)
	return err
}

func (h *registryHolder) visible(node int, name string) bool {
	_, ok := h.regs[node].WhereIs(name)
	return ok
}

func (h *registryHolder) lost() int64 { return h.lostN.Load() }

func (h *registryHolder) close() {
	h.sys.EventStream.Unsubscribe(h.sub)
	for _, r := range h.regs {
		r.Close()
	}
}
