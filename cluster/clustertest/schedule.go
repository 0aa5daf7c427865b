package clustertest

import (
	"sync"
	"time"
)

// pendingDelivery is a delayed delivery whose timer has not fired yet.
type pendingDelivery struct {
	timer *time.Timer
	d     *delivery
}

// schedule delivers d after delay. Delayed deliveries on one link never run
// concurrently (protoactor remote reads each connection with one goroutine,
// and protoactor futures are not safe against concurrent replies), but they
// may run in any order.
func (n *Network) schedule(delay time.Duration, d *delivery) {
	k := linkKey{d.from, d.target.Address}
	p := &pendingDelivery{d: d}

	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		n.dropped.Add(uint64(len(d.msgs)))
		return
	}
	mu := n.linkMu[k]
	if mu == nil {
		mu = new(sync.Mutex)
		n.linkMu[k] = mu
	}
	n.pending[p] = struct{}{}
	n.inflight.Add(1)
	p.timer = time.AfterFunc(delay, func() {
		defer n.inflight.Done()
		n.mu.Lock()
		_, live := n.pending[p]
		delete(n.pending, p)
		n.mu.Unlock()
		if !live { // cancelled by Shutdown
			n.dropped.Add(uint64(len(d.msgs)))
			return
		}
		mu.Lock()
		defer mu.Unlock()
		n.deliver(d)
	})
}
