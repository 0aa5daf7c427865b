package messages

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoregistry"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Every message round-trips, and is registered under its full name, which
// is how protoactor remote finds the type of what it receives.
func TestMessagesRoundTripAndAreRegistered(t *testing.T) {
	for _, m := range []proto.Message{
		&PromiseRequest{ReqId: 1, Key: "k", ExpectAbsent: true, Expected: []byte("e"), Tag: 2, ViewVersion: 3, ViewHash: 4},
		&PromiseReply{ReqId: 1, Status: Status_STATUS_LOCKED, MaxToken: 9, View: &View{Version: 1, Masters: []string{"a"}, W: 1}},
		&CommitRequest{ReqId: 1, Key: "k", Tag: 2, Op: Op_OP_UPDATE, Value: []byte("v"), Token: 5, LeaseNs: 6},
		&CommitReply{ReqId: 1, Status: Status_STATUS_OK, Token: 5},
		&AbortRequest{Key: "k", Tag: 2},
		&CondRequest{ReqId: 1, Op: Op_OP_RELEASE, Key: "k", Value: []byte("v"), LeaseNs: 1, TokenHint: 2, ViewVersion: 3, ViewHash: 4},
		&CondReply{ReqId: 1, Status: Status_STATUS_INSTALLED, Token: 3},
		&ReadRequest{ReqId: 1, Key: "k"},
		&ReadReply{ReqId: 1, Status: Status_STATUS_OK, Value: []byte("v"), Token: 3},
		&ReplicationBatch{From: "a", Entries: []*LogEntry{{Op: Op_OP_LOCK, Key: "k", Value: []byte("v"), Token: 1, LeaseNs: 2}}},
		&ViewUpdate{ReqId: 1, View: &View{Version: 2, Masters: []string{"a", "b", "c"}, Replicas: []string{"r"}, W: 2}},
		&ViewAck{ReqId: 1, Version: 2},
		&Hello{From: "a", Incarnation: 7},
		&HelloReply{From: "b", SeenBefore: true, MaxToken: 8},
		&Ping{ReqId: 1},
		&Pong{ReqId: 1},
	} {
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
