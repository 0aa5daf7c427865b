package actor

import (
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"

	"github.com/protolocker/locker/internal/view"
	"github.com/protolocker/locker/lease"
	"github.com/protolocker/locker/messages"
)

// Name is the id under which every node spawns its lease-holder, so that
// any node reaches another's at actor.NewPID(address, Name).
const Name = "locker"

// Config configures a lease-holder.
type Config struct {
	Members             *view.Membership // the node's view: the holder publishes its acceptor's view here
	ReplicationInterval time.Duration    // how often it syncs with every master (anti-entropy)
	MaxLease            time.Duration    // longest lease it accepts; 0: no bound
	TombstoneTTL        time.Duration    // how long it keeps a free key
	LockDelay           time.Duration    // how long it recovers before its empty memory is trusted
	Voting              bool             // its memory counts as complete from the start (Bootstrap, a lone master)
	Host                Host             // the node: told of writes seen and of work for a proposer
}

// Host is what the lease-holder tells its node. Its methods are called on
// the holder's goroutine and must not block.
type Host interface {
	// Observed says that key was written at ballot b (by any proposer).
	Observed(key string, b uint64)
	// Heard says that the node at addr sent the holder a message: it is
	// up.
	Heard(addr string)
	// Maintain is called every ReplicationInterval with the acceptor's
	// state: keys a repair read should write back, abandoned keys whose
	// expiry a read should write, whether its memory is complete (voting),
	// and whether a view change seals it.
	Maintain(suspects, abandoned []string, voting, sealed bool)
}

// Holder is the lease-holder of one node. Create it with New, spawn it
// with Spawn, read its keys with Store.
type Holder struct {
	cfg   Config
	acc   *lease.Acceptor
	epoch time.Time
	stats counters

	voting   atomic.Bool
	sealed   atomic.Bool
	carried  atomic.Pointer[carried]
	keys     atomic.Int64
	promises atomic.Int64
	sessions atomic.Int64

	// Owned by the actor's goroutine.
	self     *protoactor.PID
	send     func(*protoactor.PID, any)
	expiry   *time.Timer
	expiryAt int64 // when expiry fires; 0 when disarmed
	ticker   *time.Timer
	stopped  bool
	log      *slog.Logger
	logged   logged
}

// New returns a lease-holder whose acceptor starts in cfg.Members' view
// with no keys. self is the node's address.
func New(self string, cfg Config) *Holder {
	h := &Holder{cfg: cfg, epoch: time.Now()}
	h.acc = lease.New(lease.Config{
		Self: self, View: cfg.Members.Load(), Incarnation: rand.Uint64() | 1,
		MaxLease: int64(cfg.MaxLease), TombstoneTTL: int64(cfg.TombstoneTTL), LockDelay: int64(cfg.LockDelay),
		Voting: cfg.Voting, Now: 0,
	})
	h.voting.Store(cfg.Voting)
	return h
}

// Index returns 8 bits of a hash of addr: the low bits of a node's ballots.
func Index(addr string) uint64 {
	f := fnv.New64a()
	_, _ = f.Write([]byte(addr))
	return f.Sum64() & 0xff
}

// Props returns the props to spawn the holder with. The producer returns
// the same holder on every restart, so a supervised restart keeps the
// acceptor.
func (h *Holder) Props() *protoactor.Props {
	return protoactor.PropsFromProducer(func() protoactor.Actor { return h })
}

// Store returns the acceptor's concurrent read view.
func (h *Holder) Store() *lease.Store { return h.acc.Store() }

// Now returns the holder's monotonic clock in nanoseconds.
func (h *Holder) Now() int64 { return int64(time.Since(h.epoch)) }

// Voting reports whether the acceptor's memory is complete: a master
// votes once it has (docs/protocol.md, "Restarts").
func (h *Holder) Voting() bool { return h.voting.Load() }

// Carried returns the newest version up to v's whose change carried
// state, as the acceptor knows it (v's version when v is not its view).
func (h *Holder) Carried(v view.View) uint64 {
	if c := h.carried.Load(); c != nil && c.version == v.Version {
		return c.carried
	}
	return v.Version
}

// carried pairs a view version with what the acceptor knows of it.
type carried struct{ version, carried uint64 }

