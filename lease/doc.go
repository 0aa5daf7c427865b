// Package lease is the acceptor of one node: per key, the promised ballot,
// the accepted state and its local deadline, plus the node's share of view
// changes (seal, dump, install) and of anti-entropy (a numbered log of its
// changes). docs/protocol.md states the rules and why they are safe.
//
// The package does no I/O and reads no clock. Every method that depends
// on time takes now, a monotonic reading in nanoseconds supplied by the
// caller; messages come in as values and replies go out as values. An
// Acceptor has a single writer (the lease-holder actor, or the simulator);
// its Store may be read concurrently by any goroutine, without locks on a
// hit.
//
// Expiry costs O(log n) per key: deadlines live in min-heaps with lazy
// deletion, and the caller asks NextDeadline when to call Expire again.
package lease
