package registry

import (
	"errors"

	"github.com/asynkron/protoactor-go/actor"
)

// The errors of the registry. Compare with errors.Is: a failed
// registration may also match locker errors (locker.ErrLocked when another
// holder has the name, locker.ErrNoQuorum when the masters could not
// decide, locker.ErrInvalid for a bad name or PID). A name found taken in
// the store matches locker.ErrNoQuorum too, as every refused write does:
// test ErrNameTaken first.
var (
	// ErrNameTaken: another PID, or another registry, holds the name.
	ErrNameTaken = errors.New("registry: name taken")
	// ErrNotRegistered: the name is not held (by anyone for Lookup, Send,
	// Request and WhereIs; by this registry for Unregister).
	ErrNotRegistered = errors.New("registry: not registered")
	// ErrClosed: the registry was closed.
	ErrClosed = errors.New("registry: closed")
	// ErrLeaseLost: the session a name was attached to ended without
	// Close: it could not be renewed in time, or the node stopped.
	ErrLeaseLost = errors.New("registry: lease lost")
)

// NameTaken is published, as a *NameTaken, on the actor system's
// EventStream when an actor spawned with the middleware could not take
// its name. The actor is stopped and never sees *actor.Started. Err
// matches ErrNameTaken when another PID or registry holds the name;
// otherwise it says why the name could not be taken (for instance
// locker.ErrNoQuorum, locker.ErrInvalid or ErrClosed). A spawn through
// PropsOption fails instead, and publishes nothing.
type NameTaken struct {
	Name string
	PID  *actor.PID // the actor that was stopped
	Err  error
}

// LeaseLost is published, as a *LeaseLost, on the actor system's
// EventStream for every name held by a registry whose session was lost.
// When the PID is an actor that holds its own name (PropsOption,
// middleware or SpawnNamed), it has been stopped, before the session could
// expire on any master; a name given to Register is only dropped. Err
// matches ErrLeaseLost and wraps why the session ended
// (locker.ErrSessionLost, or locker.ErrStopped when the node stopped).
type LeaseLost struct {
	Name string
	PID  *actor.PID
	Err  error
}
