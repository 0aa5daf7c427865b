package clustertest

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
)

// protoactorLocalAddress is the address protoactor treats as local in every
// actor system (actor.localAddress); it cannot be used as a node address.
const protoactorLocalAddress = "nonhost"

// defaultSeed seeds the random source used by Drop and Duplicate until
// Network.Seed is called, so that runs are reproducible by default.
const defaultSeed = 1

// deadLetterThrottle replaces protoactor's one second dead-letter log
// throttling interval: logging is discarded anyway, and the first dead
// letter of each interval starts a goroutine that lives for this long.
const deadLetterThrottle = 10 * time.Millisecond

// ErrShutdown is returned by NewSystem after Network.Shutdown.
var ErrShutdown = errors.New("clustertest: network is shut down")

// Network is an in-memory network joining actor systems by address. All
// methods are safe for concurrent use. The zero value is not usable; create
// one with New.
type Network struct {
	mu       sync.RWMutex
	closed   bool
	systems  map[string]*actor.ActorSystem
	cuts     map[linkKey]struct{}
	isolated map[string]struct{}
	drops    map[linkKey]float64
	dups     map[linkKey]float64
	delays   map[linkKey]time.Duration
	filter   Filter
	delayIf  func(from, to string, msg any) time.Duration
	watches  map[watchKey]struct{}
	pending  map[*pendingDelivery]struct{}
	linkMu   map[linkKey]*sync.Mutex // serialises delayed deliveries per link
	throttle time.Duration           // longest dead-letter throttle interval of any system created

	inflight sync.WaitGroup // delayed deliveries scheduled or running

	randMu sync.Mutex
	rng    *rand.Rand

	delivered  atomic.Uint64
	dropped    atomic.Uint64
	duplicated atomic.Uint64
}

// Stats counts what happened to messages that crossed the network.
type Stats struct {
	// Delivered counts messages handed to an existing process on the target
	// system. Each copy of a duplicated message counts.
	Delivered uint64
	// Dropped counts messages that did not reach an existing process: lost
	// to a cut, an isolation or Drop, sent to or from a node that is not on
	// the network, not proto messages (or failing to marshal), or addressed
	// to a process that does not exist on the target node (those are still
	// handed to that node's dead-letter process).
	Dropped uint64
	// Duplicated counts extra copies created by Duplicate.
	Duplicated uint64
}

// New returns an empty network with no faults and the random source used by
// Drop and Duplicate seeded with 1.
func New() *Network {
	return &Network{
		systems:  make(map[string]*actor.ActorSystem),
		cuts:     make(map[linkKey]struct{}),
		isolated: make(map[string]struct{}),
		drops:    make(map[linkKey]float64),
		dups:     make(map[linkKey]float64),
		delays:   make(map[linkKey]time.Duration),
		watches:  make(map[watchKey]struct{}),
		pending:  make(map[*pendingDelivery]struct{}),
		linkMu:   make(map[linkKey]*sync.Mutex),
		rng:      rand.New(rand.NewPCG(defaultSeed, 0)),
	}
}

// NewSystem creates an actor system whose address is addr (for example
// "node1") and joins it to the network. protoactor's logger is silenced and
// dead-letter log throttling is made short-lived (its timer goroutine would
// otherwise outlive tests by a second); opts are applied after these
// defaults and can override them. It fails if addr is empty, is protoactor's
// reserved local address "nonhost", is already on the network, or the
// network is shut down. After Kill or Remove the address can be used again,
// which models a node restart.
func (n *Network) NewSystem(addr string, opts ...actor.ConfigOption) (*actor.ActorSystem, error) {
	if addr == "" {
		return nil, errors.New("clustertest: empty address")
	}
	if addr == protoactorLocalAddress {
		return nil, fmt.Errorf("clustertest: address %q is reserved by protoactor", addr)
	}

	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil, ErrShutdown
	}
	if _, taken := n.systems[addr]; taken {
		return nil, fmt.Errorf("clustertest: address %q is already on the network", addr)
	}

	all := append([]actor.ConfigOption{
		actor.WithLoggerFactory(discardLogger),
		actor.WithDeadLetterThrottleInterval(deadLetterThrottle),
		actor.WithDeadLetterRequestLogging(false),
	}, opts...)
	system := actor.NewActorSystem(all...)
	n.throttle = max(n.throttle, system.Config.DeadLetterThrottleInterval)
	// Both are set before the system is shared with anyone, so protoactor's
	// unsynchronised fields are never raced.
	system.ProcessRegistry.Address = addr
	out := &link{net: n, from: addr}
	system.ProcessRegistry.RegisterAddressResolver(func(*actor.PID) (actor.Process, bool) {
		return out, true
	})
	n.systems[addr] = system

	return system, nil
}

