// Package lockercluster is an identity lookup for protoactor-go's cluster
// (virtual actors, "grains") that activates every ClusterIdentity at most
// once cluster-wide, at every moment, by holding each activation as a
// lease in the locker store.
//
// Use it as the third argument of cluster.Configure:
//
//	lookup := lockercluster.NewIdentityLookup(
//		lockercluster.WithSeeds("10.0.0.1:8090", "10.0.0.2:8090", "10.0.0.3:8090"),
//	)
//	cfg := cluster.Configure("app", provider, lookup, remoteCfg, cluster.WithKinds(kinds...))
//
// # Activations
//
// Each member runs a locker node ([IdentityLookup.Node]) and one session
// of TTL the lease ([WithLease], 5s by default). A new activation of
// kind K and identity I is placed by rendezvous hashing over the members
// hosting K; that member takes the key "grain/K/I" on its session, with
// the activation's PID as value, before it spawns the grain under that
// PID. A member that finds the key held answers with the holder's PID.
// Joins never move a running grain: an activation belongs to its host's
// lease, not to a hash.
//
// When the host's session cannot be renewed in time (its Done closes, a
// margin before the lease could end on any master), every grain it hosts
// is stopped. A minority side of a partition therefore activates nothing
// new and stops its grains before their leases end; the majority side
// activates them again only after those leases are over. When a grain
// stops its key is released, and every member that cached its PID
// forgets it: each member watches the PIDs it handed to its PidCache and
// checks them against its local table.
//
// A grain reads its activation's fencing token with [Token]: it is
// greater for every later activation of the same identity.
//
// # Membership
//
// The store's voters (masters) are drawn from the members: the seeds
// ([WithSeeds]), or the members of a marker kind ([WithSeedKind]), are
// the first masters; afterwards the members keep the
// current masters while they are present, fill up to [WithVoters] with
// the lowest addresses among the other members, change one master at a
// time (adding before removing), and remove a departed master only after
// a grace period ([WithGrace]). Every other member is a replica and reads
// the table locally. The lowest present master carries out each change;
// the others learn it from the store. A member restarting at the same
// address is not a membership change.
//
// # protoactor-go pitfalls handled here
//
// The ClusterTopology event is published while the member list's lock is
// held: the lookup only stores it and hands it to an actor. Setup runs
// before any member is known. Cluster.Shutdown(false) never calls the
// lookup's Shutdown, so the lookup shuts itself down once the actor system
// is stopped; Shutdown(true) calls it twice, and it is idempotent.
// RemovePid is never called, so nothing depends on it. Cluster.Request
// retries after 50ns: Get itself waits for an activation, within
// [WithActivationTimeout]. Cluster.RequestFuture uses a process-wide call
// configuration: [RequestFuture] avoids it. The lookup sends only
// protoactor's own cluster messages and locker's, which every member
// links. A grain vetoed at Started would drop its queued messages, so the
// lease is taken before the grain is spawned.
package lockercluster
