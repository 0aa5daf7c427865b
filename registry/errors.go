package registry

import (
	"errors"

	"github.com/asynkron/protoactor-go/actor"
)

// The errors of the registry. Compare with errors.Is: a failed
// registration may also match locker errors (locker.ErrLocked when another
// value holds the name, locker.ErrNoQuorum when the masters could not
// decide, locker.ErrInvalid for a bad name or PID).
var (
	// ErrNameTaken: another PID holds the name.
	ErrNameTaken = errors.New("registry: name taken")
	// ErrNotRegistered: the name is not held (by anyone for Lookup, Send
	// and WhereIs; by this registry for Unregister).
	ErrNotRegistered = errors.New("registry: not registered")
	// ErrClosed: the registry was closed.
	ErrClosed = errors.New("registry: closed")
	// ErrLeaseLost: a name's lease could not be renewed before its
	// deadline, or the masters hold another value or none.
	ErrLeaseLost = errors.New("registry: lease lost")
)

// NameTaken is published on the actor system's EventStream when an actor
// spawned with the middleware could not take its name. The actor is
// stopped and never sees *actor.Started. Err matches ErrNameTaken when
// another PID holds the name; otherwise it says why the name could not be
// taken (for instance locker.ErrNoQuorum, locker.ErrInvalid or ErrClosed).
type NameTaken struct {
	Name string
	PID  *actor.PID // the actor that was stopped
	Err  error
}

// LeaseLost is published on the actor system's EventStream when a name
// held by this registry could not be renewed before its deadline, or was
// found held by another value or by none. When the PID is an actor that
// holds its own name (middleware or SpawnNamed), it has been stopped; a
// name given to Register is only dropped. Err matches ErrLeaseLost and
// wraps the last renewal error.
type LeaseLost struct {
	Name string
	PID  *actor.PID
	Err  error
}
