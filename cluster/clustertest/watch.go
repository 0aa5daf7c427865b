package clustertest

import "github.com/asynkron/protoactor-go/actor"

// watchKey identifies one cross-address watch: an actor (the watcher)
// watching an actor at another address (the watchee).
type watchKey struct {
	watcheeAddr, watcheeID string
	watcherAddr, watcherID string
}

type watchOp int

const (
	watchNone watchOp = iota
	watchAdd
	watchRemove
)

// watchChange is the effect of a system message on the watch table.
type watchChange struct {
	op  watchOp
	key watchKey
}

// watchChangeOf tells how the system message msg, sent to target, changes
// the watch table: Watch adds, Unwatch and Terminated remove.
func watchChangeOf(target *actor.PID, msg any) watchChange {
	switch m := msg.(type) {
	case *actor.Watch:
		if m.Watcher != nil {
			return watchChange{watchAdd, watchKey{target.Address, target.Id, m.Watcher.Address, m.Watcher.Id}}
		}
	case *actor.Unwatch:
		if m.Watcher != nil {
			return watchChange{watchRemove, watchKey{target.Address, target.Id, m.Watcher.Address, m.Watcher.Id}}
		}
	case *actor.Terminated:
		if m.Who != nil {
			return watchChange{watchRemove, watchKey{m.Who.Address, m.Who.Id, target.Address, target.Id}}
		}
	}

	return watchChange{}
}

// applyWatchChangeLocked records c. n.mu must be held for writing.
func (n *Network) applyWatchChangeLocked(c watchChange) {
	switch c.op {
	case watchAdd:
		n.watches[c.key] = struct{}{}
	case watchRemove:
		delete(n.watches, c.key)
	}
}

// forgetWatch removes key and reports whether it was recorded, so that
// exactly one caller notifies the watcher.
func (n *Network) forgetWatch(key watchKey) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	_, ok := n.watches[key]
	delete(n.watches, key)

	return ok
}

// forgetAddressLocked removes every watch involving addr and returns those
// whose watchee lives at addr (their watchers must be told). n.mu must be
// held for writing.
func (n *Network) forgetAddressLocked(addr string) []watchKey {
	var lost []watchKey
	for key := range n.watches {
		switch {
		case key.watcheeAddr == addr:
			lost = append(lost, key)
			delete(n.watches, key)
		case key.watcherAddr == addr:
			delete(n.watches, key)
		}
	}

	return lost
}

// notifyWatcher sends Terminated for key's watchee to its watcher, as a
// message generated on the watcher's own node (no link faults apply).
func (n *Network) notifyWatcher(key watchKey, why actor.TerminatedReason) {
	n.mu.RLock()
	system := n.systems[key.watcherAddr]
	n.mu.RUnlock()
	if system == nil {
		return
	}
	proc, ok := system.ProcessRegistry.GetLocal(key.watcherID)
	if !ok {
		return
	}
	proc.SendSystemMessage(actor.NewPID(key.watcherAddr, key.watcherID), &actor.Terminated{
		Who: actor.NewPID(key.watcheeAddr, key.watcheeID),
		Why: why,
	})
}
