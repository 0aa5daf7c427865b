package lockercluster

import (
	"errors"
	"fmt"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"google.golang.org/protobuf/proto"

	"github.com/protolocker/locker/lease"
)

// keyPrefix starts every activation key.
const keyPrefix = "grain/"

// Key returns the store key of an activation of identity of kind:
// "grain/<kind>/<identity>".
func Key(kind, identity string) string { return keyPrefix + kind + "/" + identity }

// errBadIdentity reports a ClusterIdentity that cannot be activated.
var errBadIdentity = errors.New("lockercluster: bad cluster identity")

// keyOf validates ci and returns its key.
func keyOf(ci *cluster.ClusterIdentity) (string, error) {
	switch {
	case ci == nil:
		return "", fmt.Errorf("%w: nil", errBadIdentity)
	case ci.Kind == "" || ci.Identity == "":
		return "", fmt.Errorf("%w: empty kind or identity in %q/%q", errBadIdentity, ci.Kind, ci.Identity)
	}
	k := Key(ci.Kind, ci.Identity)
	if len(k) > lease.MaxKeyLen {
		return "", fmt.Errorf("%w: key of %d bytes exceeds %d", errBadIdentity, len(k), lease.MaxKeyLen)
	}
	return k, nil
}

// encodePID is the value an activation's key holds.
func encodePID(pid *actor.PID) []byte {
	b, _ := proto.Marshal(&actor.PID{Address: pid.Address, Id: pid.Id})
	return b
}

// decodePID reads a value written by encodePID; nil if it is not one.
func decodePID(b []byte) *actor.PID {
	var p actor.PID
	if err := proto.Unmarshal(b, &p); err != nil || p.Address == "" || p.Id == "" {
		return nil
	}
	return &p
}
