package registry

import (
	"slices"

	"github.com/asynkron/protoactor-go/actor"
)

// watcher is the registry's actor that watches the PIDs it names with
// Register and SpawnNamed, and drops their names when they terminate.
type watcher struct{ r *Registry }

// watchPID and unwatchPID are the watcher's local messages.
type (
	watchPID   struct{ pid *actor.PID }
	unwatchPID struct{ pid *actor.PID }
)

// Receive implements actor.Actor.
func (w *watcher) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *watchPID:
		ctx.Watch(m.pid)
	case *unwatchPID:
		ctx.Unwatch(m.pid)
	case *actor.Terminated:
		w.r.terminated(m.GetWho())
	}
}

// watchLocked makes the watcher watch h.pid; h is dropped when it
// terminates, unless an actor claimed it (its middleware releases it).
func (r *Registry) watchLocked(h *holding) {
	if h.watched || r.sys == nil || r.closed {
		return
	}
	if r.watcher == nil {
		r.watcher = r.sys.Root.SpawnPrefix(actor.PropsFromProducer(func() actor.Actor {
			return &watcher{r: r}
		}), "registry-watcher")
	}
	h.watched = true
	k := pidKey(h.pid)
	r.watched[k] = append(r.watched[k], h)
	if len(r.watched[k]) == 1 {
		r.sys.Root.Send(r.watcher, &watchPID{pid: actor.NewPID(h.pid.Address, h.pid.Id)})
	}
}

func (r *Registry) unwatchLocked(h *holding) {
	if !h.watched {
		return
	}
	h.watched = false
	k := pidKey(h.pid)
	r.watched[k] = slices.DeleteFunc(r.watched[k], func(o *holding) bool { return o == h })
	if len(r.watched[k]) > 0 {
		return
	}
	delete(r.watched, k)
	if r.watcher != nil {
		r.sys.Root.Send(r.watcher, &unwatchPID{pid: actor.NewPID(h.pid.Address, h.pid.Id)})
	}
}

// terminated drops the names of who that no actor claimed.
func (r *Registry) terminated(who *actor.PID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, h := range slices.Clone(r.watched[pidKey(who)]) {
		if h.state == held && h.owner == nil {
			r.dropLocked(h)
		}
	}
}
