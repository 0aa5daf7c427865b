// Package registry is a global process registry for protoactor-go built on
// the locker lease store: a name is a key (under a prefix, "registry/" by
// default) whose value is the PID it names, held under a lease that the
// registering node renews while the process lives.
//
// There are three ways to name a process:
//
//   - Middleware: an actor whose Props carry [Registry.Middleware] takes its
//     own id as its name when it starts, before its Receive sees
//     *actor.Started. If another PID holds the name the actor is stopped
//     (it never sees Started) and a [NameTaken] event is published.
//   - [Registry.SpawnNamed]: takes the name first, then spawns; it fails
//     with [ErrNameTaken] and spawns nothing when the name is held.
//   - [Registry.Register]: names any PID, local or remote; the name is
//     released when the PID terminates (the registry watches it).
//
// Names are renewed in the background, every third of the lease by
// default, without blocking the actor. The registry computes a deadline
// from the moment the last successful Lock or ExtendLease was sent: the
// lease minus a safety margin. An actor that holds its own name (through
// the middleware or SpawnNamed) is stopped at that deadline if no renewal
// succeeded by then, so it stops before another node can take its name,
// and a [LeaseLost] event is published. When such an actor stops, for any
// reason, its name is released at once; a supervised restart keeps it.
//
// Reads: [Registry.WhereIs] reads the local table (no message, no
// allocation on a hit, possibly stale); [Registry.Lookup] asks a quorum of
// masters. [Registry.Send] sends by name.
//
// A Registry owns goroutines and timers: call [Registry.Close] when done
// (it releases the names), or [Registry.Abandon] to let them expire.
package registry
