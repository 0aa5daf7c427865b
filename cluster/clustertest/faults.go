package clustertest

import (
	"math/rand/v2"
	"time"
)

// linkKey names the directed link from one address to another.
type linkKey struct {
	from, to string
}

// plan is the set of faults that apply to one message on one link.
type plan struct {
	cut   bool
	drop  float64
	dup   float64
	delay time.Duration
}

// Cut stops delivery in both directions between a and b. Messages are
// dropped silently and counted in Stats.Dropped.
func (n *Network) Cut(a, b string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.cuts[linkKey{a, b}] = struct{}{}
	n.cuts[linkKey{b, a}] = struct{}{}
}

// CutOneWay stops delivery of messages sent from from to to; the other
// direction keeps working.
func (n *Network) CutOneWay(from, to string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.cuts[linkKey{from, to}] = struct{}{}
}

// Isolate cuts addr from every other address in both directions, including
// systems that join the network later. Local messages inside addr still work.
func (n *Network) Isolate(addr string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.isolated[addr] = struct{}{}
}

// Heal removes every cut, isolation, drop rate, duplication rate and delay.
// Deliveries already delayed still happen when their delay elapses.
func (n *Network) Heal() {
	n.mu.Lock()
	defer n.mu.Unlock()
	clear(n.cuts)
	clear(n.isolated)
	clear(n.drops)
	clear(n.dups)
	clear(n.delays)
	n.filter = nil
	n.delayIf = nil
}

// Filter decides whether a user message from one address to another is
// dropped: it sees the message as sent (before cloning) and must not
// modify it.
type Filter func(from, to string, msg any) (drop bool)

// DelayIf installs f to delay chosen user messages, such as one protocol
// phase, by the duration it returns (0: no extra delay), on top of the
// link's Delay; nil removes it, and so does Heal. f runs on the sender's
// goroutine and must be safe for concurrent use.
func (n *Network) DelayIf(f func(from, to string, msg any) time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.delayIf = f
}

// DropIf installs f to drop chosen user messages, such as one protocol
// phase, in addition to the other faults; nil removes it, and so does
// Heal. f runs on the sender's goroutine and must be safe for concurrent
// use.
func (n *Network) DropIf(f Filter) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.filter = f
}

// Drop makes the directed link from from to to lose each message with
// probability p (clamped to [0, 1]; 0 removes the fault). The random source
// is seeded, see Seed.
func (n *Network) Drop(from, to string, p float64) {
	n.setRate(n.drops, from, to, p)
}

// Duplicate makes the directed link from from to to deliver a second, separate
// clone of each message with probability p (clamped to [0, 1]; 0 removes the
// fault). Both copies are delivered one after the other by the same
// goroutine.
func (n *Network) Duplicate(from, to string, p float64) {
	n.setRate(n.dups, from, to, p)
}

// Delay makes the directed link from from to to deliver each message d after
// it was sent, using time.AfterFunc (so it works in fake time inside a
// testing/synctest bubble). Messages may be reordered. d <= 0 removes the
// delay. A message delayed to or from a node that is killed or restarted
// before it arrives is dropped.
func (n *Network) Delay(from, to string, d time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if d <= 0 {
		delete(n.delays, linkKey{from, to})
		return
	}
	n.delays[linkKey{from, to}] = d
}

// Seed reseeds the random source used by Drop and Duplicate.
func (n *Network) Seed(seed int64) {
	n.randMu.Lock()
	defer n.randMu.Unlock()
	n.rng = rand.New(rand.NewPCG(uint64(seed), 0))
}

func (n *Network) setRate(rates map[linkKey]float64, from, to string, p float64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	switch {
	case p <= 0 || p != p: // p != p: NaN
		delete(rates, linkKey{from, to})
	case p >= 1:
		rates[linkKey{from, to}] = 1
	default:
		rates[linkKey{from, to}] = p
	}
}

// planLocked returns the faults of the link from -> to. n.mu must be held.
func (n *Network) planLocked(from, to string) plan {
	k := linkKey{from, to}
	_, cut := n.cuts[k]
	if !cut {
		_, cut = n.isolated[from]
	}
	if !cut {
		_, cut = n.isolated[to]
	}

	return plan{cut: cut, drop: n.drops[k], dup: n.dups[k], delay: n.delays[k]}
}

// chance reports true with probability p.
func (n *Network) chance(p float64) bool {
	if p <= 0 {
		return false
	}
	if p >= 1 {
		return true
	}
	n.randMu.Lock()
	defer n.randMu.Unlock()

	return n.rng.Float64() < p
}
