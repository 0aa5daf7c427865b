package locker

import (
	"runtime"
	"sync"

	"github.com/protolocker/locker/messages"
)

// outbox coalesces what a node's calls send to one lease-holder: votes
// requests (Prepare, Accept, ReadRequest) and learns without an ack. A
// send that finds the outbox idle goes on the caller's goroutine, after
// one scheduler round when other calls are under way; sends meanwhile
// queue, and the sender then flushes them together: every request queued
// in one Batch, every learned state in one Learn (group commit, with no
// timer and no added latency for a lone call). Concurrent Locks from one node to a master thus
// travel many to a message, and their votes come back in one Votes.
type outbox struct {
	mu       sync.Mutex
	flushing bool
	reqs     []any
	learned  []*messages.Learned
}

// outboxStats counts what a node's outboxes sent.
type outboxStats struct {
	mu               sync.Mutex
	requests, frames uint64 // requests sent, and the messages that carried them
}

// outbox returns the outbox to the lease-holder at addr.
func (n *Node) outbox(addr string) *outbox {
	if o, ok := n.outboxes.Load(addr); ok {
		return o.(*outbox)
	}
	o, _ := n.outboxes.LoadOrStore(addr, &outbox{})
	return o.(*outbox)
}

// post sends a request or an unacknowledged learn to the lease-holder at
// addr through its outbox.
func (n *Node) post(addr string, msg any) {
	o := n.outbox(addr)
	o.mu.Lock()
	if l, ok := msg.(*messages.Learn); ok {
		o.learned = append(o.learned, l.GetEntries()...)
	} else {
		o.reqs = append(o.reqs, msg)
	}
	if o.flushing {
		o.mu.Unlock()
		return // the sender under way takes it
	}
	o.flushing = true
	if n.inflight.Load() > 1 {
		// Other calls are under way: let the goroutines ready to run
		// send too before this one flushes (a scheduler round). A lone
		// call sends at once.
		o.mu.Unlock()
		runtime.Gosched()
		o.mu.Lock()
	}
	for {
		reqs, learned := o.reqs, o.learned
		o.reqs, o.learned = nil, nil
		if len(reqs) == 0 && len(learned) == 0 {
			o.flushing = false
			o.mu.Unlock()
			return
		}
		o.mu.Unlock()
		n.flush(addr, reqs, learned)
		o.mu.Lock()
	}
}

// flush sends what an outbox gathered: a lone request as it is, more in
// a Batch; the learned states in one Learn, or in the Batch when there
// is one.
func (n *Node) flush(addr string, reqs []any, learned []*messages.Learned) {
	if len(reqs) == 0 {
		if len(learned) > 0 {
			n.tell(addr, &messages.Learn{Entries: learned})
		}
		return
	}
	n.sent.mu.Lock()
	n.sent.requests += uint64(len(reqs))
	n.sent.frames++
	n.sent.mu.Unlock()
	if len(reqs) == 1 && len(learned) == 0 {
		n.send(addr, reqs[0])
		return
	}
	b := &messages.Batch{Learned: learned}
	for _, r := range reqs {
		switch m := r.(type) {
		case *messages.Prepare:
			b.Prepares = append(b.Prepares, m)
		case *messages.Accept:
			b.Accepts = append(b.Accepts, m)
		case *messages.ReadRequest:
			b.Reads = append(b.Reads, m)
		}
	}
	n.send(addr, b)
}

// batching returns how many requests the node's outboxes sent, and in
// how many messages.
func (n *Node) batching() (requests, frames uint64) {
	n.sent.mu.Lock()
	defer n.sent.mu.Unlock()
	return n.sent.requests, n.sent.frames
}
