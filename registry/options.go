package registry

import (
	"time"
)

// DefaultLease is the TTL of the registry's session unless WithLease
// says otherwise.
const DefaultLease = 5 * time.Second

// DefaultKeyPrefix is the prefix of the store keys that hold names.
const DefaultKeyPrefix = "registry/"

// DefaultRequestTimeout bounds Request when its context has no deadline.
const DefaultRequestTimeout = 5 * time.Second

// Option configures a Registry.
type Option func(*config)

type config struct {
	lease  time.Duration // TTL of the session the names are attached to
	prefix string
}

// WithLease sets the TTL of the registry's session, which every name it
// holds is attached to (default 5s). The session is renewed every third
// of it, and counts as lost a margin before it could expire on any
// master (locker.SessionMargin: a tenth, at least 10ms). Non-positive
// values keep the default. It must not exceed the node's MaxLease:
// registrations fail with locker.ErrInvalid if it does.
func WithLease(d time.Duration) Option { return func(c *config) { c.lease = d } }

// WithRenewEvery has no effect: the registry's session renews itself
// every third of its TTL.
//
// Deprecated: the names are attached to one session per registry, whose
// renewal period is fixed by its TTL (WithLease).
func WithRenewEvery(time.Duration) Option { return func(*config) {} }

// WithSafetyMargin has no effect: a session counts as lost
// locker.SessionMargin(TTL) before it could expire on any master, and
// the actors that hold their names through it are stopped then.
//
// Deprecated: the margin is the session's (locker.SessionMargin).
func WithSafetyMargin(time.Duration) Option { return func(*config) {} }

// WithKeyPrefix sets the prefix of the store keys that hold names
// (default "registry/"; empty keeps it). Registries that share a prefix
// share names.
func WithKeyPrefix(p string) Option { return func(c *config) { c.prefix = p } }

// normalize fills in defaults.
func (c *config) normalize() {
	if c.lease <= 0 {
		c.lease = DefaultLease
	}
	if c.prefix == "" {
		c.prefix = DefaultKeyPrefix
	}
}
