package sim

import (
	"fmt"
	"hash/fnv"
	"slices"

	"github.com/protolocker/locker/internal/proposer"
	"github.com/protolocker/locker/internal/reqid"
	"github.com/protolocker/locker/internal/view"
	"github.com/protolocker/locker/internal/viewchange"
	"github.com/protolocker/locker/lease"
	"github.com/protolocker/locker/messages"
)

// clock is a node's hardware clock: local = offset + T·rate, with rate in
// 1±Drift. A restart keeps it; the wall clock adds a skew.
type clock struct {
	offset int64
	rate   float64
	skew   int64
}

func (c clock) local(t int64) int64  { return c.offset + int64(float64(t)*c.rate) }
func (c clock) global(l int64) int64 { return int64(float64(l-c.offset)/c.rate) + 1 }

// node is one simulated node: its acceptor, its calls and view changes.
type node struct {
	w     *World
	idx   int
	addr  string
	alive bool
	gen   int // incarnation number in the run: timers of an earlier one are ignored
	clk   clock

	acc     *lease.Acceptor
	local   *proposer.Local
	calls   map[uint64]*call
	changes map[uint64]*change
	next    uint64 // call ids
	expiry  int64  // global time of the armed expiry event (0: none)

	rejoin      *change
	retryAt     int64 // when a failed rejoin or repair may be tried again
	backoff     int64
	sealedSince int64
	repairing   map[string]bool

	// checked is the view of this node that checkViews compared last
	// (its version and hash): an unchanged view is not compared again.
	checked [2]uint64
}

func (w *World) build() {
	total := w.p.Masters + w.p.Replicas + w.p.Spares
	for i := range total {
		rate := 1 + (w.rng.Float64()*2-1)*w.p.Drift
		n := &node{w: w, idx: i, addr: fmt.Sprintf("n%d", i),
			clk: clock{offset: w.rng.Int64N(int64(1e12)), rate: rate, skew: w.rng.Int64N(int64(50e6))}}
		w.nodes = append(w.nodes, n)
	}
	w.byAddr = make(map[string]*node, total)
	for _, n := range w.nodes {
		w.byAddr[n.addr] = n
	}
	for _, n := range w.nodes {
		n.boot(n.idx < w.p.Masters+w.p.Replicas) // the first view's nodes bootstrap
	}
}

// config is the view a node boots with: its configuration, version 1. An
// operator keeps configurations current, so a node that restarts is
// configured with the masters and replicas of the newest view.
func (w *World) config() view.View {
	newest := w.newest()
	if newest.Version == 0 {
		return w.initial()
	}
	v, err := view.NewView(1, newest.Masters, newest.Replicas, newest.W)
	if err != nil {
		panic(err)
	}
	return v
}

// initial is the configured view of the first start.
func (w *World) initial() view.View {
	var masters, replicas []string
	for i := range w.p.Masters {
		masters = append(masters, w.nodes[i].addr)
	}
	for i := w.p.Masters; i < w.p.Masters+w.p.Replicas; i++ {
		replicas = append(replicas, w.nodes[i].addr)
	}
	v, err := view.NewView(1, masters, replicas, 0)
	if err != nil {
		panic(err)
	}
	return v
}

func (n *node) now() int64 { return n.clk.local(n.w.now) }

// wall is the node's wall clock in µs: real time plus a skew of up to
// 50ms, advancing at the node's rate (NTP keeps wall clocks that close;
// the ballots' hybrid clock relies on it only after a majority restart).
func (n *node) wall() int64 {
	return (wallBase + n.w.now + n.clk.skew + int64(float64(n.w.now)*(n.clk.rate-1))) / 1000
}

// wallBase is the wall clock at the start of a run (a fixed date).
const wallBase = int64(1_800_000_000) * 1e9

// boot starts a fresh incarnation with empty memory.
func (n *node) boot(bootstrap bool) {
	w := n.w
	n.alive = true
	n.gen++
	h := fnv.New64a()
	_, _ = h.Write([]byte(n.addr))
	n.acc = lease.New(lease.Config{
		Self: n.addr, View: w.config(), Incarnation: w.rng.Uint64() | 1,
		MaxLease: int64(w.p.MaxLease), TombstoneTTL: int64(w.p.MaxLease) + int64(w.p.Interval), LockDelay: int64(w.p.LockDelay),
		Voting: bootstrap, Now: n.now(),
	})
	n.local = proposer.NewLocal(h.Sum64(), n.wall, nil, n.held, w.rng.Uint64())
	n.calls, n.changes = make(map[uint64]*call), make(map[uint64]*change)
	n.next = w.rng.Uint64() >> (reqid.CallShift + 8)
	n.expiry, n.rejoin, n.sealedSince, n.retryAt, n.backoff = 0, nil, 0, 0, 0
	n.repairing = make(map[string]bool)
	gen := n.gen
	var tick func()
	tick = func() {
		if n.gen != gen || !n.alive {
			return
		}
		n.maintain()
		w.after(int64(w.p.Interval), tick)
	}
	w.after(w.rng.Int64N(int64(w.p.Interval)), tick)
}

// crash stops the node: its memory and calls are gone.
func (n *node) crash() {
	n.alive = false
	n.gen++
	for _, c := range n.calls {
		c.crashed()
	}
	n.calls, n.changes = nil, nil
}

func (n *node) base() uint64 {
	n.next++
	return reqid.Base(n.next)
}

