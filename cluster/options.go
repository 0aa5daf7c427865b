package lockercluster

import (
	"time"

	"github.com/protolocker/locker"
)

// Option configures an IdentityLookup.
type Option func(*options)

type options struct {
	lease      time.Duration
	voters     int
	seeds      []string
	seedKind   string
	bootstrap  bool
	grace      time.Duration
	activation time.Duration
	sweep      time.Duration
	store      locker.Config
}

func defaultOptions() options {
	return options{lease: 5 * time.Second, voters: 3}
}

// WithLease sets the activation lease: the TTL of each member's session,
// which its grains are attached to. A host that loses contact with a
// quorum of masters stops its grains within it, and another member can
// activate them once it is over. Default 5s.
func WithLease(d time.Duration) Option { return func(o *options) { o.lease = d } }

// WithVoters sets how many members are masters of the store. Default 3.
func WithVoters(n int) Option { return func(o *options) { o.voters = n } }

// WithSeeds names the first masters of the store by address (host:port,
// as Member.Address). Every member is configured with the same list.
func WithSeeds(addrs ...string) Option {
	return func(o *options) { o.seeds = append([]string(nil), addrs...) }
}

// WithSeedKind takes the first masters from the topology instead of a
// list: the members that host kind, once WithVoters of them are present.
// Until then the member's store does not run and it activates nothing.
// Every member must start with the same first masters, so register kind
// on exactly WithVoters members (a kind of its own, such as
// "locker-seed", whose grains nobody requests): a member that sees more
// of them logs an error and waits. Like the seeds, they are only the
// first masters: a member that starts later learns the current ones from
// those it reaches. Exclusive with WithSeeds.
func WithSeedKind(kind string) Option { return func(o *options) { o.seedKind = kind } }

// WithBootstrap says that this start is the first of a new cluster
// (locker.Config.Bootstrap): the seeds vote at once. Never set it when a
// seed restarts: without it a restarted master rejoins the others, or,
// when a majority restarted, waits until every lease it could have
// granted is over.
func WithBootstrap() Option { return func(o *options) { o.bootstrap = true } }

// WithGrace sets how long a master must be absent from the topology
// before it is removed from the store's masters. Default twice the
// lease.
func WithGrace(d time.Duration) Option { return func(o *options) { o.grace = d } }

// WithActivationTimeout bounds how long Get waits for an activation
// before it returns nil. Default the lease plus one second: long enough
// for the lease of a host that died to end.
func WithActivationTimeout(d time.Duration) Option { return func(o *options) { o.activation = d } }

// WithSweep sets how often a member checks the PIDs it cached against its
// local table. Default a tenth of the lease.
func WithSweep(d time.Duration) Option { return func(o *options) { o.sweep = d } }

// WithStoreConfig sets the locker configuration of the member's store
// node (timeouts, replication interval, meter provider). Masters,
// Replicas, W and Bootstrap are set by the lookup; MaxLease is raised to
// the lease if it is shorter (by default it is the lease, so that a
// majority of masters restarting waits no longer than a lease).
func WithStoreConfig(c locker.Config) Option { return func(o *options) { o.store = c } }
