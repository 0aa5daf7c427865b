package lockercluster

import (
	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
)

// placementName is the id of each member's placement actor; the grains
// it hosts are its children.
const placementName = "lockercluster-placement"

// placement is the member's actor that answers ActivationRequests: with
// the grain it hosts, with the holder another member's key names, or by
// taking the key and spawning the grain. Store calls run on goroutines
// that report back to it, so it never blocks.
type placement struct {
	l       *IdentityLookup
	pending map[string]*pending // key -> requests waiting on it
}

// pending is a key the placement actor is working on: an activation
// under way, or the release of a stopped grain's key, which a new
// activation waits for.
type pending struct {
	ci        *cluster.ClusterIdentity
	waiters   []*actor.PID
	releasing bool
}

// activated reports the outcome of an activation attempt.
type activated struct {
	key    string
	a      *activation // the key was taken for a: spawn it
	holder *actor.PID  // another activation holds the key
	err    error
}

// released reports that a stopped grain's key was released (or could
// not be, and ends with its session).
type released struct{ key string }

// Receive implements actor.Actor.
func (p *placement) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *cluster.ActivationRequest:
		p.request(ctx, m)
	case *activated:
		p.activated(ctx, m)
	case *actor.Terminated:
		p.terminated(m)
	case *released:
		p.released(m)
	}
}

func (p *placement) request(ctx actor.Context, m *cluster.ActivationRequest) {
	ci := m.GetClusterIdentity()
	key, err := keyOf(ci)
	if err != nil || !p.l.hostsKind(ci.Kind) {
		respond(ctx, ctx.Sender(), nil)
		return
	}
	if a := p.l.hosting.live(key); a != nil {
		respond(ctx, ctx.Sender(), a.pid)
		return
	}
	if q := p.pending[key]; q != nil {
		if s := ctx.Sender(); s != nil {
			q.waiters = append(q.waiters, s)
		}
		return
	}
	q := &pending{ci: ci}
	if s := ctx.Sender(); s != nil {
		q.waiters = append(q.waiters, s)
	}
	p.pending[key] = q
	p.start(key, ci)
}

// start runs an activation attempt of key on a goroutine.
func (p *placement) start(key string, ci *cluster.ClusterIdentity) {
	if !p.l.goBackground(func() { p.l.system.Root.Send(p.l.placementPID, p.l.activate(key, ci)) }) {
		p.finish(key, nil)
	}
}

func (p *placement) activated(ctx actor.Context, m *activated) {
	var pid *actor.PID
	switch {
	case m.a != nil:
		if p.spawn(ctx, m.a) {
			pid = m.a.pid
		} else {
			// Not spawned: the key is given back, and requests retry.
			p.finish(m.key, nil)
			p.pending[m.key] = &pending{ci: m.a.ci, releasing: true}
			p.release(m.a)
			return
		}
	case m.holder != nil:
		pid = m.holder
	}
	p.finish(m.key, pid)
}

// spawn starts a's grain under its pre-computed PID, a child of the
// placement actor.
func (p *placement) spawn(ctx actor.Context, a *activation) bool {
	props, ok := p.l.kindProps(a.ci.Kind)
	if !ok {
		return false
	}
	props = cluster.WithClusterIdentity(props, a.ci)
	name := a.pid.Id[len(placementName)+1:]
	return p.l.hosting.spawn(a, func() error {
		_, err := ctx.SpawnNamed(props, name)
		if err == nil {
			p.l.kindInc(a.ci.Kind, 1)
		}
		return err
	}, ctx.Stop)
}

// finish answers every request waiting on key with pid (nil: failed).
func (p *placement) finish(key string, pid *actor.PID) {
	q := p.pending[key]
	delete(p.pending, key)
	if q == nil {
		return
	}
	for _, w := range q.waiters {
		p.l.system.Root.Send(fresh(w), response(pid))
	}
}

// terminated releases the key of a hosted grain that stopped.
func (p *placement) terminated(m *actor.Terminated) {
	a := p.l.hosting.remove(m.GetWho().GetId())
	if a == nil {
		return
	}
	p.l.kindInc(a.ci.Kind, -1)
	p.l.cache.forget(a.key, a.pid)
	if q := p.pending[a.key]; q != nil {
		q.releasing = true
	} else {
		p.pending[a.key] = &pending{ci: a.ci, releasing: true}
	}
	p.release(a)
}

// release gives a's key back on a goroutine.
func (p *placement) release(a *activation) {
	if !p.l.goBackground(func() {
		p.l.release(a)
		p.l.system.Root.Send(p.l.placementPID, &released{key: a.key})
	}) {
		delete(p.pending, a.key)
	}
}

// released starts the activation that requests waited for, if any.
func (p *placement) released(m *released) {
	q := p.pending[m.key]
	if q == nil || !q.releasing {
		return
	}
	if len(q.waiters) == 0 {
		delete(p.pending, m.key)
		return
	}
	q.releasing = false
	p.start(m.key, q.ci)
}

func response(pid *actor.PID) *cluster.ActivationResponse {
	if pid == nil {
		return &cluster.ActivationResponse{Failed: true}
	}
	return &cluster.ActivationResponse{Pid: pid}
}

func respond(ctx actor.Context, to, pid *actor.PID) {
	if to != nil {
		ctx.Send(fresh(to), response(pid))
	}
}

// fresh copies pid without the process it cached: a reply to a future
// that timed out meanwhile then goes to dead letters instead of writing
// into the finished future, which protoactor does not guard.
func fresh(pid *actor.PID) *actor.PID { return actor.NewPID(pid.Address, pid.Id) }
