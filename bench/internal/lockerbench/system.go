// Package lockerbench runs this project under the harness: three masters
// as three OS processes or inside one process, a client node that
// coordinates the writes, and the single-node memory figure.
package lockerbench

import (
	"log/slog"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
)

// QueueSize is the endpoint-writer queue of every remote the harness
// starts. protoactor's default, 1,000,000 slots, allocates 16 MB per
// connection up front; the harness's traffic never queues that deep.
const QueueSize = 1024

// member is one actor system with protoactor remote on 127.0.0.1, port
// chosen by the OS, and its logs discarded.
type member struct {
	sys    *actor.ActorSystem
	remote *remote.Remote
}

func newMember() *member {
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
	r := remote.NewRemote(sys, remote.Configure("127.0.0.1", 0, remote.WithEndpointWriterQueueSize(QueueSize)))
	r.Start()
	return &member{sys: sys, remote: r}
}

func (m *member) addr() string { return m.sys.Address() }

// stop stops the remote at once (its peers' streams break) and the system.
func (m *member) stop() {
	m.remote.Shutdown(false)
	m.sys.Shutdown()
}
