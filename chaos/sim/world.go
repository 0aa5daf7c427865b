// Package sim is locker's deterministic simulator. It runs the real pure
// state machines (lease.Acceptor, proposer.Op, viewchange.Change) of
// several nodes on one goroutine, on a simulated network and simulated
// clocks, from one seed: message loss, duplication, delay and
// reordering, partitions, crashes with empty-memory restarts, view
// changes and drifting clock rates. A run with the same seed and profile
// replays exactly.
//
// The node hosting code here mirrors the root package's Node and the
// lease-holder actor: route replies to calls by request id, learn chosen
// states, adopt newer views, sync with masters every interval, rejoin
// after a restart, repair suspect keys.
package sim

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/protolocker/locker/internal/view"
)

// Profile is what one run does.
type Profile struct {
	Masters  int           // masters of the first view (3 or 5)
	Replicas int           // replicas of the first view
	Spares   int           // extra nodes, outside the first view, that view changes may add
	Clients  int           // clients, each on a random node
	Ops      int           // operations per client
	Keys     int           // distinct keys
	Think    time.Duration // pause between a client's operations (random up to this)
	Lease    time.Duration // Lock and ExtendLease lease (random between Lease/4 and Lease when Short)
	Short    bool          // short leases: expiry matters (the mutual-exclusion workload)
	Sessions bool          // with Short: keys attached to sessions (the session workload)

	Loss, Dup    float64       // per message
	Delay        time.Duration // one-way delay is random in [Delay/10, Delay]
	Drift        float64       // clock rates within 1±Drift
	FaultEvery   time.Duration // mean time between faults (0: none)
	Crashes      bool          // faults include crashes with empty-memory restarts
	ViewChanges  bool          // faults include view changes
	Partitions   bool          // faults include partitions
	MaxLease     time.Duration // masters' MaxLease
	LockDelay    time.Duration
	RoundTimeout time.Duration
	ReqTimeout   time.Duration
	Interval     time.Duration // anti-entropy interval
}

// World is one simulated run.
type World struct {
	p      Profile
	seed   int64
	rng    *rand.Rand
	now    int64 // global simulated time, ns
	seq    uint64
	queue  events
	nodes  []*node
	byAddr map[string]*node
	net    network

	clients    []*client
	active     int                  // clients not done yet
	views      map[uint64]uint64    // view hash seen per version
	viewAt     map[uint64]view.View // the first view seen per version
	stopAt     int64                // Run returns at this time (debugging); 0: never
	settling   bool
	settleEnd  int64
	quietSince int64

	trace       func(format string, args ...any) // debugging output, when set
	traceClient int                              // only this client's calls are traced; -1: every client
	traceKey    string                           // the syncs of this key are traced

	hist    *History
	checker *Checker
	stats   Stats
	err     error
}

// Stats counts what a run did.
type Stats struct {
	Events, Messages, Dropped, Duplicated      int
	Ops, OK, Refused, Unknown                  int
	Crashes, Restarts, Partitions, ViewChanges int
	Committed                                  int // view changes committed (rejoins included)
	Tenures                                    int
	Repairs                                    int
	Reaped                                     int // reads of abandoned keys
	Unrecoverable                              int // runs that ended with too few masters with memory to check convergence
}

type event struct {
	at  int64
	seq uint64
	fn  func()
}

// events is a binary min-heap of events by time, then by sequence.
type events []event

func (e events) less(i, j int) bool {
	return e[i].at < e[j].at || (e[i].at == e[j].at && e[i].seq < e[j].seq)
}

