package actor

import "sync/atomic"

// Stats counts what a lease-holder has handled since it started.
type Stats struct {
	Requests    uint64 // protocol requests handled
	BadRequests uint64 // malformed requests, answered STATUS_BAD_REQUEST
	Unknown     uint64 // messages of unknown types, dropped
	WrongView   uint64 // votes refused for a membership mismatch
	Expired     uint64 // entries deleted by expiry
	Replicated  uint64 // log records sent to replicas
	Replayed    uint64 // log records replayed from masters
	Panics      uint64 // messages whose handling panicked (a bug; the table is left as it was at the panic)
}

type counters struct {
	requests, badRequests, unknown, wrongView, expired, replicated, replayed, panics atomic.Uint64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Requests:    c.requests.Load(),
		BadRequests: c.badRequests.Load(),
		Unknown:     c.unknown.Load(),
		WrongView:   c.wrongView.Load(),
		Expired:     c.expired.Load(),
		Replicated:  c.replicated.Load(),
		Replayed:    c.replayed.Load(),
		Panics:      c.panics.Load(),
	}
}
