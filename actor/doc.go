// Package actor hosts a node's acceptor (package lease) in a protoactor
// actor, the lease-holder. It is a thin host: it reads the clock, owns the
// expiry and anti-entropy timers, answers every protocol message with what
// the acceptor returns, publishes the acceptor's view to the node, and
// tells the node what needs a proposer (suspect keys, a rejoin, a stuck
// view change).
//
// The lease-holder is the acceptor's only writer; the acceptor's Store is
// shared with the node for dirty reads that never pass through the actor.
// Unknown messages are dropped and counted, malformed ones answered
// STATUS_BAD_REQUEST, and a panic while handling one is recovered and
// counted: nothing a peer sends stops the node.
//
// Goroutines: none of its own. Two time.AfterFunc timers (expiry and
// anti-entropy) post internal messages to the actor; both are stopped when
// the actor stops.
package actor
