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
	func() proto.Message { return &messages.Prepare{} },
	func() proto.Message { return &messages.Accept{} },
	func() proto.Message { return &messages.ReadRequest{} },
	func() proto.Message { return &messages.Learn{} },
	func() proto.Message { return &messages.SyncRequest{} },
	func() proto.Message { return &messages.SyncReply{} },
	func() proto.Message { return &messages.Seal{} },
	func() proto.Message { return &messages.DumpRequest{} },
	func() proto.Message { return &messages.Install{} },
	func() proto.Message { return &messages.ViewAccept{} },
	func() proto.Message { return &messages.ViewCommit{} },
	func() proto.Message { return &messages.Ping{} },
	func() proto.Message { return &messages.Vote{} }, // a reply sent to the wrong place
	func() proto.Message { return &messages.Batch{} },
	func() proto.Message { return &messages.Votes{} }, // a reply sent to the wrong place
}

// FuzzHolderMessages decodes arbitrary bytes as any wire message and
// delivers it to a running lease-holder: decoding errors are the
// transport's to drop; whatever decodes must never panic the holder, and
// the holder must keep answering.
func FuzzHolderMessages(f *testing.F) {
	held := &messages.State{Held: true, Value: []byte("v"), Token: 3, Origin: 3, LeaseNs: 1e9}
	next := &messages.View{Version: 2, Masters: []string{"nonhost"}, W: 1}
	dump := []*messages.DumpEntry{{Key: "k", Promised: 4, Accepted: 3, State: held}}
	for i, m := range []proto.Message{
		&messages.Prepare{ReqId: 1, Key: "k", Ballot: 3, ViewVersion: 1},
		&messages.Accept{ReqId: 2, Key: "k", Ballot: 3, State: held, Next: true, ViewVersion: 1},
		&messages.ReadRequest{ReqId: 3, Key: "k", ViewVersion: 1},
		&messages.Learn{ReqId: 4, Entries: []*messages.Learned{{Key: "k", Ballot: 3, State: held, Chosen: true}}},
		&messages.SyncRequest{ReqId: 5, Incarnation: 1, After: 2, Limit: 10, ViewVersion: 1},
		&messages.SyncReply{Status: messages.Status_STATUS_OK, Incarnation: 9, Last: 1, More: true, ViewVersion: 1,
			Entries: []*messages.Learned{{Key: "k", Ballot: 3, State: held}}, View: next},
		&messages.Seal{ReqId: 6, Version: 2, Ballot: 7},
		&messages.DumpRequest{ReqId: 7, Ballot: 7, After: "a", Limit: 10},
		&messages.Install{ReqId: 8, Version: 2, Ballot: 7, Page: 1, Entries: dump, Floor: 2},
		&messages.ViewAccept{ReqId: 9, Ballot: 7, View: next, Installed: []string{"nonhost"}, InstalledIncarnations: []uint64{1}},
		&messages.ViewCommit{ReqId: 10, View: next, Ballot: 7, Installed: []string{"nonhost"}, InstalledIncarnations: []uint64{1}},
		&messages.Ping{ReqId: 11},
		&messages.Vote{ReqId: 12, Status: messages.Status_STATUS_OK, Accepted: 3, State: held, View: next},
		&messages.Batch{Prepares: []*messages.Prepare{{ReqId: 13, Key: "k", Ballot: 5, ViewVersion: 1}},
			Accepts: []*messages.Accept{{ReqId: 14, Key: "j", Ballot: 5, State: held, ViewVersion: 1}},
			Reads:   []*messages.ReadRequest{{ReqId: 15, Key: "k", ViewVersion: 1}}},
		&messages.Votes{Votes: []*messages.Vote{{ReqId: 16, Status: messages.Status_STATUS_OK}}},
	} {
		b, err := proto.Marshal(m)
		require.NoError(f, err)
		f.Add(byte(i), b)
		f.Add(byte(i)|0x80, b)
	}
	// A truncated nested entry, and an install entry accepted with an
	// empty state.
	f.Add(byte(3), []byte{0x12, 0x02, 0x08, 0x99})
	f.Add(byte(8)|0x80, []byte{0x32, 0x04, 0x18, 0x05, 0x22, 0x00})
	f.Fuzz(func(t *testing.T, kind byte, data []byte) {
		fx := spawn(t)
		msg := wireTypes[int(kind&0x7f)%len(wireTypes)]()
		if proto.Unmarshal(data, msg) != nil {
			return // malformed bytes never reach an actor: remote drops them
		}
		// Make the message well-formed for the holder's view half the
		// time, to reach past the view checks.
		if kind&0x80 != 0 {
			v := fx.view
			switch m := msg.(type) {
			case *messages.Prepare:
				m.ViewVersion, m.ViewHash = v.Version, v.Hash()
			case *messages.Accept:
				m.ViewVersion, m.ViewHash = v.Version, v.Hash()
			case *messages.ReadRequest:
				m.ViewVersion, m.ViewHash = v.Version, v.Hash()
			case *messages.SyncReply:
				m.ViewVersion = v.Version
			case *messages.Seal:
				m.Version = v.Version + 1
			case *messages.Install:
				m.Version, m.Incarnation = v.Version+1, 0
			}
		}
		// Replies go to a process that drops them, not to dead letters.
		fx.sys.Root.RequestWithCustomSender(fx.pid, msg, drop(t, fx.sys))
		_, err := fx.sys.Root.RequestFuture(fx.pid, &messages.Ping{ReqId: 1}, time.Second).Result()
		require.NoError(t, err, "the holder still answers")
		require.Zero(t, fx.h.Stats().Panics, "%T %v", msg, msg)
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
