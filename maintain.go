package locker

import (
	"context"
	"sync"
	"time"

	"github.com/protolocker/locker/internal/proposer"
	"github.com/protolocker/locker/internal/viewchange"
)

// maxRepairs bounds the repair reads a node runs at once.
const maxRepairs = 16

// maintenance is the background work the lease-holder asks of its node:
// repair reads of suspect keys, reads that end abandoned keys, a rejoin
// while the node's memory is not complete, and a change that ends a view
// change whose coordinator went away.
type maintenance struct {
	mu          sync.Mutex
	repairing   map[string]bool
	changing    bool
	retryAt     time.Time
	wait        time.Duration
	sealedSince time.Time
}

// Observed drops the node's last write of key when another proposer wrote
// it since (actor.Host).
func (n *Node) Observed(key string, b uint64) { n.local.Observed(key, b) }

// Heard clears the failure detector for a node that sent the lease-holder
// a message (actor.Host).
func (n *Node) Heard(addr string) { n.down.clear(addr) }

// Maintain starts the background calls the lease-holder's state calls for
// (actor.Host). It runs on the holder's goroutine and never blocks.
func (n *Node) Maintain(suspects, abandoned []string, voting, sealed bool) {
	if !n.ready.Load() {
		return
	}
	m := &n.maint
	m.mu.Lock()
	defer m.mu.Unlock()
	select {
	case <-n.stopped: // checked under mu, which Stop closes it under: no bg.Go after bg.Wait
		return
	default:
	}
	if m.repairing == nil {
		m.repairing = make(map[string]bool)
	}
	for _, key := range suspects {
		if !m.repairing[key] && len(m.repairing) < maxRepairs {
			m.repairing[key] = true
			n.bg.Go(func() { n.repair(key, true) })
		}
	}
	for _, key := range abandoned {
		if !m.repairing[key] && len(m.repairing) < maxRepairs {
			m.repairing[key] = true
			n.bg.Go(func() { n.repair(key, false) })
		}
	}
	now := time.Now()
	switch {
	case !sealed:
		m.sealedSince = time.Time{}
	case m.sealedSince.IsZero():
		m.sealedSince = now
	}
	v := n.members.Load()
	rejoin := !voting && v.IsMaster(n.Address())
	stuck := sealed && now.Sub(m.sealedSince) > 4*n.cfg.RoundTimeout
	if (rejoin || stuck) && !m.changing && !now.Before(m.retryAt) {
		m.changing = true
		n.bg.Go(func() { n.rechange(rejoin) })
	}
}

// repair reads key through a quorum. A repair of a suspect writes the
// newest state back to every master; a read of an abandoned key writes its
// expiry, after which the key is dropped.
func (n *Node) repair(key string, suspect bool) {
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.RequestTimeout)
	defer cancel()
	_, _ = n.run(ctx, proposer.Request{Kind: proposer.Read, Key: key, Repair: suspect})
	n.maint.mu.Lock()
	delete(n.maint.repairing, key)
	n.maint.mu.Unlock()
}

// rechange runs a change to the node's own view's masters: a rejoin
// (which moves the state into this node), or the end of a stuck change.
// After a failure the next try waits a jittered, doubling while, so that
// nodes do not keep sealing over each other.
func (n *Node) rechange(rejoin bool) {
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.RequestTimeout)
	defer cancel()
	v := n.members.Load()
	out, _, err := n.change(ctx, v, v, rejoin)
	m := &n.maint
	m.mu.Lock()
	defer m.mu.Unlock()
	m.changing = false
	if err == nil && (out == viewchange.OK || out == viewchange.Completed) {
		m.wait = 0
		return
	}
	m.wait = min(max(2*m.wait, n.cfg.ReplicationInterval), 16*n.cfg.ReplicationInterval)
	m.retryAt = time.Now().Add(m.wait/2 + time.Duration(n.local.Jitter(int64(m.wait/2)+1)))
}
