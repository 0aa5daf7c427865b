package sink

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/protolocker/locker/internal/reqid"
	"github.com/protolocker/locker/messages"
)

// Sink is an actor.Process that gathers the replies of a node's quorum
// fan-outs. A call registers a request id and a buffered channel; every
// reply carrying that id (any message with GetReqId) lands in the channel
// straight from the sending goroutine, with no mailbox hop and no process
// registered per request. Replies for finished calls, or that overflow a
// call's buffer, are dropped and counted.
//
// Call ids are reqid bases: a request carries the call id with its round
// and its target's index (package reqid), so replies name their sender.
type Sink struct {
	system  *actor.ActorSystem
	id      string
	mu      sync.Mutex
	calls   map[uint64]chan any
	next    atomic.Uint64
	dropped atomic.Uint64
	heard   func(addr string) // told the sender of every reply that names one
}

// OnReply registers f to be told the address of the sender of every reply
// that carries one (a reply sent as a request, with its sender), whether
// or not its call is still open. Call it before the first reply.
func (s *Sink) OnReply(f func(addr string)) { s.heard = f }

// NewSink registers a sink under id in the system's process registry.
func NewSink(system *actor.ActorSystem, id string) (*Sink, error) {
	s := &Sink{system: system, id: id, calls: make(map[uint64]chan any)}
	// A random base keeps ids of a restarted node apart from late replies
	// addressed to its previous incarnation.
	s.next.Store(rand.Uint64() >> (reqid.CallShift + 1))
	if _, ok := system.ProcessRegistry.Add(s, id); !ok {
		return nil, fmt.Errorf("sink: process id %q is taken", id)
	}
	return s, nil
}

// PID returns the sink's address for reply-to.
func (s *Sink) PID() *actor.PID { return s.system.NewLocalPID(s.id) }

// Close removes the sink from the registry.
func (s *Sink) Close() { s.system.ProcessRegistry.Remove(s.PID()) }

// Dropped returns how many replies were dropped.
func (s *Sink) Dropped() uint64 { return s.dropped.Load() }

// Call is one in-flight fan-out: its request id and its replies.
type Call struct {
	ID      uint64
	Replies <-chan any
	sink    *Sink
}

// Open registers a call whose channel buffers up to capacity replies.
func (s *Sink) Open(capacity int) *Call {
	id := reqid.Base(s.next.Add(1))
	ch := make(chan any, capacity)
	s.mu.Lock()
	s.calls[id] = ch
	s.mu.Unlock()
	return &Call{ID: id, Replies: ch, sink: s}
}

// Close unregisters the call; later replies are dropped.
func (c *Call) Close() {
	c.sink.mu.Lock()
	delete(c.sink.calls, c.ID)
	c.sink.mu.Unlock()
}

type reply interface{ GetReqId() uint64 }

// SendUserMessage delivers a reply to its call.
func (s *Sink) SendUserMessage(_ *actor.PID, message any) {
	_, msg, sender := actor.UnwrapEnvelope(message)
	if sender != nil && s.heard != nil {
		s.heard(sender.Address)
	}
	if vs, ok := msg.(*messages.Votes); ok {
		for _, v := range vs.GetVotes() {
			s.route(v)
		}
		return
	}
	r, ok := msg.(reply)
	if !ok {
		s.dropped.Add(1)
		return
	}
	s.route(r)
}

// route delivers one reply to its call.
func (s *Sink) route(r reply) {
	msg := any(r)
	if r == nil {
		s.dropped.Add(1)
		return
	}
	s.mu.Lock()
	ch, ok := s.calls[reqid.Call(r.GetReqId())]
	s.mu.Unlock()
	if !ok {
		s.dropped.Add(1)
		return
	}
	select {
	case ch <- msg:
	default:
		s.dropped.Add(1)
	}
}

// SendSystemMessage ignores system messages: a sink watches nothing.
func (s *Sink) SendSystemMessage(*actor.PID, any) {}

// Stop does nothing; Close unregisters the sink.
func (s *Sink) Stop(*actor.PID) {}
