package messages

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// all holds one message of every type of locker.proto, each field set.
func all() []proto.Message {
	view := &View{Version: 2, Masters: []string{"a", "b", "c"}, Replicas: []string{"r"}, W: 2}
	held := &State{Held: true, Value: []byte("v"), Token: 5, Origin: 6, LeaseNs: 7, Base: 4, TenureBase: 3, Session: 2}
	dump := &DumpEntry{Key: "k", Promised: 9, Accepted: 8, State: held}
	learned := &Learned{Key: "k", Ballot: 8, State: held, Chosen: true}
	return []proto.Message{
		view,
		held,
		&Prepare{ReqId: 1, Key: "k", Ballot: 8, ViewVersion: 2, ViewHash: 3},
		&Accept{ReqId: 1, Key: "k", Ballot: 8, State: held, Next: true, ViewVersion: 2, ViewHash: 3},
		&ReadRequest{ReqId: 1, Key: "k", ViewVersion: 2, ViewHash: 3},
		&Vote{ReqId: 1, Status: Status_STATUS_WRONG_VIEW, Promised: 9, Accepted: 8, State: held, View: view,
			SessionAccepted: 3, SessionState: held},
		learned,
		&Learn{ReqId: 1, Entries: []*Learned{learned, {Key: "f", Ballot: 2, State: &State{Origin: 2}}}},
		&LearnAck{ReqId: 1},
		&SyncRequest{ReqId: 1, Incarnation: 7, After: 3, Limit: 10, ViewVersion: 2, NeedCommit: true},
		&SyncReply{ReqId: 1, Status: Status_STATUS_OK, Incarnation: 7, Last: 4, After: 3, More: true, Entries: []*Learned{learned}, ViewVersion: 2, View: view,
			Commit: &ViewCommit{View: view, Ballot: 11}},
		&Seal{ReqId: 1, Version: 3, Ballot: 11},
		&SealReply{ReqId: 1, Status: Status_STATUS_REJECTED, Promised: 12, Voting: true, RecoveringNs: 13, AcceptedBallot: 10,
			Accepted: view, View: view, Incarnation: 7, AcceptedInstalled: []string{"a", "b"}, AcceptedIncarnations: []uint64{7, 8}},
		dump,
		&DumpRequest{ReqId: 1, Ballot: 11, After: "j", Limit: 100},
		&DumpPage{ReqId: 1, Status: Status_STATUS_OK, Entries: []*DumpEntry{dump}, Done: true, Floor: 2},
		&Install{ReqId: 1, Version: 3, Ballot: 11, Incarnation: 7, Page: 2, Entries: []*DumpEntry{dump}, Floor: 2, Final: true},
		&InstallAck{ReqId: 1, Status: Status_STATUS_OK, Page: 2, Incarnation: 7},
		&ViewAccept{ReqId: 1, Ballot: 11, View: view, Installed: []string{"a"}, InstalledIncarnations: []uint64{7}},
		&ViewAccepted{ReqId: 1, Status: Status_STATUS_SEALED},
		&ViewCommit{ReqId: 1, View: view, Ballot: 11, Installed: []string{"a"}, InstalledIncarnations: []uint64{7}, Carried: 3},
		&ViewAck{ReqId: 1, Version: 3, Voting: true},
		&Ping{ReqId: 1},
		&Pong{ReqId: 1},
		&Batch{Prepares: []*Prepare{{ReqId: 1, Key: "k", Ballot: 8}}, Accepts: []*Accept{{ReqId: 2, Key: "k", Ballot: 8, State: held}},
			Reads: []*ReadRequest{{ReqId: 3, Key: "k"}}, Learned: []*Learned{{Key: "j", Ballot: 7, State: held, Chosen: true}}},
		&Votes{Votes: []*Vote{{ReqId: 1, Status: Status_STATUS_OK}}},
	}
}

// Every message round-trips, and is registered under its full name, which
// is how protoactor remote finds the type of what it receives.
func TestMessagesRoundTripAndAreRegistered(t *testing.T) {
	for _, m := range all() {
		b, err := proto.Marshal(m)
		require.NoError(t, err)
		back := m.ProtoReflect().New().Interface()
		require.NoError(t, proto.Unmarshal(b, back))
		assert.True(t, proto.Equal(m, back), "%T", m)
		found, err := protoregistry.GlobalTypes.FindMessageByName(m.ProtoReflect().Descriptor().FullName())
		require.NoError(t, err)
		assert.Equal(t, m.ProtoReflect().Type(), found)
	}
}

// The round trip covers every message of locker.proto, with every field
// set, so that a field added to the file is added to the test too.
func TestMessagesCoverTheProtocol(t *testing.T) {
	tested := map[protoreflect.FullName]bool{}
	for _, m := range all() {
		r := m.ProtoReflect()
		tested[r.Descriptor().FullName()] = true
		fields := r.Descriptor().Fields()
		for i := range fields.Len() {
			assert.True(t, r.Has(fields.Get(i)), "%s.%s is not set", r.Descriptor().FullName(), fields.Get(i).Name())
		}
	}
	msgs := File_locker_proto.Messages()
	for i := range msgs.Len() {
		assert.True(t, tested[msgs.Get(i).FullName()], "%s is not tested", msgs.Get(i).FullName())
	}
	assert.Len(t, tested, msgs.Len())
}
