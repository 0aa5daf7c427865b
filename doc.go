// Package locker is a distributed, consistent, in-memory lease store for
// protoactor-go clusters: locks, mutexes, leader election and global
// names whose entries expire unless their lease is extended.
//
// Every node runs one lease-holder actor (package actor), which hosts the
// node's acceptor (package lease). A node that writes a key proposes the
// write itself, by per-key Paxos (internal/proposer): a prepare, then an
// accept, each answered by W masters; the node that wrote a key last
// skips the prepare (one round). Chosen states are learned by every node
// of the view, and anti-entropy brings them to those that missed them.
// DirtyRead reads the local table without a message; Read asks the
// masters and answers once W of them agree, writing the newest state back
// when they do not. Membership changes (SetNodes, SetW) seal the old
// view, carry its state into the new one and commit it
// (internal/viewchange).
//
// Fencing tokens: a tenure's token is the ballot of the write that
// started it. Ballots of one key only rise along its chosen states, so a
// later Lock or Update gets a greater token than any earlier one, across
// releases, expiries, restarts and membership changes. See
// docs/protocol.md for the invariants and the whole argument.
package locker
