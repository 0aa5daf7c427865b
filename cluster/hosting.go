package lockercluster

import (
	"context"
	"sync"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"

	"github.com/protolocker/locker"
)

// activation is one grain this member hosts.
type activation struct {
	ci    *cluster.ClusterIdentity
	key   string
	pid   *actor.PID
	token uint64
	sess  *locker.Session
}

// hosting is the member's table of the grains it hosts and the session
// they are attached to. Its lock orders spawning against the loss of a
// session: a grain is spawned only while its session lives, and a lost
// session's grains are all seen by the loss.
type hosting struct {
	mu     sync.Mutex
	byKey  map[string]*activation
	byName map[string]*activation // pid.Id -> activation
	sess   *locker.Session        // the current session; nil before the first or after a loss
	closed bool
}

func newHosting() *hosting {
	return &hosting{byKey: map[string]*activation{}, byName: map[string]*activation{}}
}

// live returns the hosted activation of key.
func (h *hosting) live(key string) *activation {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.byKey[key]
}

// named returns the hosted activation whose PID has id.
func (h *hosting) named(id string) *activation {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.byName[id]
}

// count returns the number of hosted activations.
func (h *hosting) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.byKey)
}

// spawn records a, then runs spawnFn, unless a's session ended or the
// member is shutting down: then nothing is spawned and false returned.
// spawnFn runs outside the lock (a grain's OnInit may call Token); a
// session lost meanwhile either finds a recorded and stops its grain, or
// ended before the check that follows the spawn, which stops it.
func (h *hosting) spawn(a *activation, spawnFn func() error, stop func(*actor.PID)) bool {
	h.mu.Lock()
	if h.closed || a.sess.Err() != nil || h.byKey[a.key] != nil {
		h.mu.Unlock()
		return false
	}
	h.byKey[a.key] = a
	h.byName[a.pid.Id] = a
	h.mu.Unlock()
	if err := spawnFn(); err != nil {
		h.remove(a.pid.Id)
		return false
	}
	if a.sess.Err() != nil {
		stop(a.pid)
	}
	return true
}

// remove drops the activation whose PID has id and returns it.
func (h *hosting) remove(id string) *activation {
	h.mu.Lock()
	defer h.mu.Unlock()
	a := h.byName[id]
	if a == nil {
		return nil
	}
	delete(h.byName, id)
	if h.byKey[a.key] == a {
		delete(h.byKey, a.key)
	}
	return a
}

// lost returns the PIDs of the activations attached to s and forgets s
// as the current session.
func (h *hosting) lost(s *locker.Session) []*actor.PID {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.sess == s {
		h.sess = nil
	}
	var pids []*actor.PID
	for _, a := range h.byKey {
		if a.sess == s {
			pids = append(pids, a.pid)
		}
	}
	return pids
}

// close marks the table closed (nothing more is spawned) and returns
// every hosted PID and the current session.
func (h *hosting) close() ([]*actor.PID, *locker.Session) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	pids := make([]*actor.PID, 0, len(h.byKey))
	for _, a := range h.byKey {
		pids = append(pids, a.pid)
	}
	return pids, h.sess
}

// session returns the current session, opening one (single-flight
// through opening, a channel so that a waiter counts as durably blocked
// inside a synctest bubble) if there is none or it ended; watchSession is
// started for each new session.
func (l *IdentityLookup) session(ctx context.Context) (*locker.Session, error) {
	select {
	case l.opening <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-l.opening }()
	h := l.hosting
	h.mu.Lock()
	s, closed := h.sess, h.closed
	h.mu.Unlock()
	if closed {
		return nil, locker.ErrStopped
	}
	if s != nil && s.Err() == nil {
		return s, nil
	}
	n := l.Node()
	if n == nil {
		return nil, errNoStore
	}
	s, err := n.NewSession(ctx, l.opts.lease)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		s.Orphan()
		return nil, locker.ErrStopped
	}
	h.sess = s
	h.mu.Unlock()
	if !l.goBackground(func() { l.watchSession(s) }) {
		s.Orphan()
		return nil, locker.ErrStopped
	}
	return s, nil
}

// watchSession stops every grain attached to s as soon as s's Done
// closes: before its lease could end on any master.
func (l *IdentityLookup) watchSession(s *locker.Session) {
	select {
	case <-s.Done():
	case <-l.quit:
		return
	}
	for _, pid := range l.hosting.lost(s) {
		l.system.Root.Stop(pid)
	}
	if s.Err() != nil && !l.stopping() {
		l.log().Warn("lockercluster: session lost; its grains were stopped", "session", s.ID(), "error", s.Err())
	}
}
