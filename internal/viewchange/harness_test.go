package viewchange_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker/internal/reqid"
	"github.com/protolocker/locker/internal/view"
	"github.com/protolocker/locker/internal/viewchange"
	"github.com/protolocker/locker/lease"
	"github.com/protolocker/locker/messages"
)

// The harness: acceptors by address, coordinators (view changes) by
// address and request id base, and a synchronous network between them.
// Every message goes through net (deliver, drop or hold); delivery is
// instantaneous and in FIFO order; the clock moves only when nothing is
// in flight and a change waits for its deadline, or when a test moves it.
// Messages to addresses nobody hosts (replicas the test does not run)
// are lost.
const (
	maxLease     = int64(10e9)
	tombstoneTTL = int64(20e9)
	roundTimeout = int64(100e6)
	lockDelay    = maxLease + roundTimeout
	startTime    = int64(1e12)
)

type verdict uint8

const (
	deliver verdict = iota
	drop
	hold
)

type env struct {
	from, to string
	msg      any
}

type cluster struct {
	t    testing.TB
	now  int64
	accs map[string]*lease.Acceptor
	inc  uint64

	net   func(e env) verdict
	queue []env
	held  []env
	log   []env // every message a coordinator sent

	coords map[uint64]*coord
	next   uint64
}

// coord is one hosted view change.
type coord struct {
	addr string
	c    *viewchange.Change
	base uint64
}

func newCluster(t testing.TB) *cluster {
	return &cluster{t: t, now: startTime, accs: make(map[string]*lease.Acceptor), coords: make(map[uint64]*coord)}
}

// mkView returns a validated view.
func mkView(t testing.TB, version uint64, masters, replicas []string, w int) view.View {
	t.Helper()
	v, err := view.NewView(version, masters, replicas, w)
	require.NoError(t, err)
	return v
}

// start (re)starts the acceptor addr in view v with a new incarnation,
// voting or recovering since now.
func (c *cluster) start(addr string, v view.View, voting bool) *lease.Acceptor {
	c.inc++
	a := lease.New(lease.Config{Self: addr, View: v, Incarnation: 1000 + c.inc, MaxLease: maxLease,
		TombstoneTTL: tombstoneTTL, Voting: voting, Now: c.now})
	c.accs[addr] = a
	return a
}

// change creates the change from → to at ballot b, coordinated from
// addr, and sends its seal.
func (c *cluster) change(addr string, cfg viewchange.Config, from, to view.View, b uint64) *coord {
	c.next++
	co := &coord{addr: addr, base: reqid.Base(c.next)}
	if cfg.RoundTimeout == 0 {
		cfg.RoundTimeout = roundTimeout
	}
	if cfg.LockDelay == 0 {
		cfg.LockDelay = lockDelay
	}
	co.c = viewchange.New(cfg, from, to, b, co.base)
	c.coords[co.base] = co
	c.dispatch(co, co.c.Start(c.now))
	return co
}

