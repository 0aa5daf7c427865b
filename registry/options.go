package registry

import (
	"time"
)

// DefaultLease is the lease of a name unless WithLease says otherwise.
const DefaultLease = 5 * time.Second

// DefaultKeyPrefix is the prefix of the store keys that hold names.
const DefaultKeyPrefix = "registry/"

// minMargin is the smallest default safety margin.
const minMargin = 10 * time.Millisecond

// Option configures a Registry.
type Option func(*config)

type config struct {
	lease      time.Duration // lease of each name
	renewEvery time.Duration // time between the send of a successful write and the next renewal
	margin     time.Duration // a holder's deadline is lease - margin after the send
	attempt    time.Duration // bound of one renewal attempt
	retry      time.Duration // pause between failed renewal attempts
	prefix     string
}

// WithLease sets the lease of every name (default 5s). Non-positive
// values keep the default. It must not exceed the node's MaxLease.
func WithLease(d time.Duration) Option { return func(c *config) { c.lease = d } }

// WithRenewEvery sets how long after a successful Lock or ExtendLease was
// sent the next renewal starts (default a third of the lease). Values that
// are not positive, or leave no time before the deadline (lease minus the
// safety margin), keep the default.
func WithRenewEvery(d time.Duration) Option { return func(c *config) { c.renewEvery = d } }

// WithSafetyMargin sets how long before its lease could expire on the
// masters an actor that holds its own name is stopped when renewals fail:
// its deadline is the send time of the last successful Lock or
// ExtendLease plus the lease minus this margin. Default: a tenth of the
// lease, at least 10ms; it is capped at half the lease. The margin covers
// the delay of the Stop system message and clock-rate differences.
func WithSafetyMargin(d time.Duration) Option { return func(c *config) { c.margin = d } }

// WithKeyPrefix sets the prefix of the store keys that hold names
// (default "registry/"; empty keeps it). Registries that share a prefix
// share names.
func WithKeyPrefix(p string) Option { return func(c *config) { c.prefix = p } }

// normalize fills in defaults and keeps the durations consistent.
func (c *config) normalize() {
	if c.lease <= 0 {
		c.lease = DefaultLease
	}
	if c.margin <= 0 {
		c.margin = max(c.lease/10, minMargin)
	}
	c.margin = min(c.margin, c.lease/2)
	if c.renewEvery <= 0 || c.renewEvery >= c.lease-c.margin {
		c.renewEvery = c.lease / 3
	}
	c.attempt = max(c.renewEvery/2, time.Millisecond)
	c.retry = max(c.renewEvery/10, time.Millisecond)
	if c.prefix == "" {
		c.prefix = DefaultKeyPrefix
	}
}
