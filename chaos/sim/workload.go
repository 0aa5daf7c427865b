package sim

import (
	"fmt"
	"math/rand/v2"

	"github.com/protolocker/locker/internal/proposer"
)

// Result classifies a call's outcome for the linearizability check.
type Result uint8

// The results.
const (
	ResultOK      Result = iota
	ResultRefused        // definitely not applied
	ResultUnknown        // may have been applied, at any time from its call on
)

// Op is one call of the history.
type Op struct {
	Client       int
	Kind         proposer.Kind
	Key          string
	Val, Old     string // Lock, Extend, Release: Val; Update: Old -> Val
	Call, Return int64  // global simulated time
	Result       Result
	Found        bool   // Read
	Got          string // Read
	Node         string
	Outcome      proposer.Outcome
}

// History is the run's calls, in the order they returned.
type History struct {
	Ops   []*Op
	Reads int // successful reads (failed ones are not recorded)
}

var values = []string{"a", "b", "c"}

// client issues one call at a time on a random live node.
type client struct {
	w    *World
	id   int
	rng  *rand.Rand
	left int
	done bool           // it issued its last call and that call returned
	hold *holding       // mutual-exclusion workload: the tenure it holds
	sess *clientSession // session workload: its open session
}

// holding is a tenure a client uses: valid until end (global time).
type holding struct {
	key   string
	value string
	token uint64
	end   int64
}

func (w *World) startClients() {
	for i := range w.p.Clients {
		c := &client{w: w, id: i, rng: rand.New(rand.NewPCG(uint64(w.seed), uint64(1000+i))), left: w.p.Ops}
		w.clients = append(w.clients, c)
		w.active++
		w.after(c.rng.Int64N(int64(w.p.Think)+1), c.next)
	}
}

func (w *World) clientsDone() bool { return w.active == 0 }

func (c *client) key(i int) string { return fmt.Sprintf("k%d", i) }

// next issues the client's next call.
func (c *client) next() {
	w := c.w
	if c.left == 0 || w.settling {
		if c.left > 0 || !c.done {
			c.left, c.done = 0, true
			w.active--
		}
		return
	}
	var alive []*node
	for _, n := range w.nodes {
		if n.alive {
			alive = append(alive, n)
		}
	}
	if len(alive) == 0 {
		w.after(int64(w.p.Think)+1, c.next)
		return
	}
	n := alive[c.rng.IntN(len(alive))]
	c.left--
	req, op := c.choose()
	op.Client, op.Call, op.Node = c.id, w.now, n.addr
	if w.p.Short {
		c.onSend(n, req)
	}
	cl := n.startCall(req, c)
	cl.rec = op
}

// choose picks the next call: random for the linearizability workload;
// lock, then extend, release or abandon for the mutual-exclusion one.
func (c *client) choose() (proposer.Request, *Op) {
	w := c.w
	if w.p.Sessions {
		return c.chooseSession()
	}
	if w.p.Short {
		lease := int64(w.p.Lease)/4 + c.rng.Int64N(int64(w.p.Lease)*3/4+1)
		if c.hold == nil {
			key := c.key(c.rng.IntN(w.p.Keys))
			val := fmt.Sprintf("c%d.%d", c.id, c.left)
			return proposer.Request{Kind: proposer.Lock, Key: key, Value: []byte(val), Lease: lease},
				&Op{Kind: proposer.Lock, Key: key, Val: val}
		}
		h := c.hold
		if c.rng.IntN(10) < 6 {
			return proposer.Request{Kind: proposer.Extend, Key: h.key, Value: []byte(h.value), Lease: lease},
				&Op{Kind: proposer.Extend, Key: h.key, Val: h.value}
		}
		return proposer.Request{Kind: proposer.Release, Key: h.key, Value: []byte(h.value)},
			&Op{Kind: proposer.Release, Key: h.key, Val: h.value}
	}
	key := c.key(c.rng.IntN(w.p.Keys))
	val := values[c.rng.IntN(len(values))]
	lease := int64(w.p.Lease)
	switch r := c.rng.IntN(20); {
	case r < 6:
		return proposer.Request{Kind: proposer.Lock, Key: key, Value: []byte(val), Lease: lease}, &Op{Kind: proposer.Lock, Key: key, Val: val}
	case r < 9:
		old := values[c.rng.IntN(len(values))]
		return proposer.Request{Kind: proposer.Update, Key: key, Value: []byte(val), Expected: []byte(old)},
			&Op{Kind: proposer.Update, Key: key, Val: val, Old: old}
	case r < 11:
		return proposer.Request{Kind: proposer.Extend, Key: key, Value: []byte(val), Lease: lease}, &Op{Kind: proposer.Extend, Key: key, Val: val}
	case r < 15:
		return proposer.Request{Kind: proposer.Release, Key: key, Value: []byte(val)}, &Op{Kind: proposer.Release, Key: key, Val: val}
	}
	return proposer.Request{Kind: proposer.Read, Key: key}, &Op{Kind: proposer.Read, Key: key}
}

