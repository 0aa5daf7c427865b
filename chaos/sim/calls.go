package sim

import (
	"github.com/protolocker/locker/internal/proposer"
	"github.com/protolocker/locker/internal/view"
	"github.com/protolocker/locker/internal/viewchange"
	"github.com/protolocker/locker/messages"
)

// call hosts one proposer.Op on a node, as Node does.
type call struct {
	n      *node
	op     *proposer.Op
	base   uint64
	tickAt int64
	key    string
	req    proposer.Request
	node   *node
	sent   int64   // local clock at the start
	owner  *client // nil for a repair read
	rec    *Op     // the history entry of the call
	ended  bool
}

func (n *node) startCall(req proposer.Request, owner *client) *call {
	w := n.w
	c := &call{n: n, base: n.base(), owner: owner, key: req.Key, req: req, node: n, sent: n.now()}
	c.op = proposer.New(req, n.acc.View(), n.local, proposer.Config{
		RoundTimeout: int64(w.p.RoundTimeout), MinBackoff: int64(1e6), MaxBackoff: int64(64e6),
		Trace: w.traceCall(owner),
	}, c.base)
	n.calls[c.base] = c
	gen := n.gen
	w.after(int64(w.p.ReqTimeout), func() {
		if n.gen == gen && !c.ended {
			c.op.Abort("timed out")
			c.after()
		}
	})
	c.dispatch(c.op.Start(n.now()))
	c.after()
	return c
}

func (c *call) dispatch(sends []proposer.Send) {
	masters := c.op.View().Masters
	for _, s := range sends {
		c.n.w.sendTo(c.n, masters[s.To], s.Msg)
	}
}

func (c *call) step(msg any) {
	if c.ended {
		return
	}
	c.dispatch(c.op.Step(c.n.now(), msg))
	c.after()
}

// after handles what an input left: a newer view to move to, a deadline
// to arm, or the end of the call.
func (c *call) after() {
	n, w := c.n, c.n.w
	if c.ended {
		return
	}
	if v, ok := c.op.Newer(); ok {
		n.acc.Adopt(v)
		if cur := n.acc.View(); cur.Version > c.op.View().Version {
			c.dispatch(c.op.SetView(n.now(), cur))
		}
	}
	if c.op.Done() {
		c.end()
		return
	}
	if d := c.op.Deadline(); d != 0 {
		at := n.clk.global(d)
		if at != c.tickAt {
			c.tickAt = at
			gen := n.gen
			w.after(at-w.now, func() {
				if n.gen == gen && !c.ended && c.tickAt == at {
					c.dispatch(c.op.Tick(n.now()))
					c.after()
				}
			})
		}
	}
}

// end learns the chosen state everywhere, as Node does, and reports the
// outcome.
func (c *call) end() {
	n, w := c.n, c.n.w
	c.ended = true
	delete(n.calls, c.base)
	out, res := c.op.Outcome()
	if out == proposer.OK {
		n.sealedSince = 0
	}
	if chosen, _ := c.op.Chosen(); chosen != nil {
		v := c.op.View()
		learn := &messages.Learn{Entries: []*messages.Learned{chosen}}
		n.acc.Handle(n.now(), n.addr, learn) // the node learns before the call returns
		n.armExpiry()
		for _, a := range v.Nodes() {
			if a != n.addr && (c.op.Wrote() || c.op.Request().Kind != proposer.Read) { // as Node does
				w.sendTo(n, a, learn)
			}
		}
	}
	if c.owner == nil {
		delete(n.repairing, c.key)
		return
	}
	c.owner.finished(c, out, res)
}

// crashed ends the call because its node crashed: its outcome is unknown.
func (c *call) crashed() {
	if c.ended {
		return
	}
	c.ended = true
	if c.owner != nil {
		c.owner.finished(c, proposer.Indeterminate, proposer.Result{})
	}
}

// change hosts one viewchange.Change on a node.
type change struct {
	n      *node
	c      *viewchange.Change
	base   uint64
	tickAt int64
	done   func(*change)
	ended  bool
}

// startChange runs a change from the node's view to the masters,
// replicas and W of target (at the next version).
func (n *node) startChange(target view.View, transfer bool, done func(*change)) *change {
	w := n.w
	from := n.acc.View()
	to, err := view.NewView(from.Version+1, target.Masters, target.Replicas, target.W)
	if err != nil {
		return nil
	}
	ch := &change{n: n, base: n.base(), done: done}
	ch.c = viewchange.New(viewchange.Config{LockDelay: int64(w.p.LockDelay), RoundTimeout: int64(w.p.RoundTimeout), PageLimit: 64,
		Transfer: transfer, Carried: n.acc.Carried()},
		from, to, n.local.Ballot(), ch.base)
	n.changes[ch.base] = ch
	ch.dispatch(ch.c.Start(n.now()))
	ch.after()
	return ch
}

func (ch *change) dispatch(sends []viewchange.Send) {
	for _, s := range sends {
		ch.n.w.sendTo(ch.n, s.To, s.Msg)
	}
}

func (ch *change) step(msg any) {
	if ch.ended {
		return
	}
	ch.dispatch(ch.c.Step(ch.n.now(), msg))
	ch.after()
}

func (ch *change) after() {
	n, w := ch.n, ch.n.w
	if ch.c.Done() {
		ch.ended = true
		delete(n.changes, ch.base)
		higher, newer := ch.c.Higher()
		n.local.Observe(higher)
		if newer != nil {
			n.acc.Adopt(*newer)
		}
		out, problem := ch.c.Outcome()
		if out == viewchange.OK || out == viewchange.Completed {
			w.stats.Committed++
			n.acc.Adopt(ch.c.Committed()) // as Node does
		}
		if w.trace != nil {
			w.trace("%v %s: view change to %d %v: outcome %d %s", w.Now(), n.addr, ch.c.Committed().Version, ch.c.Committed().Masters, out, problem)
		}
		if ch.done != nil {
			ch.done(ch)
		}
		return
	}
	if d := ch.c.Deadline(); d != 0 {
		at := n.clk.global(d)
		if at != ch.tickAt {
			ch.tickAt = at
			gen := n.gen
			w.after(at-w.now, func() {
				if n.gen == gen && !ch.ended && ch.tickAt == at {
					ch.dispatch(ch.c.Tick(n.now()))
					ch.after()
				}
			})
		}
	}
}
