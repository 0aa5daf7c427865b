package actor

import (
	"math/rand/v2"
	"sync/atomic"
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"

	"github.com/protolocker/locker/cluster"
	"github.com/protolocker/locker/lease"
)

// Name is the id under which every node spawns its lease-holder, so that
// any node reaches another's at actor.NewPID(address, Name).
const Name = "locker"

// Config configures a lease-holder.
type Config struct {
	Members             *cluster.Membership // the node's view, shared with its coordinator
	PromiseTTL          time.Duration       // life of an unused promise
	ReplicationInterval time.Duration       // how often masters push their log to replicas
	MaxLease            time.Duration       // longest lease a master grants; 0: no bound
	LockDelay           time.Duration       // a restarted master's wait before voting (>= MaxLease + PromiseTTL)
}

// Holder is the lease-holder of one node. Create it with New, spawn it
// with Props under Name, read its table with Store.
type Holder struct {
	cfg         Config
	table       *lease.Table
	epoch       time.Time
	stats       counters
	incarnation uint64      // random per holder: tells a restart from a first start
	voting      atomic.Bool // out of recovery

	// Owned by the actor's goroutine.
	self      *protoactor.PID
	send      func(*protoactor.PID, any)
	expiry    *time.Timer
	expiryAt  int64 // when expiry fires; 0 when disarmed
	replicate *time.Timer
	stopped   bool
	rec       *recovery         // non-nil while not voting
	known     map[string]uint64 // incarnation last greeted from each master
}

// New returns a lease-holder with an empty table.
func New(cfg Config) *Holder {
	return &Holder{
		cfg:         cfg,
		table:       lease.NewTable(int64(cfg.PromiseTTL)),
		epoch:       time.Now(),
		incarnation: rand.Uint64(),
		known:       make(map[string]uint64),
	}
}

// Props returns the props to spawn the holder with. The producer returns
// the same holder on every restart, so a supervised restart keeps the
// table.
func (h *Holder) Props() *protoactor.Props {
	return protoactor.PropsFromProducer(func() protoactor.Actor { return h })
}

// Store returns the table's concurrent read view.
func (h *Holder) Store() *lease.Store { return h.table.Store() }

// Now returns the holder's monotonic clock in nanoseconds.
func (h *Holder) Now() int64 { return int64(time.Since(h.epoch)) }

// Voting reports whether the holder votes: a master votes once it has
// recovered (see recovery); other nodes always report true.
func (h *Holder) Voting() bool { return h.voting.Load() }

// Stats returns a snapshot of the holder's counters.
func (h *Holder) Stats() Stats { return h.stats.snapshot() }

type tick struct{}
type replicateTick struct{}

// Receive handles one message.
func (h *Holder) Receive(ctx protoactor.Context) {
	defer func() {
		if r := recover(); r != nil {
			h.stats.panics.Add(1)
		}
	}()
	switch m := ctx.Message().(type) {
	case *protoactor.Started:
		h.start(ctx)
	case *protoactor.Stopping:
		h.stop()
	case *protoactor.Stopped, *protoactor.Restarting, protoactor.AutoReceiveMessage, protoactor.SystemMessage:
	case tick:
		h.expiryAt = 0
		h.stats.expired.Add(uint64(h.table.Expire(h.Now())))
	case replicateTick:
		h.push(ctx)
	case probeTick:
		h.onProbeTick(ctx)
	default:
		if !h.handle(ctx, m) {
			h.stats.unknown.Add(1)
		}
	}
	h.schedule()
}

func (h *Holder) start(ctx protoactor.Context) {
	h.self = ctx.Self()
	system := ctx.ActorSystem()
	h.send = system.Root.Send
	h.stopped = false
	h.onView(h.cfg.Members.Load())
	if !h.voting.Load() && h.rec == nil {
		h.beginRecovery(ctx)
	}
}

func (h *Holder) stop() {
	h.stopped = true
	if h.expiry != nil {
		h.expiry.Stop()
		h.expiryAt = 0
	}
	if h.replicate != nil {
		h.replicate.Stop()
	}
	if h.rec != nil && h.rec.timer != nil {
		h.rec.timer.Stop()
	}
}

// schedule arms the expiry timer for the table's next deadline, rounded up
// to the millisecond (the expiry tick): entries are gone at most 1 ms
// after their deadline, plus the mailbox's latency.
func (h *Holder) schedule() {
	if h.stopped || h.self == nil {
		return
	}
	next, ok := h.table.NextDeadline()
	if !ok || (h.expiryAt != 0 && h.expiryAt <= next) {
		return
	}
	const tickNs = int64(time.Millisecond)
	at := (next + tickNs - 1) / tickNs * tickNs
	h.expiryAt = at
	d := time.Duration(at - h.Now())
	if h.expiry == nil {
		self, send := h.self, h.send
		h.expiry = time.AfterFunc(d, func() { send(self, tick{}) })
		return
	}
	h.expiry.Reset(d)
}

// onView adapts the holder to a newly installed view: masters with
// replicas log their commits and push them on a timer.
func (h *Holder) onView(v cluster.View) {
	logging := v.IsMaster(h.self.Address) && len(v.Replicas) > 0
	h.table.SetLogging(logging)
	if !logging || h.replicate != nil {
		return
	}
	self, send := h.self, h.send
	h.replicate = time.AfterFunc(h.cfg.ReplicationInterval, func() { send(self, replicateTick{}) })
}
