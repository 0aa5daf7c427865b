package locker

import "errors"

// The errors of locker's operations. A failed write always matches
// ErrNoQuorum; when a quorum's state refused it, it matches ErrLocked
// (Lock), ErrNotOwner (Update, ExtendLease, Release) or ErrNotFound too,
// and when it may have taken effect, ErrIndeterminate. Compare with
// errors.Is.
var (
	// ErrNoQuorum: fewer than W masters granted or acknowledged the write.
	ErrNoQuorum = errors.New("locker: no quorum")
	// ErrLocked: Lock found the key held by another value.
	ErrLocked = errors.New("locker: locked")
	// ErrNotOwner: the key holds another value than the caller's.
	ErrNotOwner = errors.New("locker: not owner")
	// ErrNotFound: the key is not held (reads, WaitForRelease, and writes
	// that need the key present).
	ErrNotFound = errors.New("locker: not found")
	// ErrInvalid: a bad argument (empty key, nil value, lease out of range,
	// bad membership); nothing was sent.
	ErrInvalid = errors.New("locker: invalid argument")
	// ErrStopped: the node was stopped.
	ErrStopped = errors.New("locker: node stopped")
	// ErrExists: a lease-holder is already running on the actor system.
	ErrExists = errors.New("locker: already started on this actor system")
	// ErrIndeterminate: the write failed after its own state was proposed
	// to the masters, so it may have taken effect (now or later, when
	// another call completes it). It also matches ErrNoQuorum. Read the key
	// on the same node to settle it: that Read writes the newest state
	// back, after which the write has taken effect or never will. A Lock
	// retried with the same value that finds the key held by that value
	// was the one that took effect.
	ErrIndeterminate error = indeterminate{}
	// ErrSessionLost: a session could not be renewed in time (its Done
	// closed before it could expire on a master), or the masters hold it
	// expired.
	ErrSessionLost = errors.New("locker: session lost")
	// ErrSessionClosed: the session was closed.
	ErrSessionClosed = errors.New("locker: session closed")
)

type indeterminate struct{}

func (indeterminate) Error() string {
	return "locker: indeterminate: the write may have taken effect; Read the key on this node to settle it"
}

// Is makes ErrIndeterminate match ErrNoQuorum: the write did not reach a
// quorum as far as the caller can tell.
func (indeterminate) Is(target error) bool { return target == ErrNoQuorum }
