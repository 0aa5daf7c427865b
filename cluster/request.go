package lockercluster

import (
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
)

// ErrNoActivation reports that no activation could be had for a grain.
var ErrNoActivation = errors.New("lockercluster: no activation")

// RequestFuture sends message to the grain identity of kind from c's own
// root context and returns the future of its response. Unlike
// Cluster.RequestFuture it does not use protoactor's process-wide call
// configuration, whose sender context is that of the first cluster that
// made a call.
func RequestFuture(c *cluster.Cluster, identity, kind string, message any, timeout time.Duration) (*actor.Future, error) {
	if c == nil || c.IdentityLookup == nil {
		return nil, fmt.Errorf("%w: no cluster or identity lookup", ErrNoActivation)
	}
	pid, ok := c.PidCache.Get(identity, kind)
	if !ok || pid == nil {
		pid = c.IdentityLookup.Get(cluster.NewClusterIdentity(identity, kind))
		if pid == nil {
			return nil, fmt.Errorf("%w: %s/%s", ErrNoActivation, kind, identity)
		}
		c.PidCache.Set(identity, kind, pid)
	}
	return c.ActorSystem.Root.RequestFuture(pid, message, timeout), nil
}