// Sealed reports whether a view change seals the acceptor's view.
func (h *Holder) Sealed() bool { return h.sealed.Load() }

// Stats returns a snapshot of the holder's counters.
func (h *Holder) Stats() Stats { return h.stats.snapshot(h) }

type expiryTick struct{}
type syncTick struct{}

// AdoptView asks the holder to move to a newer view learned elsewhere.
type AdoptView struct{ View view.View }

// Receive handles one message.
func (h *Holder) Receive(ctx protoactor.Context) {
	defer func() {
		if r := recover(); r != nil {
			h.stats.panics.Add(1)
		}
	}()
	var to *protoactor.PID // where the answer to m goes, if any
	var reply any
	switch m := ctx.Message().(type) {
	case *protoactor.Started:
		h.start(ctx)
	case *protoactor.Stopping:
		h.stop()
	case *protoactor.Stopped, *protoactor.Restarting, protoactor.AutoReceiveMessage, protoactor.SystemMessage:
	case expiryTick:
		h.expiryAt = 0
		h.stats.expired.Add(uint64(h.acc.Expire(h.Now())))
	case syncTick:
		h.onSyncTick(ctx)
	case AdoptView:
		h.acc.Adopt(m.View)
	case *messages.Ping:
		ctx.Respond(&messages.Pong{ReqId: m.GetReqId()})
	default:
		to, reply = h.handle(ctx, m)
	}
	h.publish()
	h.schedule()
	// The answer leaves after the publish: a caller that hears this
	// master committed a view finds it in the node's view.
	if to != nil {
		ctx.Request(to, reply) // with the holder as sender: the node learns this master answers
	}
}

func (h *Holder) start(ctx protoactor.Context) {
	h.self = ctx.Self()
	h.send = ctx.ActorSystem().Root.Send
	h.log = ctx.ActorSystem().Logger()
	h.stopped = false
	h.armTicker()
}

// armTicker schedules the next sync tick (a new timer each time, as for
// the expiry).
func (h *Holder) armTicker() {
	self, send := h.self, h.send
	h.ticker = time.AfterFunc(h.cfg.ReplicationInterval, func() { send(self, syncTick{}) })
}

func (h *Holder) stop() {
	h.stopped = true
	if h.expiry != nil {
		h.expiry.Stop()
		h.expiryAt = 0
	}
	if h.ticker != nil {
		h.ticker.Stop()
	}
}

// publish mirrors the acceptor's view and state for the node.
func (h *Holder) publish() {
	v := h.acc.View()
	h.cfg.Members.Install(v)
	h.voting.Store(h.acc.Voting())
	h.sealed.Store(h.acc.Sealed())
	if c := (carried{version: v.Version, carried: h.acc.Carried()}); h.carried.Load() == nil || *h.carried.Load() != c {
		h.carried.Store(&c)
	}
	cs := h.acc.Counts()
	h.keys.Store(int64(cs.Keys + cs.Promises))
	h.promises.Store(int64(cs.Promises))
	h.sessions.Store(int64(cs.Sessions))
	h.logChanges(v)
}

// schedule arms the expiry timer for the acceptor's next deadline, rounded
// up to the millisecond (the expiry tick): a lease is gone from the node
// at most 1 ms after its deadline, plus the mailbox's latency.
func (h *Holder) schedule() {
	if h.stopped || h.self == nil {
		return
	}
	next, ok := h.acc.NextDeadline()
	if !ok || (h.expiryAt != 0 && h.expiryAt <= next) {
		return
	}
	const tickNs = int64(time.Millisecond)
	at := (next + tickNs - 1) / tickNs * tickNs
	h.expiryAt = at
	d := time.Duration(at - h.Now())
	// A new timer rather than Reset: resetting an AfterFunc timer inside
	// a synctest bubble can crash the runtime (golang/go#76052's family).
	if h.expiry != nil {
		h.expiry.Stop()
		h.expiry = nil
	}
	self, send := h.self, h.send
	if d <= 0 {
		// Due already: no timer (an AfterFunc of a negative duration has
		// crashed the runtime inside a synctest bubble, the same family).
		send(self, expiryTick{})
		return
	}
	h.expiry = time.AfterFunc(d, func() { send(self, expiryTick{}) })
}