// finished records a call's outcome and schedules the next one.
func (c *client) finished(cl *call, out proposer.Outcome, res proposer.Result) {
	w := c.w
	op := cl.rec
	op.Return, op.Outcome = w.now, out
	if w.trace != nil && out != proposer.OK {
		w.trace("%v client %d %s: %s", w.Now(), c.id, describe(op), cl.op.Problem())
	}
	w.stats.Ops++
	switch out {
	case proposer.OK:
		op.Result = ResultOK
		w.stats.OK++
	case proposer.Indeterminate:
		op.Result = ResultUnknown
		w.stats.Unknown++
	default:
		op.Result = ResultRefused
		w.stats.Refused++
	}
	if op.Kind == proposer.Read {
		if out == proposer.OK {
			op.Found, op.Got = res.Found, string(res.Value)
			w.hist.Ops = append(w.hist.Ops, op)
			w.hist.Reads++
		}
	} else {
		w.hist.Ops = append(w.hist.Ops, op)
	}
	switch {
	case w.p.Sessions:
		c.onDoneSession(cl, op, out, res)
	case w.p.Short:
		c.onDone(cl, op, out, res)
	}
	w.after(c.rng.Int64N(int64(w.p.Think)+1), c.next)
}

// validity returns the global time until which a holder may use a lease
// sent at local time sent on node n: sent + lease·(1-ρ)/(1+ρ) on n's
// clock (docs/protocol.md, "Time: leases").
func (c *client) validity(n *node, sent, lease int64) int64 {
	rho := c.w.p.Drift
	return n.clk.global(sent + int64(float64(lease)*(1-rho)/(1+rho)))
}

// onSend shortens the client's tenure when it sends an extension (which
// may take effect with a shorter lease) or a release (it stops using the
// lock before asking).
func (c *client) onSend(n *node, req proposer.Request) {
	if c.w.p.Sessions {
		c.onSendSession(n, req)
		return
	}
	h := c.hold
	if h == nil {
		return
	}
	switch req.Kind {
	case proposer.Extend:
		h.end = min(h.end, c.validity(n, n.now(), req.Lease))
	case proposer.Release:
		h.end = min(h.end, c.w.now)
		c.hold = nil
	}
	c.w.checker.setEnd(h.key, h.token, h.end)
}

// onDone starts or extends the client's tenure after a successful Lock or
// ExtendLease, and sometimes abandons it.
func (c *client) onDone(cl *call, op *Op, out proposer.Outcome, res proposer.Result) {
	w := c.w
	switch {
	case op.Kind == proposer.Lock && out == proposer.OK:
		end := c.validity(cl.node, cl.sent, cl.req.Lease)
		w.stats.Tenures++
		c.hold = &holding{key: op.Key, value: op.Val, token: res.Token, end: end}
		w.checker.begin(op.Key, res.Token, w.now, end, op)
	case op.Kind == proposer.Extend && out == proposer.OK && c.hold != nil:
		h := c.hold
		lapsed := w.now >= h.end
		h.end = c.validity(cl.node, cl.sent, cl.req.Lease)
		if lapsed {
			w.checker.begin(h.key, h.token, w.now, h.end, op)
		} else {
			w.checker.setEnd(h.key, h.token, h.end)
		}
	}
	if c.hold != nil && (w.now >= c.hold.end || c.rng.IntN(10) == 0) {
		c.hold = nil // expired, or abandoned: it ends by expiry
	}
}
