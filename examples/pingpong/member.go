package main

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"

	"github.com/protolocker/locker"
	"github.com/protolocker/locker/registry"
)

// lease is the TTL of each registry's session, which the players' names
// are attached to: a crashed node's names are free again at most this
// long after the session's last renewal.
const lease = time.Second

// member is one actor system with remoting, a locker node and a registry.
type member struct {
	label  string
	sys    *actor.ActorSystem
	remote *remote.Remote
	node   *locker.Node
	reg    *registry.Registry
}

// listen starts an actor system with remoting on host:port (port 0: any).
// protoactor's logs are discarded.
func listen(label, host string, port int) *member {
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
	r := remote.NewRemote(sys, remote.Configure(host, port))
	r.Start()
	return &member{label: label, sys: sys, remote: r}
}

// join starts the member's locker node with masters and its registry.
// bootstrap says the cluster is new (its first start).
func (m *member) join(masters []string, bootstrap bool) error {
	n, err := locker.Start(m.sys, locker.Config{Masters: masters, RequestTimeout: time.Second, Bootstrap: bootstrap})
	if err != nil {
		return fmt.Errorf("%s: %w", m.label, err)
	}
	m.node, m.reg = n, registry.New(n, registry.WithLease(lease))
	return nil
}

func (m *member) String() string { return fmt.Sprintf("%s (%s)", m.label, m.sys.Address()) }

// crash stops the member as if its process died: its registry stops
// renewing its session without releasing anything (and stops its
// players), then its lease-holder, remote and actor system go. The names
// it held stay held on the other nodes until the session expires.
func (m *member) crash() {
	m.reg.Abandon()
	m.node.Stop()
	m.remote.Shutdown(false)
	m.sys.Shutdown()
}

// close releases the member's names, then stops it.
func (m *member) close() {
	m.reg.Close()
	m.node.Stop()
	m.remote.Shutdown(false)
	m.sys.Shutdown()
}

// waitFor polls WhereIs until name is registered at addr (any address if
// addr is empty), up to d.
func (m *member) waitFor(name, addr string, d time.Duration) error {
	for end := time.Now().Add(d); ; time.Sleep(10 * time.Millisecond) {
		if pid, ok := m.reg.WhereIs(name); ok && (addr == "" || pid.Address == addr) {
			return nil
		}
		if time.Now().After(end) {
			return fmt.Errorf("%s does not see %s at %s after %v", m, name, addr, d)
		}
	}
}
