package sink

import (
	"testing"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker/internal/reqid"
	"github.com/protolocker/locker/messages"
)

func TestSinkRoutesRepliesByCall(t *testing.T) {
	sys := actor.NewActorSystem()
	defer sys.Shutdown()
	s, err := NewSink(sys, "sink")
	require.NoError(t, err)
	defer s.Close()
	_, err = NewSink(sys, "sink")
	assert.Error(t, err, "one sink per id")

	a, b := s.Open(2), s.Open(1)
	assert.Zero(t, a.ID&(1<<reqid.CallShift-1), "low bits free for the target index")
	s.SendUserMessage(nil, &messages.Pong{ReqId: a.ID | 1})
	s.SendUserMessage(nil, &actor.MessageEnvelope{Message: &messages.Pong{ReqId: b.ID}})
	assert.Equal(t, a.ID|1, (<-a.Replies).(*messages.Pong).GetReqId())
	assert.Equal(t, b.ID, (<-b.Replies).(*messages.Pong).GetReqId())

	s.SendUserMessage(nil, &messages.Pong{ReqId: b.ID})
	s.SendUserMessage(nil, &messages.Pong{ReqId: b.ID}) // over capacity
	b.Close()
	s.SendUserMessage(nil, &messages.Pong{ReqId: b.ID}) // closed call
	s.SendUserMessage(nil, "not a reply")
	assert.Equal(t, uint64(3), s.Dropped())
	a.Close()
}