func (c *cluster) dispatch(co *coord, sends []viewchange.Send) {
	for _, s := range sends {
		e := env{from: co.addr, to: s.To, msg: s.Msg}
		c.log = append(c.log, e)
		c.post(e)
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

// release puts the held messages that match (nil: all) back in flight.
func (c *cluster) release(match func(env) bool) {
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

func (c *cluster) deliverOne() {
	e := c.queue[0]
	c.queue = c.queue[1:]
	switch e.msg.(type) {
	case *messages.SealReply, *messages.DumpPage, *messages.InstallAck, *messages.ViewAccepted, *messages.ViewAck:
		// A reply: for the coordinator it names (a node routes replies
		// by request id).
		id := e.msg.(interface{ GetReqId() uint64 }).GetReqId()
		if co := c.coords[reqid.Call(id)]; co != nil && co.addr == e.to && !co.c.Done() {
			c.dispatch(co, co.c.Step(c.now, e.msg))
		}
		return
	}
	if a := c.accs[e.to]; a != nil {
		reply, known := a.Handle(c.now, e.from, e.msg)
		require.True(c.t, known, "%T is handled", e.msg)
		if r, ok := reply.(interface{ GetReqId() uint64 }); ok && reply != nil {
			c.post(env{from: e.to, to: e.from, msg: r})
		}
	}
}

func (c *cluster) settle() {
	for n := 0; len(c.queue) > 0; n++ {
		require.Less(c.t, n, 1_000_000, "the network never settles")
		c.deliverOne()
	}
}

// drive delivers and ticks until the changes are done or wait for
// nothing.
func (c *cluster) drive(cos ...*coord) {
	c.t.Helper()
	for n := 0; ; n++ {
		require.Less(c.t, n, 10_000, "the changes never end")
		c.settle()
		var due *coord
		for _, co := range cos {
			if d := co.c.Deadline(); !co.c.Done() && d != 0 && (due == nil || d < due.c.Deadline()) {
				due = co
			}
		}
		if due == nil {
			return
		}
		c.now = max(c.now, due.c.Deadline())
		c.dispatch(due, due.c.Tick(c.now))
	}
}

// run drives one change to its end and returns its outcome.
func (c *cluster) run(co *coord) viewchange.Outcome {
	c.t.Helper()
	c.drive(co)
	require.True(c.t, co.c.Done(), "the change ended")
	out, _ := co.c.Outcome()
	return out
}

// sent returns the messages of type T that coordinator co sent.
func sent[T any](c *cluster, co *coord) []T {
	var out []T
	for _, e := range c.log {
		if x, ok := e.msg.(T); ok && e.from == co.addr && reqid.Call(any(x).(interface{ GetReqId() uint64 }).GetReqId()) == co.base {
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

// Writing keys straight into the acceptors of view v.

func held(value string, b uint64, lease int64) *messages.State {
	return &messages.State{Held: true, Value: []byte(value), Token: b, Origin: b, LeaseNs: lease}
}

func free(b uint64) *messages.State { return &messages.State{Origin: b} }

// accept makes the acceptors at addrs accept st at ballot b for key.
func (c *cluster) accept(key string, b uint64, st *messages.State, addrs ...string) {
	c.t.Helper()
	for _, a := range addrs {
		acc := c.accs[a]
		v := acc.View()
		reply, _ := acc.Handle(c.now, "p", &messages.Accept{ReqId: 1, Key: key, Ballot: b, State: st, Next: true,
			ViewVersion: v.Version, ViewHash: v.Hash()})
		require.Equal(c.t, messages.Status_STATUS_OK, reply.(*messages.Vote).GetStatus(), "%s accepts %s at %d", a, key, b)
	}
}

// prepareStatus sends a key vote to addr in view v and returns its status.
func (c *cluster) prepareStatus(addr string, v view.View, key string, b uint64) messages.Status {
	reply, _ := c.accs[addr].Handle(c.now, "p", &messages.Prepare{ReqId: 1, Key: key, Ballot: b,
		ViewVersion: v.Version, ViewHash: v.Hash()})
	return reply.(*messages.Vote).GetStatus()
}

// requireSame checks that acceptor addr holds what want holds of key:
// the accepted ballot and the state (value, token, origin, free or held).
func (c *cluster) requireSame(addr, want, key string) {
	c.t.Helper()
	wa, ws := c.accs[want].State(c.now, key)
	ga, gs := c.accs[addr].State(c.now, key)
	require.NotZero(c.t, wa, "%s has %s", want, key)
	require.Equal(c.t, wa, ga, "%s: accepted ballot of %s", addr, key)
	require.Equal(c.t, ws.GetHeld(), gs.GetHeld(), "%s: %s held", addr, key)
	require.Equal(c.t, ws.GetValue(), gs.GetValue(), "%s: value of %s", addr, key)
	require.Equal(c.t, ws.GetToken(), gs.GetToken(), "%s: token of %s", addr, key)
	require.Equal(c.t, ws.GetOrigin(), gs.GetOrigin(), "%s: origin of %s", addr, key)
}

// requireView checks that every named acceptor is in view v.
func (c *cluster) requireView(v view.View, addrs ...string) {
	c.t.Helper()
	for _, a := range addrs {
		got := c.accs[a].View()
		require.Equal(c.t, v.Version, got.Version, "%s: version", a)
		require.Equal(c.t, v.Hash(), got.Hash(), "%s: view %v, want %v", a, got, v)
		require.True(c.t, slices.Equal(v.Replicas, got.Replicas), "%s: replicas", a)
	}
}

// hear has the recovering acceptor at addr sync once with every master
// it has not heard from, among those that are up and reachable (net).
func (c *cluster) hear(addr string) {
	a := c.accs[addr]
	for _, p := range a.Unheard() {
		peer := c.accs[p]
		if peer == nil || (c.net != nil && c.net(env{from: addr, to: p}) != deliver) {
			continue
		}
		reply, _ := peer.Handle(c.now, addr, a.SyncRequest(p, 0))
		a.ApplySync(c.now, p, reply.(*messages.SyncReply))
	}
}