func discardLogger(*actor.ActorSystem) *slog.Logger {
	return slog.New(slog.DiscardHandler)
}

// Kill models a node crash: the system at addr leaves the network (messages
// to and from it are dropped, watchers elsewhere get Terminated with reason
// AddressTerminated) and its Shutdown method is called. Killing an unknown
// address does nothing.
func (n *Network) Kill(addr string) {
	if system := n.leave(addr); system != nil {
		shutdownSystem(system)
	}
}

// Remove takes the system at addr off the network like Kill but does not
// shut it down: the caller owns it. The address can then be reused by
// NewSystem. Removing an unknown address does nothing.
func (n *Network) Remove(addr string) {
	n.leave(addr)
}

// leave removes addr from the network, notifies remote watchers of its
// actors, and returns the system that was there (nil if none).
func (n *Network) leave(addr string) *actor.ActorSystem {
	n.mu.Lock()
	system := n.systems[addr]
	delete(n.systems, addr)
	var lost []watchKey
	var others []*actor.ActorSystem
	if system != nil {
		lost = n.forgetAddressLocked(addr)
		for _, o := range n.systems {
			others = append(others, o)
		}
	}
	n.mu.Unlock()

	for _, w := range lost {
		n.notifyWatcher(w, actor.TerminatedReason_AddressTerminated)
	}
	// protoactor remote publishes this on every peer whose connection to
	// the node fails.
	for _, o := range others {
		o.EventStream.Publish(&remote.EndpointTerminatedEvent{Address: addr})
	}

	return system
}

// Stats returns the message counters accumulated since New.
func (n *Network) Stats() Stats {
	return Stats{
		Delivered:  n.delivered.Load(),
		Dropped:    n.dropped.Load(),
		Duplicated: n.duplicated.Load(),
	}
}

// Shutdown cancels delayed deliveries that have not fired yet, waits for
// those already running, shuts down every system still on the network and
// then waits twice the longest dead-letter throttle interval of any system
// it created (20ms by default, no real time inside a testing/synctest
// bubble) so that protoactor's dead-letter throttling goroutines have exited.
// Systems removed with Remove are not shut down.
// Afterwards every message is dropped and NewSystem fails. It is safe to
// call more than once, but not from inside an actor or a delivery.
func (n *Network) Shutdown() {
	n.mu.Lock()
	n.closed = true
	systems := n.systems
	n.systems = make(map[string]*actor.ActorSystem)
	pending := n.pending
	n.pending = make(map[*pendingDelivery]struct{})
	n.watches = make(map[watchKey]struct{})
	throttle := n.throttle
	n.mu.Unlock()

	for p := range pending {
		if p.timer.Stop() {
			n.dropped.Add(uint64(len(p.d.msgs)))
			n.inflight.Done()
		}
	}
	n.inflight.Wait()

	for _, system := range systems {
		shutdownSystem(system)
	}
	// protoactor's dead-letter logger starts a goroutine that lives for one
	// throttle interval after the first dead letter of each interval, in
	// killed and removed systems too. Outlive it, so that no goroutine is
	// left behind: inside a testing/synctest bubble fake time does not
	// advance once the bubble function has returned, and this sleep is free.
	if throttle > 0 {
		time.Sleep(2 * throttle)
	}
}

// shutdownSystem calls Shutdown unless the system already is: protoactor's
// Shutdown closes a channel and panics when called twice.
func shutdownSystem(system *actor.ActorSystem) {
	if !system.IsStopped() {
		system.Shutdown()
	}
}
