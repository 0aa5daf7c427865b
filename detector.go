package locker

import (
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/eventstream"
	"github.com/asynkron/protoactor-go/remote"
)

// downSet is the node's failure detector: masters known down, counted as
// refusals at once by every round until they answer again. A master is
// known down when protoactor reports its endpoint terminated; any reply
// from it, or a new connection, clears it. A master that is merely silent
// costs a round its RoundTimeout, and only when the round's outcome
// depends on it.
type downSet struct {
	n  atomic.Int32 // len(m), read without the lock on the hot path
	mu sync.Mutex
	m  map[string]bool
}

func (d *downSet) mark(addr string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.m == nil {
		d.m = make(map[string]bool)
	}
	if !d.m[addr] {
		d.m[addr] = true
		d.n.Add(1)
	}
}

func (d *downSet) clear(addr string) {
	if d.n.Load() == 0 {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.m[addr] {
		delete(d.m, addr)
		d.n.Add(-1)
	}
}

func (d *downSet) has(addr string) bool {
	if d.n.Load() == 0 {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.m[addr]
}

// watchEndpoints subscribes the failure detector to the system's endpoint
// events. The handler runs on the publisher's goroutine and only touches
// the set.
func (n *Node) watchEndpoints() *eventstream.Subscription {
	return n.system.EventStream.Subscribe(func(evt any) {
		switch e := evt.(type) {
		case *remote.EndpointTerminatedEvent:
			n.down.mark(e.Address)
		case *remote.EndpointConnectedEvent:
			n.down.clear(e.Address)
		}
	})
}
