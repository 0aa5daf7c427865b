package sim

// network is the simulated network's faults: directed links that drop
// everything (partitions).
type network struct {
	cut map[[2]int]bool
}

// localDelay is the delivery time of a node's message to itself (its own
// mailbox): never lost, never duplicated.
const localDelay = int64(5e3)

// sendTo sends msg from n to the node at addr.
func (w *World) sendTo(n *node, addr string, msg any) {
	if to := w.node(addr); to != nil {
		w.deliver(n, to, msg)
	}
}

// deliver puts msg on the wire from a to b, through the faults.
func (w *World) deliver(a, b *node, msg any) {
	w.stats.Messages++
	from := a.addr
	if a == b {
		w.after(localDelay, func() { b.receive(from, msg) })
		return
	}
	if w.net.cut[[2]int{a.idx, b.idx}] || w.rng.Float64() < w.p.Loss {
		w.stats.Dropped++
		return
	}
	copies := 1
	if w.rng.Float64() < w.p.Dup {
		copies = 2
		w.stats.Duplicated++
	}
	for range copies {
		d := int64(w.p.Delay) / 10
		d += w.rng.Int64N(int64(w.p.Delay) - d + 1)
		w.after(d, func() { b.receive(from, msg) })
	}
}
