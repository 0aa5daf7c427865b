package locker

import (
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/extensions"
)

// extensionID is locker's protoactor extension id.
var extensionID = extensions.NextExtensionID()

// extension registers a running node on its actor system, as protoactor's
// cluster does, so that middleware and actors find it from their context.
type extension struct {
	node atomic.Pointer[Node]
}

// ExtensionID implements extensions.Extension.
func (e *extension) ExtensionID() extensions.ExtensionID { return extensionID }

var extMu sync.Mutex // serializes registrations: protoactor's table is a plain slice

// Get returns the node running on system, or nil: from an actor,
// locker.Get(ctx.ActorSystem()).
func Get(system *actor.ActorSystem) *Node {
	if system == nil || system.Extensions == nil {
		return nil
	}
	e, ok := system.Extensions.Get(extensionID).(*extension)
	if !ok || e == nil {
		return nil
	}
	return e.node.Load()
}

func register(system *actor.ActorSystem, n *Node) {
	extMu.Lock()
	defer extMu.Unlock()
	e, ok := system.Extensions.Get(extensionID).(*extension)
	if !ok || e == nil {
		e = &extension{}
		system.Extensions.Register(e)
	}
	e.node.Store(n)
}

func unregister(system *actor.ActorSystem, n *Node) {
	if e, ok := system.Extensions.Get(extensionID).(*extension); ok && e != nil {
		e.node.CompareAndSwap(n, nil)
	}
}
