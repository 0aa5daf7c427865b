package cluster

import (
	"github.com/asynkron/protoactor-go/actor"

	"github.com/protolocker/locker/internal/quorum"
	"github.com/protolocker/locker/internal/reqid"
	"github.com/protolocker/locker/internal/sink"
	"github.com/protolocker/locker/internal/view"
	"github.com/protolocker/locker/messages"
)

// View is one membership of the cluster (see internal/view).
type View = view.View

// Membership is the cell holding a node's current View.
type Membership = view.Membership

// Sink gathers the replies of a node's fan-outs (see internal/sink).
type Sink = sink.Sink

// Call is one in-flight fan-out of a Sink.
type Call = sink.Call

// ErrInvalidView reports a membership that must not be installed.
var ErrInvalidView = view.ErrInvalidView

// IndexBits is the number of low request-id bits that name a target.
const IndexBits = reqid.IndexBits

// Majority returns n/2 + 1, the smallest quorum any two of which meet.
func Majority(n int) int { return quorum.Majority(n) }

// NewView returns a validated view; w == 0 means a majority.
func NewView(version uint64, masters, replicas []string, w int) (View, error) {
	return view.NewView(version, masters, replicas, w)
}

// FromProto validates a wire view.
func FromProto(m *messages.View) (View, error) { return view.FromProto(m) }

// NewMembership returns a cell holding v.
func NewMembership(v View) *Membership { return view.NewMembership(v) }

// NewSink registers a sink under id in the system's process registry.
func NewSink(system *actor.ActorSystem, id string) (*Sink, error) { return sink.NewSink(system, id) }
