package lockercluster_test

import (
	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"
)

// pidValue is the value an activation's key holds for pid.
func pidValue(pid *actor.PID) []byte {
	b, _ := proto.Marshal(pid)
	return b
}
