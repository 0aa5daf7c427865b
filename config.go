package locker

import (
	"fmt"
	"time"
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
	// RequestTimeout bounds an operation whose context has no deadline.
	// Default 5s.
	RequestTimeout time.Duration
	// ReplicationInterval is how often masters push their committed writes
	// to replicas. Default 100ms.
	ReplicationInterval time.Duration
	// PromiseTTL is how long a master keeps an unused promise (phase one
	// of Lock and Update) before dropping it. Default 2s.
	PromiseTTL time.Duration
	// MaxLease bounds the lease of Lock and ExtendLease; masters refuse
	// longer ones. Default 1 minute.
	MaxLease time.Duration
	// LockDelay is how long a master that restarted (with empty memory)
	// waits before it votes again, so that every lease and promise it may
	// have granted before is over. At least MaxLease + PromiseTTL, which
	// is the default.
	LockDelay time.Duration
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
	if c.ReplicationInterval == 0 {
		c.ReplicationInterval = 100 * time.Millisecond
	}
	if c.PromiseTTL == 0 {
		c.PromiseTTL = 2 * time.Second
	}
	if c.MaxLease == 0 {
		c.MaxLease = time.Minute
	}
	if c.LockDelay == 0 {
		c.LockDelay = c.MaxLease + c.PromiseTTL
	}
}

// validate checks the durations; the membership is checked as a view.
func (c *Config) validate() error {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"RequestTimeout", c.RequestTimeout},
		{"ReplicationInterval", c.ReplicationInterval},
		{"PromiseTTL", c.PromiseTTL},
		{"MaxLease", c.MaxLease},
		{"LockDelay", c.LockDelay},
	} {
		if d.v < 0 {
			return fmt.Errorf("%w: %s is negative", ErrInvalid, d.name)
		}
	}
	if c.LockDelay < c.MaxLease+c.PromiseTTL {
		return fmt.Errorf("%w: LockDelay %v is shorter than MaxLease + PromiseTTL (%v)", ErrInvalid, c.LockDelay, c.MaxLease+c.PromiseTTL)
	}
	if c.W < 0 {
		return fmt.Errorf("%w: W is negative", ErrInvalid)
	}
	return nil
}