func (e *events) push(x event) {
	*e = append(*e, x)
	h := *e
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func (e *events) pop() event {
	h := *e
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h[last] = event{}
	h = h[:last]
	for i := 0; ; {
		l := 2*i + 1
		if l >= len(h) {
			break
		}
		m := l
		if r := l + 1; r < len(h) && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	*e = h
	return top
}

// after runs fn d ns from now.
func (w *World) after(d int64, fn func()) {
	w.seq++
	w.queue.push(event{at: w.now + max(d, 0), seq: w.seq, fn: fn})
}

// New builds a world for seed and profile p.
func New(seed int64, p Profile) *World {
	w := &World{p: p, seed: seed, rng: rand.New(rand.NewPCG(uint64(seed), 0x5eed)), traceClient: -1}
	w.hist = &History{}
	w.checker = newChecker(w)
	w.build()
	return w
}

// fail records the first invariant violation; the run stops.
func (w *World) fail(format string, args ...any) {
	if w.err == nil {
		w.err = fmt.Errorf("seed %d, t=%v: %s", w.seed, time.Duration(w.now), fmt.Sprintf(format, args...))
	}
}

// Run runs the workload and the faults, then heals everything and lets
// the cluster settle, checking invariants after every event, and
// convergence at the end. It returns the first violation.
func (w *World) Run() error {
	w.startClients()
	if w.p.FaultEvery > 0 {
		w.scheduleFault()
	}
	for len(w.queue) > 0 && w.err == nil {
		if !w.settling && w.clientsDone() {
			w.settle()
		}
		e := w.queue.pop()
		if w.stopAt != 0 && e.at >= w.stopAt {
			w.queue.push(e)
			return nil
		}
		w.now = e.at
		w.stats.Events++
		e.fn()
		w.checkViews()
		if w.settling && w.now >= w.settleEnd && w.settled() {
			break
		}
	}
	if w.err == nil {
		w.checkConvergence()
	}
	return w.err
}

// settled reports that no call or view change has been in flight for
// three anti-entropy intervals (or that settling has gone on too long).
func (w *World) settled() bool {
	switch {
	case w.now >= w.settleEnd+int64(40*w.p.RoundTimeout):
		return true
	case !w.quiet():
		w.quietSince = 0
	case w.quietSince == 0:
		w.quietSince = w.now
	}
	return w.quietSince != 0 && w.now-w.quietSince >= int64(3*w.p.Interval)
}

// checkViews fails if two nodes hold different views of one version:
// a view change chooses one view per version.
func (w *World) checkViews() {
	if w.views == nil {
		w.views, w.viewAt = make(map[uint64]uint64), make(map[uint64]view.View)
	}
	for _, n := range w.nodes {
		if !n.alive || n.acc == nil {
			continue
		}
		v := n.acc.View()
		if v.Version == 1 {
			continue // each node's configuration
		}
		seen := [2]uint64{v.Version, v.Hash()}
		if n.checked == seen {
			continue
		}
		n.checked = seen
		if h, ok := w.views[v.Version]; !ok {
			w.views[v.Version] = v.Hash()
			w.viewAt[v.Version] = v
		} else if h != v.Hash() {
			w.fail("two views of version %d: %s holds %v", v.Version, n.addr, v.Masters)
		}
	}
}

// quiet reports that no call or view change is in flight on any node.
func (w *World) quiet() bool {
	for _, n := range w.nodes {
		if n.alive && (len(n.calls) > 0 || len(n.changes) > 0) {
			return false
		}
	}
	return true
}

// Stats returns what the run did.
func (w *World) Stats() Stats { return w.stats }

// History returns the run's operations, for the linearizability check.
func (w *World) History() *History { return w.hist }

// Now returns the simulated time.
func (w *World) Now() time.Duration { return time.Duration(w.now) }

// traceCall returns the proposer trace of a client's calls when the
// world traces that client (traceClient), nil otherwise.
func (w *World) traceCall(c *client) func(string, ...any) {
	if w.trace == nil || c == nil || (w.traceClient >= 0 && c.id != w.traceClient) {
		return nil
	}
	return func(format string, args ...any) {
		w.trace("%v c%d "+format, append([]any{w.Now(), c.id}, args...)...)
	}
}
