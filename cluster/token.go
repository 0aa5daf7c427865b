package lockercluster

import (
	"sync"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
)

// lookups maps each actor system to the lookup running on it, for Token.
var lookups sync.Map // *actor.ActorSystem -> *IdentityLookup

func register(system *actor.ActorSystem, l *IdentityLookup) bool {
	_, taken := lookups.LoadOrStore(system, l)
	return !taken
}

func unregister(system *actor.ActorSystem, l *IdentityLookup) {
	lookups.CompareAndDelete(system, l)
}

// Token returns the fencing token of the activation ctx belongs to: a
// grain calls it with its own context (from Started on). Every later
// activation of the same identity has a greater token. false when ctx is
// not a grain activated by an IdentityLookup, or its lease is lost.
func Token(ctx actor.Context) (uint64, bool) {
	if ctx == nil || ctx.Self() == nil {
		return 0, false
	}
	v, ok := lookups.Load(ctx.ActorSystem())
	if !ok {
		return 0, false
	}
	a := v.(*IdentityLookup).hosting.named(ctx.Self().Id)
	if a == nil || a.sess.Err() != nil {
		return 0, false
	}
	return a.token, true
}

// Token returns the fencing token of ci's activation if this member hosts
// it; false otherwise.
func (l *IdentityLookup) Token(ci *cluster.ClusterIdentity) (uint64, bool) {
	key, err := keyOf(ci)
	if err != nil {
		return 0, false
	}
	a := l.hosting.live(key)
	if a == nil || a.sess.Err() != nil {
		return 0, false
	}
	return a.token, true
}
