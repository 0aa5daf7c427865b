package proposer

import (
	"github.com/protolocker/locker/internal/quorum"
	"github.com/protolocker/locker/internal/reqid"
	"github.com/protolocker/locker/internal/view"
	"github.com/protolocker/locker/messages"
)

// Kind names a call.
type Kind uint8

// The calls.
const (
	Lock Kind = iota + 1
	Update
	Extend
	Release
	Read
)

// String returns the call's name, as metrics and errors name it.
func (k Kind) String() string {
	switch k {
	case Lock:
		return "lock"
	case Update:
		return "update"
	case Extend:
		return "extend"
	case Release:
		return "release"
	case Read:
		return "read"
	}
	return "unknown"
}

// Request is one call.
type Request struct {
	Kind     Kind
	Key      string
	Value    []byte // Lock, Extend, Release: the holder's value; Update: the new value
	Expected []byte // Update: the value it replaces
	Lease    int64  // Lock, Extend: ns
	// Session attaches a Lock's tenure to a session (0: none): it lives
	// while the session does, and Lease is unused. A Release with a
	// Session acts on the tenure attached to it, whatever its value.
	Session uint64
	// Repair makes a Read write the newest state back to every master
	// whatever the replies (the anti-entropy repair of a key whose masters
	// disagree).
	Repair bool
}

// Config bounds a call's rounds.
type Config struct {
	RoundTimeout int64 // a round stops waiting for silent masters after this, ns
	MinBackoff   int64 // first back-off after contention, ns (doubles per attempt)
	MaxBackoff   int64 // largest back-off, ns
	// Trace, when set, is told every decision of the call (simulator
	// debugging).
	Trace func(format string, args ...any)
}

// Send is a message for the master at index To of the call's view.
type Send struct {
	To  int
	Msg any
}

// Op is one call's state machine. Create it with New, call Start once,
// then Step with every reply, Tick at Deadline, and SetView after the host
// adopts a newer view. Done reports the end; Outcome the answer.
type Op struct {
	req  Request
	node Node
	cfg  Config
	v    view.View
	call uint64 // request id base

	round    uint32
	phase    phase
	ballot   uint64
	deadline int64
	t        tally
	votes    []*messages.Vote // OK answers of a prepare or read round
	proposal *messages.State  // what this round's accept proposes
	answer   answer           // what to answer once the accept is chosen (write-backs)
	fast     bool             // this accept is the one-round path
	graced   bool             // this lost round waits a moment for the rest of its answers
	sent     int64            // when this round's messages went out
	mute     int              // consecutive rounds that fewer than W masters answered

	bound       uint64   // the tenure (token) an Extend, Release or Update acts on
	boundByRead bool     // bound was named by a quorum read of this call (not guessed from the last write)
	pending     []uint64 // ballots of the call's own proposals whose fate is unknown
	wrote       bool     // the chosen state was accepted in a round of this call
	confirm     bool     // this round must write before the call answers (see fate)
	attempts    int

	done    bool
	out     Outcome
	res     Result
	newer   *view.View        // a newer view reported by a master
	chosen  *messages.Learned // the chosen state the answer rests on
	accBy   []bool            // masters that accepted it
	problem string            // why the call failed, for the error message
	lost    tally             // the last round lost, described on demand

	silent int // masters a round stopped waiting for, over the call

	sess   verdict // what W masters said of the session of the state this round judges
	paused paused  // the round a session read interrupted
}

type phase uint8

const (
	phIdle phase = iota
	phRead
	phPrepare
	phAccept
	phSession // reading the register of a session (see session.go)
	phWait    // backing off
	phStale
	phDone
)

// New returns the state machine of req in view v. call is the request id
// base the host routes replies by (reqid.Base).
func New(req Request, v view.View, node Node, cfg Config, call uint64) *Op {
	return &Op{req: req, node: node, cfg: cfg, v: v, call: call}
}

// Start sends the call's first round.
func (o *Op) Start(now int64) []Send {
	if o.req.Kind == Read && !o.req.Repair {
		return o.startRead(now)
	}
	if out := o.tryFast(now); out != nil {
		return out
	}
	if o.req.Kind == Lock && o.node.Held(o.req.Key) {
		return o.startRead(now) // likely held: answer from a read, promising nothing
	}
	return o.startPrepare(now)
}

