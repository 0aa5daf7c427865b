// Package lease is the pure lease table of one node: values with expiry,
// per-key promises (write locks of the two-phase protocol), the node's
// fencing-token counter and the replicas' replay rules.
//
// The package does no I/O and reads no clock: every method that depends on
// time takes now, a monotonic reading in nanoseconds supplied by the caller.
// A Table has a single writer (the lease-holder actor); its Store may be
// read concurrently by any goroutine, without locks on a hit.
//
// Expiry costs O(log n) per key: deadlines live in min-heaps with lazy
// deletion, and the caller asks NextDeadline when to call Expire again.
package lease
