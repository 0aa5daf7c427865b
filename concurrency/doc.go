// Package concurrency builds mutexes and leader elections on locker
// sessions, as etcd's client/v3/concurrency does on leases.
//
// A Mutex holds one key of the store, attached to a session: the key
// lives while the session does, and each hold carries the fencing token
// of its tenure, which rises with every new hold of the key. An Election
// is a Mutex whose holder, the leader, publishes a value that anyone can
// read (Leader) or follow (Observe).
//
// # Waiting without a herd
//
// The store has no revisions or prefix ranges to queue waiters on, so the
// queue is kept on each node: callers of Lock or Campaign for the same
// key on the same node line up in a process-wide FIFO queue, and only the
// head of the queue talks to the store. It tries to take the key, and
// while another holds it waits on the node's table (Node.WaitForRelease)
// until the key is gone, then tries again. The head leaves the queue when
// it gives up, or when the hold it won ends (Unlock, Resign, or the end of
// its session); the next caller then becomes the head. A release thus
// wakes one waiter per node at most, and the next local waiter takes the
// key in one call (a prepare and an accept). Within a node, holds are
// granted in the order Lock was called; between nodes, in the order their
// heads reach the masters after a release.
//
// # Losing a hold
//
// A hold lasts as long as its session. When the session ends (it could
// not be renewed in time, it was closed, or its node stopped), its Done
// channel closes before the key could have expired on any master, and a
// holder must stop acting as one then. Select on the session's Done
// beside the work a hold protects:
//
//	select {
//	case <-s.Done():
//		// lost: s.Err() says why; stop using m.Token()
//	case <-work:
//	}
//
// Lock and Campaign fail at once with the session's error once the
// session has ended; create a new session to lock again. When a holder's
// node dies, its key is free on the masters once the session's TTL has
// passed, and the next waiter takes it one call later.
//
// # Values
//
// The value a Mutex or Election writes to its key starts with a header
// naming the session and the Mutex or Election (a tag byte, the session
// id and a process-wide sequence number), followed, for an Election, by
// the campaign's value. The header is what lets a caller tell its own
// hold apart from any other when a write ends in locker.ErrIndeterminate
// and a Read settles it. Write such keys only through this package;
// Leader and Observe return the campaign's value without the header.
package concurrency