// Deadline returns when Tick must next be called.
func (o *Op) Deadline() int64 { return o.deadline }

// Done reports whether the call has ended.
func (o *Op) Done() bool { return o.done }

// Outcome returns the call's answer once Done.
func (o *Op) Outcome() (Outcome, Result) { return o.out, o.res }

// Problem says why a failed call failed, for its error message.
func (o *Op) Problem() string {
	if o.problem == "" && o.lost.n > 0 {
		return o.lost.describe()
	}
	return o.problem
}

// Chosen returns the chosen state the answer rests on, with what it had
// left when the call decided, and which masters are known to hold it
// (they accepted it, or reported it). nil when the call ended without
// one.
func (o *Op) Chosen() (*messages.Learned, []bool) { return o.chosen, o.accBy }

// Silent returns how many times a round of the call stopped waiting for a
// master that had not answered.
func (o *Op) Silent() int { return o.silent }

// Request returns what the call was asked.
func (o *Op) Request() Request { return o.req }

// Wrote reports that the chosen state was accepted in a round of this
// call (a write, or a read's write-back), rather than found chosen.
func (o *Op) Wrote() bool { return o.wrote }

// Newer returns a newer view a master reported; the call is stalled
// until the host calls SetView.
func (o *Op) Newer() (view.View, bool) {
	if o.newer == nil {
		return view.View{}, false
	}
	return *o.newer, true
}

// SetView moves the call to a newer view and starts a new round in it.
func (o *Op) SetView(now int64, v view.View) []Send {
	if o.done || v.Version <= o.v.Version {
		return nil
	}
	o.v, o.newer = v, nil
	if o.req.Kind == Read && o.phase == phRead {
		return o.startRead(now)
	}
	return o.startPrepare(now)
}

// View returns the view the call runs in.
func (o *Op) View() view.View { return o.v }

// Abort ends the call because its host gives up (its context ended).
func (o *Op) Abort(problem string) {
	if !o.done {
		o.finish(NoQuorum, problem)
	}
}

// Tick handles the deadline: a round stops waiting for silent masters, a
// back-off ends.
func (o *Op) Tick(now int64) []Send {
	if o.done || now < o.deadline {
		return nil
	}
	switch {
	case o.phase == phWait:
		return o.startPrepare(now)
	case o.inRound() && o.graced && o.t.outcome() == quorum.Lost:
		return o.onLost(now) // the grace of a lost one-round path is over
	case o.inRound():
		for i := range o.t.seen {
			if o.t.add(i, false, false) {
				o.silent++
			}
		}
		return o.evaluate(now)
	}
	return nil
}

// Step feeds one reply to the call.
func (o *Op) Step(now int64, msg any) []Send {
	v, ok := msg.(*messages.Vote)
	if !ok || o.done || !o.inRound() {
		return nil
	}
	id := v.GetReqId()
	if reqid.Call(id) != o.call || reqid.Round(id) != o.round&(1<<reqid.RoundBits-1) {
		return nil
	}
	i := reqid.Index(id)
	if i >= len(o.v.Masters) || o.t.seen[i] {
		return nil
	}
	yes := v.GetStatus() == messages.Status_STATUS_OK
	if yes && o.phase == phAccept && v.GetAccepted() != o.ballot {
		yes = false
	}
	o.t.add(i, yes, true)
	if o.phase == phAccept && v.GetStatus() == messages.Status_STATUS_REJECTED && v.GetAccepted() > o.ballot {
		o.t.newer++ // it never accepted this ballot, and never will
	}
	if yes && o.phase != phAccept {
		o.votes = append(o.votes, v)
	}
	o.note(v)
	return o.evaluate(now)
}

func (o *Op) inRound() bool {
	return o.phase == phRead || o.phase == phPrepare || o.phase == phAccept || o.phase == phSession
}

