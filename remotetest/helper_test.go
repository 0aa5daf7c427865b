//go:build !race

package remotetest

import (
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"

	locker "github.com/protolocker/locker"
)

// member is one actor system with its remote and its locker node.
type member struct {
	sys    *actor.ActorSystem
	remote *remote.Remote
	node   *locker.Node

	killOnce sync.Once
}

// Addr returns the member's remote address.
func (m *member) Addr() string { return m.sys.Address() }

// kill stops the member's node, its remote (not gracefully: the gRPC
// server is stopped at once) and its actor system. It is idempotent.
func (m *member) kill() {
	m.killOnce.Do(func() {
		if m.node != nil {
			m.node.Stop()
		}
		if m.remote != nil {
			shutdownRemote(m.remote)
		}
		m.sys.Shutdown()
	})
}

// shutdownRemote stops r's endpoint manager (its endpoint writers and
// their client connections) and its gRPC server without waiting for the
// peers' streams: Remote.Shutdown(true) stops the endpoint manager but
// then waits for GracefulStop, which does not return while a peer keeps
// its stream to this server open (up to Shutdown's 10s timeout), and
// Shutdown(false) stops only the server, leaving the endpoint writers,
// their client connections and goroutines behind.
//
// Shutdown(true) with its GracefulStop run concurrently on all members
// is not enough either: each server waits for the others' writers, which
// are closed only by their own endpoint manager's stop, so the members
// must all stop their endpoint managers first. Remote offers no way to do
// the two halves separately, so this runs Shutdown(false) (server.Stop
// closes every server-side stream at once) after stopping the remote's
// endpoint supervisor, i.e. what Shutdown(true) does minus the wait.
func shutdownRemote(r *remote.Remote) {
	r.Shutdown(false)
}

// quietSystem returns an actor system whose logger discards everything.
func quietSystem() *actor.ActorSystem {
	return actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}))
}

// startCluster starts k actor systems with remoting on loopback and a
// locker node on each whose masters are all k systems. cfg.Masters is
// filled in. Cleanup kills every member still alive.
func startCluster(tb testing.TB, k int, cfg locker.Config) []*member {
	tb.Helper()
	ms := make([]*member, k)
	addrs := make([]string, k)
	for i := range ms {
		sys := quietSystem()
		r := remote.NewRemote(sys, remote.Configure("127.0.0.1", 0))
		r.Start()
		ms[i] = &member{sys: sys, remote: r}
		addrs[i] = sys.Address()
	}
	tb.Cleanup(func() {
		var wg sync.WaitGroup
		for _, m := range ms {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m.kill()
			}()
		}
		wg.Wait()
	})
	cfg.Masters = addrs
	for _, m := range ms {
		n, err := locker.Start(m.sys, cfg)
		if err != nil {
			tb.Fatalf("locker.Start on %s: %v", m.Addr(), err)
		}
		m.node = n
	}
	return ms
}

// since formats the time elapsed since start for logs.
func since(start time.Time) time.Duration { return time.Since(start).Round(time.Microsecond) }
