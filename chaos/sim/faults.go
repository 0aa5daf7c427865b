package sim

import (
	"slices"

	"github.com/protolocker/locker/internal/view"
)

// scheduleFault injects one fault after a random wait, then the next.
func (w *World) scheduleFault() {
	d := int64(w.rng.ExpFloat64() * float64(w.p.FaultEvery))
	w.after(d, func() {
		if w.settling {
			return
		}
		w.fault()
		w.scheduleFault()
	})
}

func (w *World) fault() {
	var kinds []func()
	if w.p.Partitions {
		kinds = append(kinds, w.partition)
	}
	if w.p.Crashes {
		kinds = append(kinds, w.crashOne)
	}
	if w.p.ViewChanges {
		kinds = append(kinds, w.changeView)
	}
	if len(kinds) > 0 {
		kinds[w.rng.IntN(len(kinds))]()
	}
}

// partition cuts the links between a random group and the rest (one way
// or both), and heals them after a while.
func (w *World) partition() {
	if w.net.cut != nil {
		return
	}
	w.stats.Partitions++
	w.net.cut = make(map[[2]int]bool)
	in := make([]bool, len(w.nodes))
	for i := range in {
		in[i] = w.rng.IntN(2) == 0
	}
	oneWay := w.rng.IntN(4) == 0
	for i := range w.nodes {
		for j := range w.nodes {
			if in[i] && !in[j] {
				w.net.cut[[2]int{i, j}] = true
				if !oneWay {
					w.net.cut[[2]int{j, i}] = true
				}
			}
		}
	}
	w.after(int64(w.p.FaultEvery)/2+w.rng.Int64N(int64(w.p.FaultEvery)*2), func() { w.net.cut = nil })
}

// crashOne crashes a live node, at most N-W masters of each view that
// still matters at a time (tolerated), and restarts it with empty memory
// after a while.
func (w *World) crashOne() {
	n := w.randomAlive()
	if n == nil {
		return
	}
	newest := w.newest()
	if !w.tolerated(n.addr) {
		return // more masters without memory than a view tolerates: only the lock-delay would bring it back
	}
	w.stats.Crashes++
	if w.trace != nil {
		w.trace("%v crash %s (newest view %d %v)", w.Now(), n.addr, newest.Version, newest.Masters)
	}
	n.crash()
	w.after(int64(w.p.FaultEvery)/2+w.rng.Int64N(int64(w.p.FaultEvery)*2), func() {
		if !n.alive {
			if w.trace != nil {
				w.trace("%v restart %s", w.Now(), n.addr)
			}
			n.boot(false)
			w.stats.Restarts++
		}
	})
}

// tolerated reports whether addr may crash: no view that still matters
// would then have more than N-W masters without memory. The newest view
// matters, and so does each one before it until W masters of its
// successor hold the successor: the successor was chosen by W masters of
// the older view, and only they remember it until then.
func (w *World) tolerated(addr string) bool {
	// A view accepted by a master but not committed yet may be chosen:
	// its masters matter too.
	for _, n := range w.nodes {
		if !n.alive {
			continue
		}
		if v, ok := n.acc.AcceptedView(); ok && !w.withinTolerance(v, addr, false) {
			return false
		}
	}
	v := w.newest()
	for v.Version > 0 {
		if !w.withinTolerance(v, addr, true) {
			return false
		}
		holders := 0
		for _, m := range v.Masters {
			if n := w.node(m); n.alive && n.acc.Voting() && n.acc.View().Version >= v.Version {
				holders++
			}
		}
		prev, ok := w.viewAt[v.Version-1]
		if holders >= v.W || !ok {
			return true
		}
		v = prev
	}
	return true
}

// withinTolerance reports whether v keeps at most N-W masters without
// memory if addr crashes; held counts a master that does not hold v yet
// as one (it may find, once it does, that it is not to vote in v).
func (w *World) withinTolerance(v view.View, addr string, held bool) bool {
	down := 0
	for _, m := range v.Masters {
		if n := w.node(m); !n.alive || !n.acc.Voting() || (held && n.acc.View().Version < v.Version) {
			down++
		}
	}
	return !v.IsMaster(addr) || down+1 <= len(v.Masters)-v.W
}

func (w *World) newest() view.View {
	var v view.View
	for _, n := range w.nodes {
		if n.alive && n.acc != nil && n.acc.View().Version > v.Version {
			v = n.acc.View()
		}
	}
	return v
}

// changeView has a random live node change the masters of its view: add
// one, remove one, or replace one, keeping three to five.
func (w *World) changeView() {
	n := w.randomAlive()
	if n == nil {
		return
	}
	v := n.acc.View()
	for _, m := range v.Masters {
		if mn := w.node(m); !mn.alive || !mn.acc.Voting() {
			return // a change now could leave too few masters with memory
		}
	}
	var out []string
	for _, m := range w.nodes {
		if !v.IsMaster(m.addr) {
			out = append(out, m.addr)
		}
	}
	masters := slices.Clone(v.Masters)
	switch r := w.rng.IntN(3); {
	case r == 0 && len(masters) < 5 && len(out) > 0:
		masters = append(masters, out[w.rng.IntN(len(out))])
	case r == 1 && len(masters) > 3:
		i := w.rng.IntN(len(masters))
		masters = slices.Delete(masters, i, i+1)
	case len(out) > 0:
		i := w.rng.IntN(len(masters))
		masters[i] = out[w.rng.IntN(len(out))]
	default:
		return
	}
	var replicas []string
	for _, r := range v.Replicas {
		if !slices.Contains(masters, r) {
			replicas = append(replicas, r)
		}
	}
	target, err := view.NewView(v.Version+1, masters, replicas, 0)
	if err != nil {
		return
	}
	w.stats.ViewChanges++
	n.startChange(target, false, nil)
}

// randomAlive returns a live node chosen at random (nil: none).
func (w *World) randomAlive() *node {
	var alive []*node
	for _, n := range w.nodes {
		if n.alive {
			alive = append(alive, n)
		}
	}
	if len(alive) == 0 {
		return nil
	}
	return alive[w.rng.IntN(len(alive))]
}
