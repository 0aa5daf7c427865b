package concurrency

import (
	"context"

	"github.com/protolocker/locker"
)

// Mutex is a lock on one key of the store, held for a session. It is safe
// for concurrent use: as with sync.Mutex, a Lock of a held Mutex waits
// until it is unlocked, and any goroutine may unlock it.
type Mutex struct{ c *core }

// NewMutex returns a Mutex on key for session s. Bad input (a nil session,
// an empty or reserved key) is reported by every call, as an error that
// matches locker.ErrInvalid.
func NewMutex(s *locker.Session, key string) *Mutex { return &Mutex{c: newCore(s, key)} }

// Lock blocks until the Mutex holds its key, the session ends (its error),
// or ctx ends. Callers on one node are served in the order they called.
// The hold lasts until Unlock or the end of the session: select on the
// session's Done while acting as the holder.
func (m *Mutex) Lock(ctx context.Context) error {
	_, err := m.c.lock(ctx, m.c.header, false)
	return err
}

// TryLock takes the key if no one holds it, and fails with an error that
// matches locker.ErrLocked when another tenure holds it or another caller
// on this node holds or awaits it. It makes one attempt, and fails as
// Lock does otherwise.
func (m *Mutex) TryLock(ctx context.Context) error {
	_, err := m.c.lock(ctx, m.c.header, true)
	return err
}

// Unlock releases the key. It fails with ErrNotHeld when the Mutex is not
// held. It returns the session's error when the session ended first: the
// hold may have ended before Unlock. After any other error (no quorum
// until ctx ended) the Mutex is still held: call Unlock again, or close
// the session.
func (m *Mutex) Unlock(ctx context.Context) error { return m.c.unlock(ctx, ErrNotHeld) }

// Token returns the fencing token of the current hold, 0 when the Mutex
// is not held. Tokens of the key rise with every hold, whoever holds it.
func (m *Mutex) Token() uint64 { return m.c.token() }

// Key returns the key the Mutex locks.
func (m *Mutex) Key() string { return m.c.key }
