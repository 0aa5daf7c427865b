package registry

import (
	"log/slog"

	"github.com/asynkron/protoactor-go/actor"
)

// Middleware returns receiver middleware that makes an actor hold its own
// id as its name, for Props:
//
//	props := actor.PropsFromProducer(p, actor.WithReceiverMiddleware(reg.Middleware()))
//
// The name is ctx.Self().Id: "ping" for SpawnNamed(props, "ping") from the
// root context, "parent/child" for a child spawned as "child" by
// "parent", and a generated id such as "$12" for Spawn.
//
// When the actor receives *actor.Started, the middleware takes the name
// (synchronously: a Lock attached to the registry's session, bounded by
// the lease once one of the registry's Lock slots is free) before
// passing Started on. If another PID or another registry holds the name,
// or it cannot be taken, the actor is stopped without seeing Started (nor
// Stopping and Stopped), the failure is logged and a *NameTaken event is
// published on the actor system's EventStream. protoactor has already
// spawned the actor by then; PropsOption refuses the spawn itself.
//
// The name lives while the registry's session does: nothing is renewed
// per name, and no message of the registry reaches the actor. When the
// session is lost (see the package documentation) the actor is stopped
// and a *LeaseLost event is published. When the actor stops, for any
// reason, the name is released at once. A restart by a supervisor keeps
// the name and its token.
func (r *Registry) Middleware() actor.ReceiverMiddleware {
	return func(next actor.ReceiverFunc) actor.ReceiverFunc {
		return func(ctx actor.ReceiverContext, env *actor.MessageEnvelope) {
			switch env.Message.(type) {
			case *actor.Started:
				if r.started(ctx) {
					next(ctx, env)
				}
			case *actor.Stopping:
				if !r.wasRefused(ctx, false) {
					next(ctx, env)
				}
			case *actor.Stopped:
				if !r.wasRefused(ctx, true) {
					r.stopped(ctx)
					next(ctx, env)
				}
			default:
				next(ctx, env)
			}
		}
	}
}

// PropsOption returns a Props option that makes the actor hold its own id
// as its name, and takes the name before the actor is spawned:
//
//	props := actor.PropsFromProducer(p, reg.PropsOption())
//	pid, err := system.Root.SpawnNamed(props, "ping") // errors.Is(err, registry.ErrNameTaken) when held
//
// It installs Middleware as receiver middleware, and a spawn function
// (actor.WithSpawnFunc) that every spawn of the Props goes through, from
// the root context or from a parent actor: it takes the name (the new
// actor's id) and then spawns with actor.DefaultSpawner. When the name
// is held elsewhere, or cannot be taken, the spawn fails with that error
// (ErrNameTaken, locker.ErrNoQuorum, ...) and nothing is spawned; when
// the spawn itself fails (actor.ErrNameExists) the name is released.
// The actor then holds its name as Middleware describes.
//
// The spawn function replaces any set with actor.WithSpawnFunc before
// it, and one set after it replaces it. (A Props' spawn middleware,
// actor.WithSpawnMiddleware, applies to the children the actor spawns,
// not to the actor itself.)
func (r *Registry) PropsOption() actor.PropsOption {
	mw := r.Middleware()
	return func(p *actor.Props) {
		actor.WithReceiverMiddleware(mw)(p)
		actor.WithSpawnFunc(r.spawn)(p)
	}
}

// spawn is PropsOption's spawn function.
func (r *Registry) spawn(sys *actor.ActorSystem, id string, props *actor.Props, parent actor.SpawnerContext) (*actor.PID, error) {
	if err := checkName(id); err != nil {
		return nil, err
	}
	self := actor.NewPID(sys.Address(), id)
	if err := checkPID(self); err != nil {
		return nil, err
	}
	h, joined, err := r.acquire(r.ctx, claim{
		name: id, pid: self, sys: sys, stopOnLoss: true, spawn: true, timeout: r.cfg.lease,
	})
	if err != nil {
		return nil, err
	}
	pid, err := actor.DefaultSpawner(sys, id, props, parent)
	if err != nil && !joined {
		r.mu.Lock()
		drop := h.state == held && h.owner == nil
		if drop {
			r.dropLocked(h)
		}
		r.mu.Unlock()
		if drop {
			<-h.gone
		}
	}
	return pid, err
}

// started takes the actor's name; false when the actor was refused it
// (and is being stopped).
func (r *Registry) started(ctx actor.ReceiverContext) bool {
	self := ctx.Self()
	sys := ctx.ActorSystem()
	err := checkName(self.Id)
	if err == nil {
		err = checkPID(self)
	}
	if err == nil {
		_, _, err = r.acquire(r.ctx, claim{
			name: self.Id, pid: actor.NewPID(self.Address, self.Id), sys: sys,
			owner: ctx, stopOnLoss: true, timeout: r.cfg.lease,
		})
	}
	if err == nil {
		return true
	}
	r.mu.Lock()
	r.refused[ctx] = struct{}{}
	r.mu.Unlock()
	sys.Root.Stop(self)
	ctx.Logger().Warn("registry: actor stopped, its name could not be taken",
		slog.String("name", self.Id), slog.Any("err", err))
	sys.EventStream.Publish(&NameTaken{Name: self.Id, PID: actor.NewPID(self.Address, self.Id), Err: err})
	return false
}

// wasRefused reports whether the actor was refused its name at Started;
// forget drops that memory (at Stopped).
func (r *Registry) wasRefused(ctx actor.ReceiverContext, forget bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.refused[ctx]
	if ok && forget {
		delete(r.refused, ctx)
	}
	return ok
}

// stopped releases the name the stopping actor holds.
func (r *Registry) stopped(ctx actor.ReceiverContext) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if h := r.held[ctx.Self().Id]; h != nil && h.state == held && h.owner == ctx {
		r.dropLocked(h)
	}
}

// SpawnNamed takes a name, then spawns props under it with
// parent.SpawnNamed(props, name). The name registered is the new actor's
// id: name itself from a root context, "<parent id>/<name>" from an actor.
// If another PID or registry holds the name it fails with ErrNameTaken
// and spawns nothing; if the spawn fails the name is released.
//
// props should carry Middleware or PropsOption: the actor then claims the
// name when it starts and holds it as described there. Without either
// the name is still held, released when the actor terminates (the
// registry watches it), and the actor is stopped if the session is lost.
func (r *Registry) SpawnNamed(parent actor.SpawnerContext, props *actor.Props, name string) (*actor.PID, error) {
	id := name
	if _, root := parent.(*actor.RootContext); !root && parent.Self() != nil {
		id = parent.Self().Id + "/" + name
	}
	if err := checkName(name); err != nil {
		return nil, err
	}
	if err := checkName(id); err != nil {
		return nil, err
	}
	sys := parent.ActorSystem()
	placeholder := actor.NewPID(sys.Address(), id)
	if err := checkPID(placeholder); err != nil {
		return nil, err
	}
	h, _, err := r.acquire(r.ctx, claim{
		name: id, pid: placeholder, sys: sys, stopOnLoss: true, fresh: true, reserve: true, timeout: r.cfg.lease,
	})
	if err != nil {
		return nil, err
	}
	pid, err := parent.SpawnNamed(props, name)
	r.mu.Lock()
	h.reserved = false
	switch {
	case h.state != held:
		// Lost or closed meanwhile: the actor's middleware, if any, takes
		// the name anew or stops it.
	case err != nil && h.owner == nil:
		r.dropLocked(h)
		r.mu.Unlock()
		<-h.gone
		return nil, err
	case err == nil:
		r.watchLocked(h)
	}
	r.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return pid, nil
}
