package locker

import (
	"sync/atomic"

	"github.com/protolocker/locker/internal/proposer"
)

// Stats counts what a node has done since it started: the calls it
// coordinated and what its lease-holder handled.
type Stats struct {
	// Coordinator: the calls this node ran.
	Calls         uint64 // calls that ended
	Failed        uint64 // of those, calls that ended without an answer (no quorum, indeterminate, invalid)
	Indeterminate uint64 // of those, calls that may have taken effect
	SilentMasters uint64 // rounds that stopped waiting for a master that did not answer
	Batched       uint64 // requests sent to masters
	Messages      uint64 // messages that carried them (fewer when concurrent calls travel together)
	SessionsLost  uint64 // sessions of this node whose Done closed unrenewed

	// Lease-holder: what this node's acceptor handled and keeps.
	Requests    uint64 // protocol messages handled
	BadRequests uint64 // malformed requests, answered STATUS_BAD_REQUEST
	Unknown     uint64 // messages of unknown types, dropped
	WrongView   uint64 // votes refused for a view mismatch
	Rejected    uint64 // votes refused for a ballot below the promise
	NotReady    uint64 // votes refused while recovering
	Sealed      uint64 // votes refused while a view change sealed the view
	Expired     uint64 // keys unpublished by expiry
	Syncs       uint64 // anti-entropy requests sent
	Panics      uint64 // messages whose handling panicked (a bug; nothing else is affected)
	Keys        int    // keys kept (held, expired, free or only promised)
	Promises    int    // of those, keys with only a promise
	Sessions    int    // sessions with keys attached here
}

// callStats counts the calls a node ran.
type callStats struct {
	calls, failed, indeterminate, silent, lost atomic.Uint64
}

func (c *callStats) record(out proposer.Outcome, silent int) {
	c.calls.Add(1)
	switch out {
	case proposer.Indeterminate:
		c.indeterminate.Add(1)
		c.failed.Add(1)
	case proposer.NoQuorum, proposer.Invalid:
		c.failed.Add(1)
	}
	if silent > 0 {
		c.silent.Add(uint64(silent))
	}
}

// Stats returns the node's counters.
func (n *Node) Stats() Stats {
	h := n.holder.Stats()
	req, frames := n.batching()
	return Stats{
		Calls: n.calls.calls.Load(), Failed: n.calls.failed.Load(), Indeterminate: n.calls.indeterminate.Load(),
		SilentMasters: n.calls.silent.Load(), Batched: req, Messages: frames, SessionsLost: n.calls.lost.Load(),
		Requests: h.Requests, BadRequests: h.BadRequests, Unknown: h.Unknown, WrongView: h.WrongView,
		Rejected: h.Rejected, NotReady: h.NotReady, Sealed: h.Sealed, Expired: h.Expired, Syncs: h.Syncs,
		Panics: h.Panics, Keys: h.Keys, Promises: h.Promises, Sessions: h.Sessions,
	}
}
