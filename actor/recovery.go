package actor

import (
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"

	"github.com/protolocker/locker/messages"
)

// ProbeInterval is how often a recovering master greets the masters that
// have not answered yet.
const ProbeInterval = 100 * time.Millisecond

// recovery is the state of a master that does not vote yet. Every master
// starts so: it greets the other masters (Hello) and votes once
//   - N-W+1 of them answered, and it took the highest of their token
//     counters: any quorum that committed a token holds W-1 masters
//     besides this one, and any W-1 and any N-W+1 of the other N-1
//     masters share one, so no token this master committed before a
//     restart is missed, and tokens never go backwards;
//   - and, if one of them had seen another incarnation of it (a restart
//     with empty memory), its lock-delay has passed since it started:
//     every lease and promise it may have granted before is over.
type recovery struct {
	started   int64
	answered  map[string]bool
	restarted bool
	timer     *time.Timer
}

type probeTick struct{}

// beginRecovery puts a master of a multi-master view in recovery.
func (h *Holder) beginRecovery(ctx protoactor.Context) {
	v := h.cfg.Members.Load()
	if !v.IsMaster(h.self.Address) || len(v.Masters) == 1 {
		h.voting.Store(true)
		return
	}
	h.rec = &recovery{started: h.Now(), answered: make(map[string]bool)}
	h.probe(ctx)
}

// probe greets every master that has not answered and re-arms the probe.
func (h *Holder) probe(ctx protoactor.Context) {
	if h.rec == nil || h.stopped {
		return
	}
	for _, m := range h.cfg.Members.Load().Masters {
		if m != h.self.Address && !h.rec.answered[m] {
			ctx.Request(protoactor.NewPID(m, Name), h.hello())
		}
	}
	h.armRecovery(ProbeInterval)
}

func (h *Holder) armRecovery(d time.Duration) {
	if h.rec.timer == nil {
		self, send := h.self, h.send
		h.rec.timer = time.AfterFunc(d, func() { send(self, probeTick{}) })
		return
	}
	h.rec.timer.Reset(d)
}

func (h *Holder) hello() *messages.Hello {
	return &messages.Hello{From: h.self.Address, Incarnation: h.incarnation}
}

// onHello answers a master's greeting, and greets it back at once if this
// holder is still waiting for its answer (it has just started too).
func (h *Holder) onHello(ctx protoactor.Context, m *messages.Hello) {
	prev, known := h.known[m.GetFrom()]
	h.known[m.GetFrom()] = m.GetIncarnation()
	ctx.Respond(&messages.HelloReply{
		From: h.self.Address, SeenBefore: known && prev != m.GetIncarnation(), MaxToken: h.table.MaxToken(),
		Incarnation: h.incarnation,
	})
	if h.rec != nil && !h.rec.answered[m.GetFrom()] && h.cfg.Members.Load().IsMaster(m.GetFrom()) {
		ctx.Request(protoactor.NewPID(m.GetFrom(), Name), h.hello())
	}
}

// onHelloReply takes a master's token counter and restart verdict, and
// remembers the master's incarnation: peers learn each other's
// incarnations both ways, so a master that restarts after all of its
// peers restarted is still recognized.
func (h *Holder) onHelloReply(m *messages.HelloReply) {
	if m.GetIncarnation() != 0 {
		h.known[m.GetFrom()] = m.GetIncarnation()
	}
	if h.rec == nil {
		return
	}
	h.table.ObserveToken(m.GetMaxToken())
	h.rec.answered[m.GetFrom()] = true
	h.rec.restarted = h.rec.restarted || m.GetSeenBefore()
	h.checkReady()
}

// checkReady ends recovery when its conditions hold, or arms the timer
// for the end of the lock-delay.
func (h *Holder) checkReady() {
	v := h.cfg.Members.Load()
	if !v.IsMaster(h.self.Address) {
		return
	}
	answered := 0
	for _, m := range v.Masters {
		if m != h.self.Address && h.rec.answered[m] {
			answered++
		}
	}
	if answered < min(len(v.Masters)-v.W+1, len(v.Masters)-1) {
		return
	}
	if h.rec.restarted {
		if wait := h.rec.started + int64(h.cfg.LockDelay) - h.Now(); wait > 0 {
			h.armRecovery(time.Duration(wait))
			return
		}
	}
	h.endRecovery()
}

func (h *Holder) endRecovery() {
	if h.rec != nil && h.rec.timer != nil {
		h.rec.timer.Stop()
	}
	h.rec = nil
	h.voting.Store(true)
}

// onProbeTick re-greets, or ends a lock-delay that is over.
func (h *Holder) onProbeTick(ctx protoactor.Context) {
	if h.rec == nil {
		return
	}
	h.checkReady()
	if h.rec != nil {
		h.probe(ctx)
	}
}