// note records what a refusal says: a higher ballot to move past, a newer
// view, or why the master does not vote.
func (o *Op) note(v *messages.Vote) {
	switch v.GetStatus() {
	case messages.Status_STATUS_REJECTED:
		o.t.rejected++
		o.node.Observe(v.GetPromised())
		if v.GetPromised() > v.GetAccepted()+1 {
			o.t.contended = true // a prepare above the last write: another call is writing
		}
	case messages.Status_STATUS_WRONG_VIEW:
		o.t.wrongView++
		if nv, err := view.FromProto(v.GetView()); err == nil {
			switch {
			case nv.Version > o.v.Version && (o.newer == nil || nv.Version > o.newer.Version):
				o.newer = &nv
			case nv.Version == o.v.Version && nv.Hash() != o.v.Hash():
				o.t.conflict = true
			case nv.Version == o.v.Version:
				o.t.notMaster = true
			}
		}
	case messages.Status_STATUS_NOT_READY:
		o.t.notReady++
	case messages.Status_STATUS_SEALED:
		o.t.sealed++
	case messages.Status_STATUS_BAD_REQUEST:
		o.t.bad++
	}
	if v.GetStatus() == messages.Status_STATUS_OK && v.GetAccepted() != 0 {
		o.node.Observe(v.GetAccepted())
	}
}

// send addresses one message per master and starts the round's clock.
func (o *Op) send(now int64, phase phase, build func(id uint64) any) []Send {
	o.round++
	o.phase, o.sent, o.graced = phase, now, false
	o.deadline = now + o.cfg.RoundTimeout
	o.t = newTally(o.v.W, len(o.v.Masters))
	o.votes = o.votes[:0]
	out := make([]Send, 0, len(o.v.Masters))
	for i, m := range o.v.Masters {
		if o.node.Down(m) {
			o.t.add(i, false, false) // counted as a refusal now; sent anyway, so that its answer shows it is back
		}
		out = append(out, Send{To: i, Msg: build(reqid.Make(o.call, o.round, i))})
	}
	if o.t.outcome() != quorum.Pending {
		return append(out, o.evaluate(now)...)
	}
	return out
}

func (o *Op) startRead(now int64) []Send {
	o.sess = verdict{}
	return o.send(now, phRead, func(id uint64) any {
		return &messages.ReadRequest{ReqId: id, Key: o.req.Key, ViewVersion: o.v.Version, ViewHash: o.v.Hash()}
	})
}

func (o *Op) startPrepare(now int64) []Send {
	o.attempts++
	o.ballot = o.node.Ballot()
	o.fast, o.sess = false, verdict{}
	return o.send(now, phPrepare, func(id uint64) any {
		return &messages.Prepare{ReqId: id, Key: o.req.Key, Ballot: o.ballot, ViewVersion: o.v.Version, ViewHash: o.v.Hash()}
	})
}

// startAccept proposes st at the call's ballot; a is what to answer once
// it is chosen (for a write-back), or zero for the call's own new state.
func (o *Op) startAccept(now int64, st *messages.State, a answer) []Send {
	o.proposal, o.answer = st, a
	if a.out == Pending {
		o.pending = append(o.pending, o.ballot)
	}
	return o.send(now, phAccept, func(id uint64) any {
		return &messages.Accept{ReqId: id, Key: o.req.Key, Ballot: o.ballot, State: st, Next: true,
			ViewVersion: o.v.Version, ViewHash: o.v.Hash()}
	})
}

func (o *Op) trace(format string, args ...any) {
	if o.cfg.Trace != nil {
		o.cfg.Trace("%s %s: "+format, append([]any{o.req.Kind, o.req.Key}, args...)...)
	}
}

// evaluate acts on the round's tally once it is decided.
func (o *Op) evaluate(now int64) []Send {
	if o.newer != nil {
		o.phase, o.deadline = phStale, 0
		return nil
	}
	if o.cfg.Trace != nil {
		o.trace("round %d phase %d ballot %d: %s", o.round, o.phase, o.ballot, o.describe())
	}
	switch o.t.outcome() {
	case quorum.Won:
		switch o.phase {
		case phRead:
			return o.onRead(now)
		case phPrepare:
			return o.onPromised(now)
		case phAccept:
			o.onAccepted(now)
		case phSession:
			return o.onSessionRead(now)
		}
		return nil
	case quorum.Lost:
		if o.fast && o.t.answered < len(o.v.Masters) && o.t.newer == o.t.answered && !o.graced {
			// The one-round path lost to newer writes: give the other
			// masters a moment, for if every one of them refuses from a
			// newer state, the proposal is nowhere and the call can
			// decide afresh (onLost).
			o.graced, o.deadline = true, min(o.deadline, now+o.cfg.RoundTimeout/4)
			return nil
		}
		return o.onLost(now)
	}
	return nil
}
