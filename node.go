package locker

import (
	"context"
	"fmt"
	"sync"

	"github.com/asynkron/protoactor-go/actor"

	holder "github.com/protolocker/locker/actor"
	"github.com/protolocker/locker/cluster"
	"github.com/protolocker/locker/lease"
)

// sinkID is the process id of a node's reply sink.
const sinkID = "locker-replies"

// Node is one node's handle on the store: it coordinates the writes it is
// asked for and serves local reads. Its methods are safe for concurrent
// use.
type Node struct {
	system   *actor.ActorSystem
	cfg      Config
	members  *cluster.Membership
	holder   *holder.Holder
	self     *actor.PID
	sink     *cluster.Sink
	replyTo  *actor.PID
	store    *lease.Store
	pids     sync.Map // address -> *actor.PID of its lease-holder
	suspects suspects

	stopOnce sync.Once
	stopped  chan struct{}
}

// Start spawns the node's lease-holder on system (one per system) and
// returns the node. Start a system's remote, if any, before Start: the
// node's address is the system's address at that moment.
func Start(system *actor.ActorSystem, cfg Config) (*Node, error) {
	if system == nil {
		return nil, fmt.Errorf("%w: nil actor system", ErrInvalid)
	}
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	masters := cfg.Masters
	if len(masters) == 0 {
		masters = []string{system.Address()}
	}
	view, err := cluster.NewView(1, masters, cfg.Replicas, cfg.W)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	n := &Node{
		system:  system,
		cfg:     cfg,
		members: cluster.NewMembership(view),
		stopped: make(chan struct{}),
	}
	n.holder = holder.New(holder.Config{
		Members:             n.members,
		PromiseTTL:          cfg.PromiseTTL,
		ReplicationInterval: cfg.ReplicationInterval,
		MaxLease:            cfg.MaxLease,
		LockDelay:           cfg.LockDelay,
	})
	n.store = n.holder.Store()
	if n.sink, err = cluster.NewSink(system, sinkID); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrExists, err)
	}
	n.replyTo = n.sink.PID()
	if n.self, err = n.holder.Spawn(system); err != nil {
		n.sink.Close()
		return nil, fmt.Errorf("%w: %w", ErrExists, err)
	}
	return n, nil
}

// Stop stops the lease-holder and releases the node's resources. Calls in
// flight fail with ErrStopped; Stop leaves no goroutine behind. Leases the
// node holds are not released: they expire on the other nodes.
func (n *Node) Stop() {
	n.stopOnce.Do(func() {
		close(n.stopped)
		holder.Unregister(n.system)
		_ = n.system.Root.StopFuture(n.self).Wait()
		n.sink.Close()
	})
}

// System returns the actor system the node runs on.
func (n *Node) System() *actor.ActorSystem { return n.system }

// Address returns the node's address (its actor system's).
func (n *Node) Address() string { return n.system.Address() }

// View returns the membership this node currently knows.
func (n *Node) View() (masters, replicas []string, w int, version uint64) {
	v := n.members.Load()
	return v.Masters, v.Replicas, v.W, v.Version
}

// Voting reports whether this node's lease-holder votes. A master starts
// by asking the other masters for their token counters and, if it is a
// restart, waits out LockDelay; until then it refuses votes
// (docs/protocol.md, "Restarts"). Other nodes report true.
func (n *Node) Voting() bool { return n.holder.Voting() }

// Stats returns the counters of the node's lease-holder.
func (n *Node) Stats() holder.Stats { return n.holder.Stats() }

// holderPID returns the PID of the lease-holder at addr, cached so that
// protoactor's per-PID process cache is reused.
func (n *Node) holderPID(addr string) *actor.PID {
	if p, ok := n.pids.Load(addr); ok {
		return p.(*actor.PID)
	}
	p := actor.NewPID(addr, holder.Name)
	if addr == n.system.Address() {
		p = n.self
	}
	n.pids.Store(addr, p)
	return p
}

// send sends msg to the lease-holder at addr with the reply sink as sender.
func (n *Node) send(addr string, msg any) {
	n.system.Root.RequestWithCustomSender(n.holderPID(addr), msg, n.replyTo)
}

// tell sends a message that expects no reply.
func (n *Node) tell(addr string, msg any) {
	n.system.Root.Send(n.holderPID(addr), msg)
}

// bound applies RequestTimeout to a context without a deadline. It fails
// with ErrStopped once the node is stopped: a stopped node sends nothing.
func (n *Node) bound(ctx context.Context) (context.Context, context.CancelFunc, error) {
	select {
	case <-n.stopped:
		return ctx, func() {}, ErrStopped
	default:
	}
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.RequestTimeout)
	return ctx, cancel, nil
}
