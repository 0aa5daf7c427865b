package proposer_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker/internal/proposer"
	"github.com/protolocker/locker/internal/reqid"
	"github.com/protolocker/locker/internal/view"
	"github.com/protolocker/locker/lease"
	"github.com/protolocker/locker/messages"
)

// The harness: N acceptors m1..mN, proposer nodes p1, p2, ... each with
// its own proposer.Local, and a synchronous network between them. Every
// message goes through net (deliver, drop or hold); delivery is
// instantaneous and in FIFO order; the clock only moves when nothing is
// in flight and a call waits for its deadline (or when a test advances
// it).
const (
	maxLease     = int64(10e9)  // 10 s
	tombstoneTTL = int64(20e9)  // 20 s
	roundTimeout = int64(100e6) // 100 ms
	minBackoff   = int64(1e6)   // 1 ms
	maxBackoff   = int64(64e6)  // 64 ms
	leaseNs      = int64(5e9)   // the lease the tests lock with
	startTime    = int64(1e12)  // the clock at the start (1000 s)
)

// verdict is what the network does with one message.
type verdict uint8

const (
	deliver verdict = iota
	drop
	hold // kept aside until release
)

// env is one message in flight.
type env struct {
	from, to string
	msg      any
}

type cluster struct {
	t     testing.TB
	now   int64
	view  view.View
	accs  map[string]*lease.Acceptor
	names []string

	net   func(e env) verdict // nil: deliver everything
	queue []env
	held  []env

	nodes map[string]*node
	calls map[uint64]*call // by request id base
	next  uint64
	trace bool // log every decision of the calls
}

// node is a proposer node: its Local (ballots, last writes, jitter).
type node struct {
	addr  string
	local *proposer.Local
	skew  int64 // its wall clock is the cluster clock plus skew, ns
	down  map[string]bool
	held  map[string]bool // what its table shows held
}

// call is one hosted Op and everything it sent.
type call struct {
	n    *node
	op   *proposer.Op
	base uint64
	sent []any // every message it sent, in order
}

// newCluster returns n voting acceptors m1..mn in view 1 (majority W).
func newCluster(t testing.TB, n int) *cluster {
	t.Helper()
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("m%d", i+1)
	}
	v, err := view.NewView(1, names, nil, 0)
	require.NoError(t, err)
	c := &cluster{t: t, now: startTime, view: v, accs: make(map[string]*lease.Acceptor), names: names,
		nodes: make(map[string]*node), calls: make(map[uint64]*call)}
	for i, m := range names {
		c.accs[m] = c.newAcceptor(m, v, uint64(i+1))
	}
	return c
}

func (c *cluster) newAcceptor(self string, v view.View, inc uint64) *lease.Acceptor {
	return lease.New(lease.Config{Self: self, View: v, Incarnation: inc, MaxLease: maxLease,
		TombstoneTTL: tombstoneTTL, Voting: true, Now: c.now})
}

// node returns the proposer node addr, creating it with ballot index idx.
func (c *cluster) node(addr string, idx uint64) *node {
	if n := c.nodes[addr]; n != nil {
		return n
	}
	n := &node{addr: addr, down: make(map[string]bool), held: make(map[string]bool)}
	n.local = proposer.NewLocal(idx, func() int64 { return (c.now + n.skew) / 1000 },
		func(a string) bool { return n.down[a] }, func(k string) bool { return n.held[k] }, idx*7919+1)
	c.nodes[addr] = n
	return n
}

func (c *cluster) config() proposer.Config {
	cfg := proposer.Config{RoundTimeout: roundTimeout, MinBackoff: minBackoff, MaxBackoff: maxBackoff}
	if c.trace {
		cfg.Trace = func(f string, args ...any) { c.t.Logf("%d: "+f, append([]any{c.now}, args...)...) }
	}
	return cfg
}

// start creates req's Op on node n in the cluster's view and sends its
// first round (delivered by drive).
func (c *cluster) start(n *node, req proposer.Request) *call {
	return c.startIn(n, req, c.view)
}

func (c *cluster) startIn(n *node, req proposer.Request, v view.View) *call {
	c.next++
	cl := &call{n: n, base: reqid.Base(c.next)}
	cl.op = proposer.New(req, v, n.local, c.config(), cl.base)
	c.calls[cl.base] = cl
	c.dispatch(cl, cl.op.Start(c.now))
	return cl
}

// dispatch puts an Op's sends on the network.
func (c *cluster) dispatch(cl *call, sends []proposer.Send) {
	masters := cl.op.View().Masters
	for _, s := range sends {
		cl.sent = append(cl.sent, s.Msg)
		c.post(env{from: cl.n.addr, to: masters[s.To], msg: s.Msg})
	}
}

func (c *cluster) post(e env) {
	v := deliver
	if c.net != nil {
		v = c.net(e)
	}
	switch v {
	case deliver:
		c.queue = append(c.queue, e)
	case hold:
		c.held = append(c.held, e)
	}
}

// release puts every held message that match selects (nil: all) back on
// the network, behind what is in flight.
func (c *cluster) release(match func(e env) bool) {
	var keep []env
	for _, e := range c.held {
		if match == nil || match(e) {
			c.queue = append(c.queue, e)
		} else {
			keep = append(keep, e)
		}
	}
	c.held = keep
}

// deliverOne delivers the first message in flight.
func (c *cluster) deliverOne() {
	e := c.queue[0]
	c.queue = c.queue[1:]
	if a := c.accs[e.to]; a != nil {
		reply, known := a.Handle(c.now, e.from, e.msg)
		require.True(c.t, known, "%T is handled", e.msg)
		if v, ok := reply.(*messages.Vote); ok && v != nil {
			c.post(env{from: e.to, to: e.from, msg: v})
		}
		return
	}
	v, ok := e.msg.(*messages.Vote)
	if !ok {
		return
	}
	if cl := c.calls[reqid.Call(v.GetReqId())]; cl != nil && !cl.op.Done() {
		c.dispatch(cl, cl.op.Step(c.now, v))
	}
}

