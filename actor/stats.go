package actor

import "sync/atomic"

// Stats counts what a lease-holder has handled since it started.
type Stats struct {
	Requests    uint64 // protocol messages handled
	BadRequests uint64 // malformed requests, answered STATUS_BAD_REQUEST
	Unknown     uint64 // messages of unknown types, dropped
	WrongView   uint64 // votes refused for a view mismatch
	Rejected    uint64 // votes refused for a ballot below the promise
	NotReady    uint64 // votes refused while recovering
	Sealed      uint64 // votes refused while a view change seals the view
	Expired     uint64 // keys unpublished by expiry
	Syncs       uint64 // anti-entropy requests sent
	Panics      uint64 // messages whose handling panicked (a bug; the acceptor is left as it was at the panic)
	Keys        int    // keys the acceptor keeps (held, expired or free), as of the holder's last message
	Promises    int    // of those, keys with only a promise
	Sessions    int    // sessions with keys attached here
}

type counters struct {
	requests, badRequests, unknown, wrongView, rejected, notReady, sealed, expired, syncs, panics atomic.Uint64
}

func (c *counters) snapshot(h *Holder) Stats {
	return Stats{
		Requests:    c.requests.Load(),
		BadRequests: c.badRequests.Load(),
		Unknown:     c.unknown.Load(),
		WrongView:   c.wrongView.Load(),
		Rejected:    c.rejected.Load(),
		NotReady:    c.notReady.Load(),
		Sealed:      c.sealed.Load(),
		Expired:     c.expired.Load(),
		Syncs:       c.syncs.Load(),
		Panics:      c.panics.Load(),
		Keys:        int(h.keys.Load()),
		Promises:    int(h.promises.Load()),
		Sessions:    int(h.sessions.Load()),
	}
}
