package locker

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/eventstream"

	holder "github.com/protolocker/locker/actor"
	"github.com/protolocker/locker/internal/proposer"
	"github.com/protolocker/locker/internal/sink"
	"github.com/protolocker/locker/internal/view"
	"github.com/protolocker/locker/lease"
)

// sinkID is the process id of a node's reply sink.
const sinkID = "locker-replies"

// Node is one node's handle on the store: it runs the calls it is asked
// for (it is their proposer) and serves local reads. Its methods are safe
// for concurrent use.
type Node struct {
	system   *actor.ActorSystem
	cfg      Config
	members  *view.Membership
	holder   *holder.Holder
	self     *actor.PID
	sink     *sink.Sink
	replyTo  *actor.PID
	store    *lease.Store
	local    *proposer.Local
	epoch    time.Time
	pids     sync.Map // address -> *actor.PID of its lease-holder
	outboxes sync.Map // address -> *outbox
	sent     outboxStats
	down     downSet
	sub      *eventstream.Subscription
	maint    maintenance
	unset    unsettled // keys whose writes from here ended indeterminate
	metrics  *instruments
	calls    callStats
	inflight atomic.Int64 // calls running
	warned   warnings

	ready    atomic.Bool // Start has finished: the holder's calls into the node may act
	stopOnce sync.Once
	stopped  chan struct{}
	bg       sync.WaitGroup // background calls: repairs, rejoins
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
	v, err := view.NewView(1, masters, cfg.Replicas, cfg.W)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	n := &Node{
		system:  system,
		cfg:     cfg,
		members: view.NewMembership(v),
		epoch:   time.Now(),
		stopped: make(chan struct{}),
	}
	addr := system.Address()
	// A lone master with no replicas has no client outside its process:
	// nothing it granted can outlive a restart.
	alone := len(v.Masters) == 1 && v.Masters[0] == addr && len(v.Replicas) == 0
	n.local = proposer.NewLocal(holder.Index(addr), wallMicros, n.down.has, n.held, uint64(time.Now().UnixNano()))
	n.holder = holder.New(addr, holder.Config{
		Members:             n.members,
		ReplicationInterval: cfg.ReplicationInterval,
		MaxLease:            cfg.MaxLease,
		TombstoneTTL:        cfg.MaxLease + cfg.ReplicationInterval,
		LockDelay:           cfg.LockDelay,
		Voting:              cfg.Bootstrap || alone,
		Host:                n,
	})
	n.store = n.holder.Store()
	if n.sink, err = sink.NewSink(system, sinkID); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrExists, err)
	}
	n.replyTo = n.sink.PID()
	n.sink.OnReply(n.down.clear)
	if n.self, err = n.holder.Spawn(system); err != nil {
		n.sink.Close()
		return nil, fmt.Errorf("%w: %w", ErrExists, err)
	}
	n.sub = n.watchEndpoints()
	n.metrics = n.newInstruments(cfg.meterProvider())
	register(system, n)
	n.ready.Store(true)
	return n, nil
}

// Stop stops the lease-holder and releases the node's resources. Calls in
// flight fail with ErrStopped; Stop leaves no goroutine behind. Leases the
// node holds are not released: they expire on the other nodes.
func (n *Node) Stop() {
	n.stopOnce.Do(func() {
		n.maint.mu.Lock()
		close(n.stopped)
		n.maint.mu.Unlock()
		n.system.EventStream.Unsubscribe(n.sub)
		n.bg.Wait()
		n.metrics.close()
		unregister(n.system, n)
		holder.Unregister(n.system)
		_ = n.system.Root.StopFuture(n.self).Wait()
		n.sink.Close()
	})
}

// goBackground runs f on a goroutine that Stop waits for; false, and
// nothing run, once the node is stopped.
func (n *Node) goBackground(f func()) bool {
	n.maint.mu.Lock()
	defer n.maint.mu.Unlock()
	select {
	case <-n.stopped: // checked under mu, which Stop closes it under: no bg.Go after bg.Wait
		return false
	default:
	}
	n.bg.Go(f)
	return true
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

// Voting reports whether this node's lease-holder has complete memory: a
// master that starts without Bootstrap rejoins first (docs/protocol.md,
// "Restarts and first starts"), and votes once it has. A node that is not
// a master of its view reports whether it would vote if promoted.
func (n *Node) Voting() bool { return n.holder.Voting() && !n.holder.Sealed() }

// now is the node's monotonic clock, in ns, for its calls.
func (n *Node) now() int64 { return int64(time.Since(n.epoch)) }

// held reports that the node's table holds key (set once the holder is
// built; false before).
func (n *Node) held(key string) bool {
	if n.store == nil {
		return false
	}
	_, ok := n.store.Get(key)
	return ok
}

// wallMicros is the wall clock in microseconds: the floor of ballots.
func wallMicros() int64 { return time.Now().UnixMicro() }

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

// adopt installs a newer view learned from a master, here and on the
// node's lease-holder.
func (n *Node) adopt(v view.View) {
	if n.members.Install(v) {
		n.tell(n.Address(), holder.AdoptView{View: v})
	}
}