// settle delivers until nothing is in flight.
func (c *cluster) settle() {
	for n := 0; len(c.queue) > 0; n++ {
		require.Less(c.t, n, 100_000, "the network never settles")
		c.deliverOne()
	}
}

// drive delivers messages and ticks deadlines until every call is done,
// or none of them waits for anything (stalled, e.g. on a newer view).
func (c *cluster) drive(calls ...*call) {
	c.t.Helper()
	for n := 0; ; n++ {
		require.Less(c.t, n, 10_000, "the calls never end")
		c.settle()
		next := int64(0)
		var due *call
		for _, cl := range calls {
			if d := cl.op.Deadline(); !cl.op.Done() && d != 0 && (due == nil || d < next) {
				next, due = d, cl
			}
		}
		if due == nil {
			return
		}
		c.now = max(c.now, next)
		c.dispatch(due, due.op.Tick(c.now))
	}
}

// driveFor is drive, stopping once the clock passed now + d.
func (c *cluster) driveFor(d int64, calls ...*call) {
	c.t.Helper()
	end := c.now + d
	for n := 0; c.now <= end; n++ {
		require.Less(c.t, n, 10_000, "the calls never end")
		c.settle()
		var due *call
		for _, cl := range calls {
			if dl := cl.op.Deadline(); !cl.op.Done() && dl != 0 && (due == nil || dl < due.op.Deadline()) {
				due = cl
			}
		}
		if due == nil || due.op.Deadline() > end {
			return
		}
		c.now = max(c.now, due.op.Deadline())
		c.dispatch(due, due.op.Tick(c.now))
	}
}

// do runs req on n to its end and returns its outcome.
func (c *cluster) do(n *node, req proposer.Request) (proposer.Outcome, proposer.Result, *call) {
	c.t.Helper()
	cl := c.start(n, req)
	c.drive(cl)
	require.True(c.t, cl.op.Done(), "the call ended")
	out, res := cl.op.Outcome()
	return out, res, cl
}

// advance moves the clock.
func (c *cluster) advance(d int64) { c.now += d }

// state returns what acceptor m holds of key now.
func (c *cluster) state(m, key string) (uint64, *messages.State) {
	return c.accs[m].State(c.now, key)
}

// rounds returns how many rounds of message type T the call sent.
func rounds[T interface{ GetReqId() uint64 }](cl *call) int {
	var seen []uint32
	for _, m := range cl.sent {
		if x, ok := m.(T); ok && !slices.Contains(seen, reqid.Round(x.GetReqId())) {
			seen = append(seen, reqid.Round(x.GetReqId()))
		}
	}
	return len(seen)
}

// sentOf returns the messages of type T the call sent.
func sentOf[T any](cl *call) []T {
	var out []T
	for _, m := range cl.sent {
		if x, ok := m.(T); ok {
			out = append(out, x)
		}
	}
	return out
}

// is reports that e carries a T.
func is[T any](e env) bool {
	_, ok := e.msg.(T)
	return ok
}

// Requests.

func lockReq(key, value string) proposer.Request {
	return proposer.Request{Kind: proposer.Lock, Key: key, Value: []byte(value), Lease: leaseNs}
}

func extendReq(key, value string, l int64) proposer.Request {
	return proposer.Request{Kind: proposer.Extend, Key: key, Value: []byte(value), Lease: l}
}

func releaseReq(key, value string) proposer.Request {
	return proposer.Request{Kind: proposer.Release, Key: key, Value: []byte(value)}
}

func updateReq(key, old, value string) proposer.Request {
	return proposer.Request{Kind: proposer.Update, Key: key, Expected: []byte(old), Value: []byte(value)}
}

func readReq(key string) proposer.Request {
	return proposer.Request{Kind: proposer.Read, Key: key}
}

// mustLock locks key for value from n and returns the token.
func (c *cluster) mustLock(n *node, key, value string) uint64 {
	c.t.Helper()
	out, res, _ := c.do(n, lockReq(key, value))
	require.Equal(c.t, proposer.OK, out, "lock %s", key)
	require.NotZero(c.t, res.Token)
	return res.Token
}

// requireHeld checks that every acceptor named (all when none) holds key
// for value with token, live.
func (c *cluster) requireHeld(key, value string, token uint64, ms ...string) {
	c.t.Helper()
	if len(ms) == 0 {
		ms = c.names
	}
	for _, m := range ms {
		a, st := c.state(m, key)
		require.NotZero(c.t, a, "%s accepted %s", m, key)
		require.True(c.t, st.GetHeld(), "%s holds %s: %v", m, key, st)
		require.Equal(c.t, value, string(st.GetValue()), "%s: value of %s", m, key)
		require.Equal(c.t, token, st.GetToken(), "%s: token of %s", m, key)
		require.Positive(c.t, st.GetLeaseNs(), "%s: %s is live", m, key)
	}
}

// requireFree checks that every acceptor named (all when none) has key
// free (accepted, not held).
func (c *cluster) requireFree(key string, ms ...string) {
	c.t.Helper()
	if len(ms) == 0 {
		ms = c.names
	}
	for _, m := range ms {
		a, st := c.state(m, key)
		require.NotZero(c.t, a, "%s accepted %s", m, key)
		require.False(c.t, st.GetHeld(), "%s has %s free: %v", m, key, st)
	}
}
