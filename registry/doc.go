// Package registry is a global process registry for protoactor-go built on
// the locker lease store: a name is a key (under a prefix, "registry/" by
// default) whose value is the PID it names and the id of the registering
// registry's session.
//
// There are four ways to name a process:
//
//   - [Registry.PropsOption]: Props that carry it take the actor's id as
//     its name before the actor is spawned, so a plain
//     system.Root.SpawnNamed(props, name) fails with [ErrNameTaken] and
//     spawns nothing when the name is held; the actor then holds its name
//     as with the middleware.
//   - [Registry.Middleware]: an actor whose Props carry it takes its own id
//     as its name when it starts, before its Receive sees *actor.Started.
//     If the name is held elsewhere the actor is stopped (it never sees
//     Started) and a *[NameTaken] event is published.
//   - [Registry.SpawnNamed]: takes the name first, then spawns; it fails
//     with [ErrNameTaken] and spawns nothing when the name is held.
//   - [Registry.Register]: names any PID, local or remote; the name is
//     released when the PID terminates (the registry watches it).
//
// Sessions: every name a Registry holds is attached to one locker session
// of that registry (locker.Node.NewSession), opened with the first
// registration and of TTL the lease ([WithLease], 5s by default). The
// session renews itself in one round every third of its TTL however many
// names are attached, so holding a name costs nothing per name once it is
// taken (a Lock of two rounds, one Release when it is given back). The
// masters end every name of a session when the session ends, and each
// node's table shows the names while it lives. A name held by another
// registry is taken for this one, even for the same PID; within one
// registry a repeated registration of a PID's name succeeds.
//
// Loss: the session's Done closes when no renewal succeeded in time, a
// margin (locker.SessionMargin: a tenth of the TTL, at least 10ms) before
// the session could expire on any master. The registry then stops every
// actor that holds its name through it (PropsOption, the middleware,
// SpawnNamed), before another holder can take the name, drops the names
// given to Register (their processes are not stopped), and publishes a
// *[LeaseLost] event per name. The next registration opens a new session.
// The masters keep the names until the old session expires there: at
// most a TTL after its last renewal attempt (an attempt that reached a
// minority of masters may be completed by a later call).
//
// When an actor that holds its name stops, for any reason, its name is
// released at once (a release that finds no quorum is retried until it
// succeeds or the session ends); a supervised restart keeps it, with its
// fencing token ([Registry.Token]), which is greater than that of every
// earlier holder of the name.
//
// Events are published on the actor system's EventStream as pointers:
// subscribe to *NameTaken and *LeaseLost.
//
// Reads: [Registry.WhereIs] reads the local table (no message, no
// allocation on a hit, possibly stale); [Registry.Lookup] asks a quorum of
// masters. [Registry.Send] sends by name, [Registry.Request] sends and
// waits for the response.
//
// A Registry owns goroutines: call [Registry.Close] when done (it closes
// the session, which releases every name at once), or [Registry.Abandon]
// to let the names expire with the session.
package registry
