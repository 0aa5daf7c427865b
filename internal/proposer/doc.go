// Package proposer is the pure proposer of one call on one key: Lock,
// Update, ExtendLease, Release or Read, as a state machine with replies
// and time as inputs and messages to masters as outputs (etcd-io/raft's
// Step/Ready shape). It reads no clock, starts no goroutine and sends
// nothing itself; the node (root package) or the simulator hosts it.
//
// A call reads the key's register from a quorum, computes the new state
// from the newest state it read, and writes it; answers are given only on
// chosen states (docs/protocol.md, "Paxos safety, per key"). The node's
// last write of a key lets its next write skip the read (the one-round
// path).
package proposer
