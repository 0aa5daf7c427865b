package concurrency

import (
	"fmt"

	"github.com/protolocker/locker"
)

var (
	// ErrNoLeader is returned by Election.Leader when no one leads the
	// election. It matches locker.ErrNotFound.
	ErrNoLeader = fmt.Errorf("concurrency: no leader: %w", locker.ErrNotFound)
	// ErrNotHeld is returned by Mutex.Unlock when the Mutex is not held.
	// It matches locker.ErrNotOwner.
	ErrNotHeld = fmt.Errorf("concurrency: mutex not held: %w", locker.ErrNotOwner)
	// ErrNotLeader is returned by Election.Proclaim when the Election does
	// not lead, or lost its leadership. It matches locker.ErrNotOwner.
	ErrNotLeader = fmt.Errorf("concurrency: not the leader: %w", locker.ErrNotOwner)
)
