package registry

import (
	"context"
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
// (synchronously, within the lease) before passing Started on. If another
// PID holds the name, or it cannot be taken, the actor is stopped without
// seeing Started (nor Stopping and Stopped), the failure is logged and a
// NameTaken event is published on the actor system's EventStream.
//
// While the actor lives its name is renewed in the background; the
// actor's messages never wait for a renewal, and no message of the
// registry reaches the actor. If no renewal succeeds before the deadline
// (the send time of the last successful write, plus the lease, minus the
// safety margin) the actor is stopped and a LeaseLost event is published.
// When the actor stops, for any reason, the name is released at once. A
// restart by a supervisor keeps the name.
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

// started takes the actor's name; false when the actor was refused it
// (and is being stopped).
func (r *Registry) started(ctx actor.ReceiverContext) bool {
	self := ctx.Self()
	sys := ctx.ActorSystem()
	err := checkName(self.Id)
	if err == nil {
		var value []byte
		if value, err = encode(self); err == nil {
			actx, cancel := context.WithTimeout(r.ctx, r.cfg.lease)
			_, err = r.acquire(actx, claim{
				name: self.Id, value: value, pid: actor.NewPID(self.Address, self.Id), sys: sys,
				owner: ctx, stopOnLoss: true,
			})
			cancel()
		}
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
// If another PID holds the name it fails with ErrNameTaken and spawns
// nothing; if the spawn fails the name is released.
//
// props should carry Middleware: the actor then claims the name when it
// starts and holds it as described there. Without the middleware the name
// is still renewed, and released when the actor terminates (the registry
// watches it), and the actor is stopped if the lease cannot be renewed.
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
	value, err := encode(placeholder)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(r.ctx, r.cfg.lease)
	defer cancel()
	h, err := r.acquire(ctx, claim{name: id, value: value, pid: placeholder, sys: sys, stopOnLoss: true, fresh: true})
	if err != nil {
		return nil, err
	}
	pid, err := parent.SpawnNamed(props, name)
	r.mu.Lock()
	switch {
	case h.state != held:
		// Lost or closed meanwhile: the actor's middleware, if any, takes
		// the name anew or stops it.
	case err != nil:
		r.dropLocked(h)
		r.mu.Unlock()
		<-h.gone
		return nil, err
	default:
		r.watchLocked(h)
	}
	r.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return pid, nil
}
