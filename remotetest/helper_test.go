//go:build !race

package remotetest

import (
	"io"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/eventstream"
	"github.com/asynkron/protoactor-go/remote"

	locker "github.com/protolocker/locker"
)

// member is one actor system with its remote and its locker node.
type member struct {
	sys    *actor.ActorSystem
	remote *remote.Remote
	node   *locker.Node

	deadLetters atomic.Int64 // DeadLetterEvents published on sys
	sub         *eventstream.Subscription
	stopOnce    sync.Once
	killOnce    sync.Once
	killed      atomic.Bool
}

// dead reports whether the member was killed.
func (m *member) dead() bool { return m.killed.Load() }

// Addr returns the member's remote address.
func (m *member) Addr() string { return m.sys.Address() }

// stopNode stops the member's locker node. It is idempotent.
func (m *member) stopNode() {
	m.stopOnce.Do(func() {
		if m.node != nil {
			m.node.Stop()
		}
	})
}

// kill stops the member's node, then its remote without grace, then its
// actor system. It is idempotent.
//
// Remote.Shutdown(false) stops only the gRPC server, at once: the other
// members' streams to it break and they drop their endpoint to it. It
// leaves this member's endpoint manager running, which closes this
// member's own client connections as the peers go down in turn (the
// broken stream's EndpointTerminatedEvent stops the endpoint writer,
// which closes its connection).
//
// Remote.Shutdown(true) stops the endpoint manager, then waits in
// GracefulStop for the peers' streams to this server to end, for up to
// 10 s. Measured here: three members shut down that way concurrently,
// with their nodes still running and nothing flushed, took the full
// 10.0 s; after startCluster's stop-and-flush it took 1-2 ms.
// Shutdown(false) never waits, so the cleanup uses it.
// ActorSystem.Shutdown only closes a channel.
func (m *member) kill() {
	m.killOnce.Do(func() {
		m.killed.Store(true)
		m.stopNode()
		if m.remote != nil {
			m.remote.Shutdown(false)
		}
		if m.sub != nil {
			m.sys.EventStream.Unsubscribe(m.sub)
		}
		m.sys.Shutdown()
	})
}

// quietSystem returns an actor system whose logger discards everything.
// The dead-letter throttle interval is short because the throttle's timer
// goroutine, started by the first dead letter of a period, lives for a
// whole interval (default 1 s), longer than goleak retries for.
func quietSystem() *actor.ActorSystem {
	return actor.NewActorSystem(
		actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
			return slog.New(slog.NewTextHandler(io.Discard, nil))
		}),
		actor.WithDeadLetterThrottleInterval(10*time.Millisecond),
	)
}

// startCluster starts k actor systems with remoting on 127.0.0.1 (ports
// chosen by the OS) and a locker node on each whose masters are all k
// systems; cfg.Masters is filled in. The cleanup stops every node,
// flushes the connections between the live members, then kills every
// member.
func startCluster(tb testing.TB, k int, cfg locker.Config) []*member {
	tb.Helper()
	ms := make([]*member, k)
	addrs := make([]string, k)
	for i := range ms {
		sys := quietSystem()
		r := remote.NewRemote(sys, remote.Configure("127.0.0.1", 0))
		r.Start()
		m := &member{sys: sys, remote: r}
		m.sub = sys.EventStream.Subscribe(func(evt any) {
			if _, ok := evt.(*actor.DeadLetterEvent); ok {
				m.deadLetters.Add(1)
			}
		})
		ms[i] = m
		addrs[i] = sys.Address()
	}
	tb.Cleanup(func() {
		if tb.Failed() {
			dumpStacks(tb)
		}
		// Stop every node, then flush every connection between live
		// members, and only then take the remotes down: a message still
		// in flight towards a member whose server is gone would make the
		// sender's remote spawn an endpoint writer that retries the
		// connection for ~10 s (see TestMain).
		for _, m := range ms {
			m.stopNode()
		}
		flush(tb, ms)
		for _, m := range ms {
			m.kill()
		}
	})
	cfg.Masters = addrs
	cfg.Bootstrap = true // a new cluster
	for _, m := range ms {
		n, err := locker.Start(m.sys, cfg)
		if err != nil {
			tb.Fatalf("locker.Start on %s: %v", m.Addr(), err)
		}
		m.node = n
	}
	return ms
}

// flush makes a round trip between every ordered pair of live members:
// it asks each other member's remote activator (every actor answers
// actor.Touch) and waits for the answer. A connection delivers in order,
// so once X has the answer from Y, everything X sent Y before has reached
// Y, and everything Y sent X in return (a DeadLetterResponse to a request
// that met a stopped node) has reached X.
func flush(tb testing.TB, ms []*member) {
	tb.Helper()
	var wg sync.WaitGroup
	for _, x := range ms {
		for _, y := range ms {
			if x == y || x.dead() || y.dead() {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				pid := actor.NewPID(y.Addr(), "activator")
				if _, err := x.sys.Root.RequestFuture(pid, &actor.Touch{}, 5*time.Second).Result(); err != nil {
					tb.Errorf("flushing %s -> %s: %v", x.Addr(), y.Addr(), err)
				}
			}()
		}
	}
	wg.Wait()
}

// dumpStacks writes every goroutine's stack to a temporary file, for a
// failed test: a stalled round shows who holds up whom.
func dumpStacks(tb testing.TB) {
	buf := make([]byte, 8<<20)
	buf = buf[:runtime.Stack(buf, true)]
	f, err := os.CreateTemp("", "remotetest-stacks-*.txt")
	if err != nil {
		tb.Logf("dumping stacks: %v", err)
		return
	}
	defer f.Close()
	if _, err := f.Write(buf); err != nil {
		tb.Logf("dumping stacks: %v", err)
		return
	}
	tb.Logf("goroutine stacks at the failure: %s", f.Name())
}

// deadLetters sums the dead letters of ms.
func deadLetters(ms []*member) int64 {
	var n int64
	for _, m := range ms {
		n += m.deadLetters.Load()
	}
	return n
}

// since returns the time elapsed since start, rounded for logs.
func since(start time.Time) time.Duration { return time.Since(start).Round(time.Microsecond) }
