package actor

import (
	"testing"
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/protolocker/locker/messages"
)

// wireTypes are the messages a lease-holder may receive from the network.
var wireTypes = []func() proto.Message{
	func() proto.Message { return &messages.PromiseRequest{} },
	func() proto.Message { return &messages.CommitRequest{} },
	func() proto.Message { return &messages.AbortRequest{} },
	func() proto.Message { return &messages.CondRequest{} },
	func() proto.Message { return &messages.ReadRequest{} },
	func() proto.Message { return &messages.ReplicationBatch{} },
	func() proto.Message { return &messages.ViewUpdate{} },
	func() proto.Message { return &messages.Hello{} },
	func() proto.Message { return &messages.HelloReply{} },
	func() proto.Message { return &messages.Ping{} },
	func() proto.Message { return &messages.PromiseReply{} }, // a reply sent to the wrong place
}

// FuzzHolderMessages decodes arbitrary bytes as any wire message and
// delivers it to a running lease-holder: decoding errors are the
// transport's to drop; whatever decodes must never panic the holder, and
// the holder must keep answering.
func FuzzHolderMessages(f *testing.F) {
	for i, m := range []proto.Message{
		&messages.PromiseRequest{ReqId: 1, Key: "k", ExpectAbsent: true, Tag: 7, ViewVersion: 1},
		&messages.CommitRequest{ReqId: 2, Key: "k", Tag: 7, Op: messages.Op_OP_LOCK, Value: []byte("v"), Token: 1, LeaseNs: 1e9},
		&messages.AbortRequest{Key: "k", Tag: 7},
		&messages.CondRequest{ReqId: 3, Op: messages.Op_OP_EXTEND, Key: "k", Value: []byte("v"), LeaseNs: 1e9},
		&messages.ReadRequest{ReqId: 4, Key: "k"},
		&messages.ReplicationBatch{From: "x", Entries: []*messages.LogEntry{{Op: messages.Op_OP_LOCK, Key: "k", Value: []byte("v"), Token: 3, LeaseNs: 1e9}}},
		&messages.ViewUpdate{ReqId: 5, View: &messages.View{Version: 2, Masters: []string{"a", "b", "c"}, W: 2}},
		&messages.Hello{From: "b", Incarnation: 9},
		&messages.HelloReply{From: "b", SeenBefore: true, MaxToken: 1 << 62},
		&messages.Ping{ReqId: 6},
	} {
		b, err := proto.Marshal(m)
		require.NoError(f, err)
		f.Add(byte(i), b)
	}
	f.Add(byte(5), []byte{0x12, 0x02, 0x08, 0x99}) // truncated nested entry
	f.Fuzz(func(t *testing.T, kind byte, data []byte) {
		sys, h, pid, view := spawn(t)
		msg := wireTypes[int(kind)%len(wireTypes)]()
		if proto.Unmarshal(data, msg) != nil {
			return // malformed bytes never reach an actor: remote drops them
		}
		// Make votes well-formed for the holder's view half the time, to
		// reach the table.
		if kind&0x80 != 0 {
			switch m := msg.(type) {
			case *messages.PromiseRequest:
				m.ViewVersion, m.ViewHash = view.Version, view.Hash()
			case *messages.CondRequest:
				m.ViewVersion, m.ViewHash = view.Version, view.Hash()
			}
		}
		// Replies go to a process that drops them, not to dead letters.
		sys.Root.RequestWithCustomSender(pid, msg, drop(t, sys))
		_, err := sys.Root.RequestFuture(pid, &messages.Ping{ReqId: 1}, time.Second).Result()
		require.NoError(t, err, "the holder still answers")
		require.Zero(t, h.Stats().Panics, "%T %v", msg, msg)
	})
}

// nullProcess drops everything sent to it.
type nullProcess struct{}

func (nullProcess) SendUserMessage(*protoactor.PID, any)   {}
func (nullProcess) SendSystemMessage(*protoactor.PID, any) {}
func (nullProcess) Stop(*protoactor.PID)                   {}

// drop registers a process that drops what it receives.
func drop(t *testing.T, sys *protoactor.ActorSystem) *protoactor.PID {
	pid, ok := sys.ProcessRegistry.Add(nullProcess{}, "drop")
	require.True(t, ok)
	t.Cleanup(func() { sys.ProcessRegistry.Remove(pid) })
	return pid
}
