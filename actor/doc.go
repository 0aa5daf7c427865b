// Package actor hosts a node's lease table in a protoactor actor, the
// lease-holder. It is a thin host: it reads the clock, owns the expiry and
// replication timers, checks the membership fingerprint of votes, and
// forwards every request to package lease, answering with the wire
// messages of package messages.
//
// The lease-holder is the only writer of its table; the table's Store is
// shared with the node for dirty reads that never pass through the actor.
// Unknown or malformed messages are answered with STATUS_BAD_REQUEST when
// they expect an answer, dropped otherwise, and counted in Stats.
//
// Goroutines: none of its own. Two time.AfterFunc timers (expiry and
// replication) post internal messages to the actor; both are stopped when
// the actor stops.
package actor
