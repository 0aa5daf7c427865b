package lockercluster

import (
	"bytes"
	"sync"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
)

// cacheWatch keeps track of the PIDs this member's Get handed to the
// cluster's PidCache, and removes them from it when their activation
// ends: at once when the grain terminates (one Watch per cached PID, by
// one actor), and, for a host that cannot tell (partitioned or dead), when
// the local table shows the key released or taken by another activation
// (a sweep every WithSweep).
type cacheWatch struct {
	l       *IdentityLookup
	mu      sync.Mutex
	byKey   map[string]*cached
	byPID   map[string]*cached // pid.Address + "/" + pid.Id
	watcher *actor.PID
}

// cached is one PID this member cached.
type cached struct {
	ci     *cluster.ClusterIdentity
	key    string
	pid    *actor.PID
	value  []byte // the key's value while pid holds it
	misses int    // consecutive sweeps that found the key absent
}

// watchPID and unwatchPID are the cache watcher's local messages.
type (
	watchPID   struct{ pid *actor.PID }
	unwatchPID struct{ pid *actor.PID }
)

func newCacheWatch(l *IdentityLookup) *cacheWatch {
	return &cacheWatch{l: l, byKey: map[string]*cached{}, byPID: map[string]*cached{}}
}

func pidKey(p *actor.PID) string { return p.Address + "/" + p.Id }

// Receive implements actor.Actor for the cache watcher.
func (c *cacheWatch) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *watchPID:
		ctx.Watch(m.pid)
	case *unwatchPID:
		ctx.Unwatch(m.pid)
	case *actor.Terminated:
		c.terminated(m.GetWho())
	}
}

// remember records that pid was handed out for ci.
func (c *cacheWatch) remember(key string, ci *cluster.ClusterIdentity, pid *actor.PID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.byKey[key]; old != nil {
		if old.pid.Equal(pid) {
			return
		}
		c.dropLocked(old)
	}
	e := &cached{ci: ci, key: key, pid: actor.NewPID(pid.Address, pid.Id), value: encodePID(pid)}
	c.byKey[key] = e
	c.byPID[pidKey(pid)] = e
	if c.watcher != nil {
		c.l.system.Root.Send(c.watcher, &watchPID{pid: actor.NewPID(pid.Address, pid.Id)})
	}
}

// forget removes pid as the cached activation of key, here and from the
// PidCache.
func (c *cacheWatch) forget(key string, pid *actor.PID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.byKey[key]; e != nil && e.pid.Equal(pid) {
		c.dropLocked(e)
	}
}

func (c *cacheWatch) terminated(who *actor.PID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.byPID[pidKey(who)]; e != nil {
		c.dropLocked(e)
	}
}

func (c *cacheWatch) dropLocked(e *cached) {
	delete(c.byKey, e.key)
	delete(c.byPID, pidKey(e.pid))
	c.l.cluster.PidCache.RemoveByValue(e.ci.Identity, e.ci.Kind, e.pid)
	if c.watcher != nil {
		c.l.system.Root.Send(c.watcher, &unwatchPID{pid: actor.NewPID(e.pid.Address, e.pid.Id)})
	}
}

// sweep drops the cached PIDs whose key the local table shows taken by
// another value, or absent twice in a row (a fresh activation may not
// have reached this table yet). It runs only while this member's table
// is fed (it is in the store's view).
func (c *cacheWatch) sweep() {
	n := c.l.Node()
	if n == nil || !c.l.inView() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.byKey {
		v, err := n.DirtyRead(e.key)
		switch {
		case err == nil && bytes.Equal(v, e.value):
			e.misses = 0
		case err == nil:
			c.dropLocked(e)
		default:
			e.misses++
			if e.misses >= 2 {
				c.dropLocked(e)
			}
		}
	}
}
