package locker

import "errors"

// The errors of locker's operations. A failed write always matches
// ErrNoQuorum; when the masters that answered refused because another
// value holds the key, it matches ErrLocked (Lock) or ErrNotOwner (Update,
// ExtendLease, Release) too. Compare with errors.Is.
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
)
