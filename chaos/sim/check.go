package sim

import (
	"bytes"
	"fmt"
	"slices"
	"time"

	"github.com/protolocker/locker/internal/quorum"
	"github.com/protolocker/locker/internal/view"
	"github.com/protolocker/locker/messages"
)

// Checker checks mutual exclusion and fencing tokens as holders come and
// go, in global time: when a holder starts (or resumes) using a tenure,
// no other tenure of the key may still be valid, and a new tenure's token
// must exceed every earlier tenure's.
type Checker struct {
	w    *World
	keys map[string][]*tenure
}

type tenure struct {
	token uint64
	start int64
	end   int64
	op    *Op
}

func newChecker(w *World) *Checker { return &Checker{w: w, keys: make(map[string][]*tenure)} }

// begin records that the holder of token uses key from start to end.
func (c *Checker) begin(key string, token uint64, start, end int64, op *Op) {
	if start >= end {
		return // the reply came after the lease: never used
	}
	ts := c.keys[key]
	var mine *tenure
	for _, t := range ts {
		switch {
		case t.token == token:
			mine = t
		case t.end > start:
			c.w.fail("two holders of %s: token %d (%s) valid until %v, token %d (%s) from %v",
				key, t.token, describe(t.op), time.Duration(t.end), token, describe(op), time.Duration(start))
			return
		}
	}
	if mine != nil {
		mine.end = end
		return
	}
	for _, t := range ts {
		if t.token >= token {
			c.w.fail("token of %s went backwards: %d (%s) after %d (%s)", key, token, describe(op), t.token, describe(t.op))
			return
		}
	}
	c.keys[key] = append(ts, &tenure{token: token, start: start, end: end, op: op})
}

// setEnd moves the end of a tenure's validity.
func (c *Checker) setEnd(key string, token uint64, end int64) {
	for _, t := range c.keys[key] {
		if t.token == token {
			t.end = end
		}
	}
}

func describe(op *Op) string {
	if op == nil {
		return "?"
	}
	return fmt.Sprintf("client %d %s(%s) on %s [%v..%v] -> %s", op.Client, op.Kind, op.Val, op.Node,
		time.Duration(op.Call), time.Duration(op.Return), op.Outcome)
}

// settle ends the faults and the workload, heals the network, restarts
// every crashed node and lets the cluster run on its own, so that
// convergence can be checked.
func (w *World) settle() {
	w.settling = true
	w.net.cut = nil
	w.p.Loss, w.p.Dup = 0, 0
	for _, n := range w.nodes {
		if !n.alive {
			n.boot(false)
			w.stats.Restarts++
		}
	}
	w.settleEnd = w.now + int64(40*w.p.Interval) + int64(20*w.p.RoundTimeout)
}

// checkConvergence checks that every live node holds the newest view, that
// every master of it votes, and that masters and replicas hold the same
// state of every key.
func (w *World) checkConvergence() {
	var newest view.View
	for _, n := range w.nodes {
		if v := n.acc.View(); v.Version > newest.Version {
			newest = v
		}
	}
	members := append(slices.Clone(newest.Masters), newest.Replicas...)
	voting := 0
	for _, m := range newest.Masters {
		if w.node(m).acc.Voting() {
			voting++
		}
	}
	if voting < max(newest.W, quorum.Meet(len(newest.Masters), newest.W)) {
		// More masters lost their memory than the view tolerates (a
		// rejoin needs W masters with memory to accept its view); only
		// the lock-delay fallback can bring it back, and the profile's
		// lock-delay may be longer than the settling time.
		w.stats.Unrecoverable++
		return
	}
	for _, a := range members {
		n := w.node(a)
		switch {
		case n.acc.View().Version != newest.Version:
			w.fail("after settling, %s holds view %d, not %d", a, n.acc.View().Version, newest.Version)
			return
		case newest.IsMaster(a) && !n.acc.Voting():
			w.fail("after settling, master %s of view %d does not vote", a, newest.Version)
			return
		}
	}
	ref := w.node(newest.Masters[0])
	keys := map[string]bool{}
	for _, a := range members {
		for _, k := range w.node(a).acc.Keys() {
			keys[k] = true
		}
	}
	for k := range keys {
		b0, s0 := ref.acc.State(ref.now(), k)
		for _, a := range members[1:] {
			n := w.node(a)
			b, s := n.acc.State(n.now(), k)
			same := b == b0 && s.GetHeld() == s0.GetHeld() && bytes.Equal(s.GetValue(), s0.GetValue()) &&
				s.GetToken() == s0.GetToken() && s.GetOrigin() == s0.GetOrigin()
			live := n.live(k, s) || ref.live(k, s0)
			if !same && live { // an expired lease and a dropped tombstone say the same
				var detail string
				for _, m := range members {
					mn := w.node(m)
					acc, st := mn.acc.State(mn.now(), k)
					p, chosen := mn.acc.Promise(k)
					detail += fmt.Sprintf("\n\t%s: accepted %d promised %d chosen %v voting %v: %v", m, acc, p, chosen, mn.acc.Voting(), st)
				}
				w.fail("after settling, %s holds %s at ballot %d, %s at %d:%s", a, k, b, ref.addr, b0, detail)
				return
			}
		}
	}
}

// live reports whether a state the node reports for key is live there:
// its lease runs, or it is attached to a session that is live there.
func (n *node) live(key string, st *messages.State) bool {
	if !st.GetHeld() {
		return false
	}
	if st.GetSession() == 0 {
		return st.GetLeaseNs() > 0
	}
	_, ok := n.acc.Store().Get(key)
	return ok
}
