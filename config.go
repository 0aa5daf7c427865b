package locker

import (
	"fmt"
	"time"

	"go.opentelemetry.io/otel/metric"
)

// Config configures a node. The zero Config is a complete single-node
// store.
type Config struct {
	// Masters are the addresses of the voting nodes. Empty: this node
	// alone, with W = 1.
	Masters []string
	// Replicas are non-voting nodes that the masters feed asynchronously.
	Replicas []string
	// W is the number of master votes a write needs. 0: a majority of
	// Masters. It must be a majority (so that any two quorums intersect)
	// and at most len(Masters).
	W int
	// Bootstrap says this is the first start of a new cluster, as etcd's
	// initial-cluster-state=new: the node's memory counts as complete, so
	// a master votes at once instead of rejoining (docs/protocol.md,
	// "Restarts and first starts"). Never set it on a restart: a master
	// that restarted with Bootstrap can grant a key another holder still
	// owns and issue tokens below earlier ones.
	Bootstrap bool
	// RequestTimeout bounds an operation whose context has no deadline.
	// Default 5s.
	RequestTimeout time.Duration
	// RoundTimeout bounds how long one round waits for masters that have
	// not answered, when its outcome depends on them; they then count as
	// refusals. A silent master costs a call at most this per round.
	// Default 100ms.
	RoundTimeout time.Duration
	// ReplicationInterval is how often every node asks every master for
	// the state it changed since (anti-entropy); a node that missed a
	// write holds it within this interval plus a round trip. Default
	// 100ms.
	ReplicationInterval time.Duration
	// PromiseTTL is kept for compatibility and has no effect: the ballot
	// protocol has no promises that expire.
	//
	// Deprecated: only checked not to be negative.
	PromiseTTL time.Duration
	// MaxLease bounds the lease of Lock and ExtendLease; masters refuse
	// longer ones. Default 1 minute.
	MaxLease time.Duration
	// LockDelay is how long a master that lost its memory waits before
	// its empty state may be trusted when too few masters with memory
	// remain to rejoin (a majority restarted): every lease it granted is
	// over by then. At least MaxLease + RoundTimeout, which is the
	// default.
	LockDelay time.Duration
	// MeterProvider receives the node's metrics (see the README's
	// "Metrics"). Default: otel.GetMeterProvider(), a no-op until the
	// application sets one.
	MeterProvider metric.MeterProvider
}

// DefaultConfig returns the single-node configuration with every default
// filled in.
func DefaultConfig() Config {
	var c Config
	c.setDefaults()
	return c
}

func (c *Config) setDefaults() {
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 5 * time.Second
	}
	if c.RoundTimeout == 0 {
		c.RoundTimeout = 100 * time.Millisecond
	}
	if c.ReplicationInterval == 0 {
		c.ReplicationInterval = 100 * time.Millisecond
	}
	if c.MaxLease == 0 {
		c.MaxLease = time.Minute
	}
	if c.LockDelay == 0 {
		c.LockDelay = c.MaxLease + c.RoundTimeout
	}
}

// validate checks the durations; the membership is checked as a view.
func (c *Config) validate() error {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"RequestTimeout", c.RequestTimeout},
		{"RoundTimeout", c.RoundTimeout},
		{"ReplicationInterval", c.ReplicationInterval},
		{"PromiseTTL", c.PromiseTTL},
		{"MaxLease", c.MaxLease},
		{"LockDelay", c.LockDelay},
	} {
		if d.v < 0 {
			return fmt.Errorf("%w: %s is negative", ErrInvalid, d.name)
		}
	}
	if c.LockDelay < c.MaxLease+c.RoundTimeout {
		return fmt.Errorf("%w: LockDelay %v is shorter than MaxLease + RoundTimeout (%v)", ErrInvalid, c.LockDelay, c.MaxLease+c.RoundTimeout)
	}
	if c.W < 0 {
		return fmt.Errorf("%w: W is negative", ErrInvalid)
	}
	return nil
}