// receive handles one delivered message.
func (n *node) receive(from string, msg any) {
	if !n.alive {
		return
	}
	switch m := msg.(type) {
	case *messages.Vote, *messages.SealReply, *messages.DumpPage, *messages.InstallAck,
		*messages.ViewAccepted, *messages.ViewAck, *messages.LearnAck:
		id := msg.(interface{ GetReqId() uint64 }).GetReqId()
		if c := n.calls[reqid.Call(id)]; c != nil {
			c.step(msg)
		} else if ch := n.changes[reqid.Call(id)]; ch != nil {
			ch.step(msg)
		}
	case *messages.SyncReply:
		for _, l := range m.GetEntries() {
			n.local.Observed(l.GetKey(), l.GetBallot())
			if n.w.trace != nil && n.w.traceKey == l.GetKey() {
				a, _ := n.acc.State(n.now(), l.GetKey())
				p, ch := n.acc.Promise(l.GetKey())
				n.w.trace("%v %s sync from %s: %s at %d chosen %v; here %d promised %d chosen %v; view %d/%d sealed? votes %v",
					n.w.Now(), n.addr, from, l.GetKey(), l.GetBallot(), l.GetChosen(), a, p, ch, m.GetViewVersion(), n.acc.View().Version, n.acc.Votes())
			}
		}
		if n.acc.ApplySync(n.now(), from, m) {
			n.syncWith(from)
		}
	case *messages.Learn:
		for _, l := range m.GetEntries() {
			n.local.Observed(l.GetKey(), l.GetBallot())
		}
		n.acc.Handle(n.now(), from, msg)
	case *messages.Accept:
		n.local.Observed(m.GetKey(), m.GetBallot())
		reply, _ := n.acc.Handle(n.now(), from, msg)
		n.w.sendTo(n, from, reply)
	default:
		reply, _ := n.acc.Handle(n.now(), from, msg)
		if reply != nil {
			n.w.sendTo(n, from, reply)
		}
	}
	n.armExpiry()
}

// armExpiry runs the acceptor's expiry at its next deadline.
func (n *node) armExpiry() {
	next, ok := n.acc.NextDeadline()
	if !ok {
		return
	}
	at := n.clk.global(next)
	if n.expiry != 0 && n.expiry <= at && n.expiry > n.w.now {
		return
	}
	n.expiry = at
	gen := n.gen
	n.w.after(at-n.w.now, func() {
		if n.gen != gen || !n.alive || n.expiry != at {
			return
		}
		n.expiry = 0
		n.acc.Expire(n.now())
		n.armExpiry()
	})
}

// maintain is the node's periodic work: anti-entropy with every master,
// repairs of suspect keys, and a rejoin while it is a master that does
// not vote.
func (n *node) maintain() {
	v := n.acc.View()
	for _, m := range v.Masters {
		if m != n.addr {
			n.syncWith(m)
		}
	}
	if !n.acc.Voting() {
		// A recovering node looks for a newer view everywhere it can: its
		// view's replicas and the masters of its configuration.
		for _, r := range slices.Concat(v.Replicas, n.acc.Unheard()) {
			if r != n.addr && !v.IsMaster(r) {
				n.syncWith(r)
			}
		}
	}
	for _, key := range n.acc.Suspects() {
		if !n.repairing[key] && len(n.repairing) < 16 {
			n.repairing[key] = true
			n.w.stats.Repairs++
			n.startCall(proposer.Request{Kind: proposer.Read, Key: key, Repair: true}, nil)
		}
	}
	for _, key := range n.acc.Abandoned(n.now()) {
		if !n.repairing[key] && len(n.repairing) < 16 {
			n.repairing[key] = true
			n.w.stats.Reaped++
			n.startCall(proposer.Request{Kind: proposer.Read, Key: key}, nil)
		}
	}
	if !n.acc.Voting() && v.IsMaster(n.addr) && n.rejoin == nil && n.w.now >= n.retryAt {
		n.rejoin = n.startChange(v, true, n.changeDone)
	}
	if n.acc.Sealed() && n.sealedSince == 0 {
		n.sealedSince = n.w.now // its own acceptor is sealed: the change's coordinator may be gone
	}
	n.checkSealed()
}

// changeDone ends a rejoin or repair change; after a failure the next
// attempt waits a random while, so that nodes do not keep sealing over
// each other.
func (n *node) changeDone(ch *change) {
	n.rejoin = nil
	if out, _ := ch.c.Outcome(); out != viewchange.OK && out != viewchange.Completed {
		n.backoff = min(max(2*n.backoff, int64(n.w.p.Interval)), 16*int64(n.w.p.Interval))
		n.retryAt = n.w.now + n.backoff/2 + n.w.rng.Int64N(n.backoff/2+1)
		return
	}
	n.backoff = 0
}

func (n *node) syncWith(addr string) {
	n.w.sendTo(n, addr, n.acc.SyncRequest(addr, 0))
}

// checkSealed runs a change to the same masters when calls have met only
// sealed masters for a while: the coordinator of a change may be gone.
func (n *node) checkSealed() {
	if n.sealedSince == 0 || n.w.now-n.sealedSince < 4*int64(n.w.p.RoundTimeout) || n.rejoin != nil || n.w.now < n.retryAt {
		return
	}
	n.sealedSince = 0
	v := n.acc.View()
	if !v.IsMaster(n.addr) && !slices.Contains(v.Replicas, n.addr) {
		return
	}
	if !n.acc.Sealed() && len(n.calls) == 0 {
		return // it cleared up by itself
	}
	n.rejoin = n.startChange(v, false, n.changeDone)
}

func (w *World) node(addr string) *node { return w.byAddr[addr] }

// held reports that the node's acceptor table holds key.
func (n *node) held(key string) bool {
	_, ok := n.acc.Store().Get(key)
	return ok
}
