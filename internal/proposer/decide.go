package proposer

import (
	"bytes"
	"fmt"

	"github.com/protolocker/locker/messages"
)

// summary is what W replies of a read or prepare round say of the key.
type summary struct {
	high    uint64          // the newest accepted ballot reported (0: none)
	st      *messages.State // its state; nil when nothing was accepted
	held    bool            // held, and unexpired on every reply that reported high
	left    int64           // the least lease left among those replies
	uniform bool            // every reply reported high, and agrees whether it is live or free
}

// class sorts a reported state for uniformity: nothing or free, live,
// or expired (which is never uniform: its expiry must be written).
const (
	classFree = iota
	classLive
	classExpired
)

func classOf(st *messages.State, left int64) int {
	switch {
	case !st.GetHeld():
		return classFree
	case left > 0:
		return classLive
	}
	return classExpired
}

// summarize sums up the round's answers. A newest state attached to a
// session is judged by what W masters say of the session; ok is false
// when the answers do not tell (session), and a session read must.
func (o *Op) summarize() (s summary, session uint64, ok bool) {
	var high uint64
	var newest *messages.State
	for _, v := range o.votes {
		if a := v.GetAccepted(); a > high {
			high, newest = a, v.GetState()
		}
	}
	var sessLeft int64
	if id := newest.GetSession(); newest.GetHeld() && id != 0 {
		if sessLeft, ok = o.sessionLeft(id); !ok {
			return summary{}, id, false
		}
	}
	// What a reported state has left: its own lease, or its session's
	// (only the newest state's session is judged; an older state is
	// never the newest, nor uniform with it).
	leftOf := func(st *messages.State) int64 {
		if st.GetSession() != 0 {
			return sessLeft
		}
		return st.GetLeaseNs()
	}
	for k, v := range o.votes {
		a, st := v.GetAccepted(), v.GetState()
		if a == 0 {
			st = nil
		}
		if k == 0 {
			s = summary{high: a, st: st, left: leftOf(st), uniform: classOf(st, leftOf(st)) != classExpired}
			continue
		}
		first := o.votes[0]
		if a != first.GetAccepted() || classOf(st, leftOf(st)) != classOf(first.GetState(), leftOf(first.GetState())) {
			s.uniform = false
		}
		switch {
		case a > s.high:
			s.high, s.st, s.left = a, st, leftOf(st)
		case a == s.high:
			s.left = min(s.left, leftOf(st))
		}
	}
	s.held = s.st.GetHeld() && s.left > 0
	return s, 0, true
}

// writeBack is the state to write back for s at ballot b: a live tenure
// with what it has left, a free state as it is, an expired or missing
// one as free (a new content of origin b).
func (s summary) writeBack(b uint64) *messages.State {
	if s.held || (s.st != nil && !s.st.GetHeld()) {
		st := withLease(s.st, s.left)
		st.Base = s.high
		return st
	}
	return &messages.State{Origin: b, Base: s.high, Token: s.st.GetToken(), TenureBase: s.st.GetTenureBase()}
}

// onRead handles W answers to a read round: a uniform picture is the
// answer; otherwise the call reads again with a prepare and writes back.
func (o *Op) onRead(now int64) []Send {
	s, id, ok := o.summarize()
	if !ok {
		return o.startSessionRead(now, id)
	}
	switch {
	case o.req.Kind == Lock && s.uniform && s.held:
		o.finishOn(now, s, answer{out: Locked, res: Result{Token: s.st.GetToken()}})
		return nil
	case o.req.Kind != Read || !s.uniform:
		return o.startPrepare(now)
	}
	o.finishOn(now, s, o.readAnswer(s))
	return nil
}

func (o *Op) readAnswer(s summary) answer {
	if !s.held {
		return answer{out: OK}
	}
	return answer{out: OK, res: Result{Found: true, Value: s.st.GetValue(), Token: s.st.GetToken()}}
}

// onPromised handles W promises: the newest state decides what the call
// writes or answers.
func (o *Op) onPromised(now int64) []Send {
	o.res.Votes = o.t.nYes
	s, id, ok := o.summarize()
	if !ok {
		return o.startSessionRead(now, id)
	}
	if o.req.Kind == Read {
		if o.req.Repair {
			return o.startAccept(now, s.writeBack(o.ballot), o.readAnswer(s))
		}
		return o.answerOn(now, s, o.readAnswer(s))
	}
	mine := o.isMine(s)
	if o.cfg.Trace != nil {
		o.trace("promised: high %d state %v held %v left %d uniform %v; pending %v mine %d bound %d/%v", s.high, s.st, s.held, s.left,
			s.uniform, o.pending, mine, o.bound, o.boundByRead)
	}
	o.confirm = false
	rebind := mine == 0
	if mine == 0 && len(o.pending) > 0 {
		switch o.fate(s) {
		case fateMayHave:
			if (o.req.Kind == Extend || o.req.Kind == Release) && o.ours(s) {
				// The bound tenure still holds the key: a release of the
				// call was not chosen (the tenure would have ended), and an
				// extension taking effect twice only extends it again.
				// Propose again.
				rebind = !o.boundByRead
				break
			}
			o.finish(Indeterminate, "an earlier round of the call proposed its state, and newer writes hide whether it took effect")
			return nil
		case fateDeadIfWritten:
			o.confirm = true // decide afresh, but answer only on a write of this round
		case fateDead:
			o.pending = o.pending[:0]
		}
	}
	if rebind {
		o.bind(s)
	}
	return o.decide(now, s, mine)
}

// fate says what the newest state tells of the call's earlier proposals.
type fate uint8

const (
	fateDead          fate = iota // none can ever take effect
	fateDeadIfWritten             // none took effect so far; a write chosen at this round's ballot keeps it so
	fateMayHave                   // one may have taken effect
)

// fate classifies the call's pending proposals against the newest state
// s, which is not one of them. The states of a key form a chain, each
// computed from the one its writer read (its base), with ballots falling
// back along the chain; a proposal at ballot p took effect only if the
// chain behind the newest chosen state passes through p. Two links of the
// chain behind s are known: s's own (from s's ballot back to its base),
// and the link that started s's tenure (from its token back to its tenure
// base). If one jumps over p, p is not behind s, and was not behind any
// state chosen before this round (this quorum would have reported it).
// If s is chosen (W replies agree), no later state can be computed from p
// either: every quorum reports s or newer. If s is older than p, p is
// not behind s; p stays out of the chain if this round's own write is
// chosen (its ballot is above p, and it is computed from s). Otherwise p
// may be behind s (docs/protocol.md, "Outcomes").
func (o *Op) fate(s summary) fate {
	f := fateDead
	for _, p := range o.pending {
		jumped := s.high > p && (s.st.GetBase() < p || (s.st.GetToken() > p && s.st.GetTenureBase() < p))
		switch {
		case jumped && s.uniform:
		case jumped || s.high < p:
			f = fateDeadIfWritten
		default:
			return fateMayHave
		}
	}
	return f
}

// bind names the tenure an Update, Extend or Release acts on: the token
// of the state holding its value, at the read that decides its proposal.
// While a proposal of the call may still take effect, the binding stays
// (the caller does not rebind): a retry must never act on a later tenure
// that happens to hold the same value. A binding guessed from the node's
// last write (the one-round path) is replaced by the next read.
func (o *Op) bind(s summary) {
	switch o.req.Kind {
	case Update, Extend, Release:
	default:
		return
	}
	o.bound, o.boundByRead = 0, true
	if s.held && o.owns(s.st) {
		o.bound = s.st.GetToken()
	}
}

// owns reports whether a held state is the caller's: it holds the value
// the call expects, or, for a Release by session, it is attached to the
// session.
func (o *Op) owns(st *messages.State) bool {
	if o.req.Kind == Release && o.req.Session != 0 {
		return st.GetSession() == o.req.Session
	}
	return bytes.Equal(st.GetValue(), o.want())
}

// ours reports that s is the live tenure the call is bound to.
func (o *Op) ours(s summary) bool { return o.bound != 0 && s.held && s.st.GetToken() == o.bound }

// isMine returns the call's proposal that the newest state is (a Lock or
// Update's new tenure; an Extend or Release's content), or 0.
func (o *Op) isMine(s summary) uint64 {
	for _, p := range o.pending {
		switch o.req.Kind {
		case Lock, Update:
			if s.st.GetHeld() && s.st.GetToken() == p {
				return p
			}
		default:
			if s.st != nil && s.st.GetOrigin() == p {
				return p
			}
		}
	}
	return 0
}

// decide computes what the call writes, or answers, from the newest
// state s.
func (o *Op) decide(now int64, s summary, p uint64) []Send {
	if p != 0 && o.req.Kind != Release {
		return o.decideMine(now, s, p)
	}
	b := o.ballot
	switch o.req.Kind {
	case Lock:
		if s.held {
			return o.answerOn(now, s, answer{out: Locked, res: Result{Token: s.st.GetToken()}})
		}
		return o.startAccept(now, o.lockState(b, s.high), answer{})
	case Update, Extend:
		switch {
		case !s.held:
			return o.answerOn(now, s, answer{out: NotFound})
		case !o.ours(s):
			return o.answerOn(now, s, o.notOwner(s))
		case o.req.Kind == Update:
			return o.startAccept(now, withLease(&messages.State{Held: true, Value: o.req.Value, Token: b, Origin: b,
				Base: s.high, TenureBase: s.high, Session: s.st.GetSession()}, s.left), answer{})
		}
		// An attached tenure stays attached: it lives with its session.
		return o.startAccept(now, withLease(&messages.State{Held: true, Value: s.st.GetValue(), Token: o.bound, Origin: b,
			Base: s.high, TenureBase: s.st.GetTenureBase(), Session: s.st.GetSession()}, o.req.Lease), answer{})
	case Release:
		switch {
		case o.ours(s):
			return o.startAccept(now, &messages.State{Origin: b, Base: s.high, Token: o.bound, TenureBase: s.st.GetTenureBase()}, answer{})
		case s.held && !o.owns(s.st):
			return o.answerOn(now, s, o.notOwner(s))
		}
		return o.answerOn(now, s, answer{out: OK}) // free, or the bound tenure is gone
	}
	o.finish(Invalid, fmt.Sprintf("unknown call kind %d", o.req.Kind))
	return nil
}

// decideMine answers a Lock, Update or Extend whose own proposal p is the
// newest state: it took effect, and succeeded if its lease still runs.
func (o *Op) decideMine(now int64, s summary, p uint64) []Send {
	if !s.held {
		o.finish(Indeterminate, fmt.Sprintf("the %s took effect and its lease ran out before the call could confirm it", o.req.Kind))
		return nil
	}
	token := p // a Lock's or Update's new tenure
	if o.req.Kind == Extend {
		token = o.bound
	}
	return o.answerOn(now, s, answer{out: OK, res: Result{Token: token}})
}

// notOwner is the answer for a key held by another value.
func (o *Op) notOwner(s summary) answer {
	return answer{out: NotOwner, res: Result{Token: s.st.GetToken()}}
}

// answerOn answers a on the state s: at once when W replies agree on it
// (it is chosen), after writing it back otherwise. A call whose earlier
// proposals are dead only if this round writes (confirm) always writes
// back: a chosen state at its new ballot is what keeps them from ever
// being completed by another proposer that finds one on a master outside
// this quorum.
func (o *Op) answerOn(now int64, s summary, a answer) []Send {
	if s.uniform && !o.confirm && len(o.pending) == 0 {
		o.finishOn(now, s, a)
		return nil
	}
	return o.startAccept(now, s.writeBack(o.ballot), a)
}

// finishOn ends the call with a, resting on the chosen state s.
func (o *Op) finishOn(now int64, s summary, a answer) {
	if s.high != 0 {
		o.chosen = &messages.Learned{Key: o.req.Key, Ballot: s.high, State: withLease(s.st, s.left), Chosen: true}
	}
	o.accBy = append([]bool(nil), o.t.yes...)
	o.res.Votes = o.t.nYes
	o.end(a)
}

// onAccepted handles W acceptances: the proposal is chosen.
func (o *Op) onAccepted(now int64) {
	left := o.proposal.GetLeaseNs()
	if o.proposal.GetHeld() {
		left = max(left-(now-o.sent), 0)
	}
	o.chosen = &messages.Learned{Key: o.req.Key, Ballot: o.ballot, Chosen: true, State: withLease(o.proposal, left)}
	o.wrote = true
	o.accBy = append([]bool(nil), o.t.yes...)
	o.node.Wrote(o.req.Key, Last{Version: o.v.Version, Next: o.ballot + 1, State: o.proposal, Sent: o.sent})
	o.res.Commits = o.t.nYes
	if o.fast {
		o.res.Votes = o.t.nYes
	}
	if o.answer.out != Pending {
		o.end(o.answer)
		return
	}
	switch o.req.Kind {
	case Lock, Update:
		o.end(answer{out: OK, res: Result{Token: o.ballot}})
	case Extend:
		o.end(answer{out: OK, res: Result{Token: o.bound}})
	default:
		o.end(answer{out: OK})
	}
}

// end ends the call with a.
func (o *Op) end(a answer) {
	votes, commits := o.res.Votes, o.res.Commits
	o.res = a.res
	o.res.W, o.res.Votes, o.res.Commits = o.v.W, votes, commits
	o.out, o.done, o.phase, o.deadline = a.out, true, phDone, 0
}

// finish ends the call with a failure. A call that proposed its own state
// can only end Indeterminate.
func (o *Op) finish(out Outcome, problem string) {
	if len(o.pending) > 0 && out == NoQuorum {
		out = Indeterminate
	}
	o.problem = problem
	o.end(answer{out: out})
}

// want is the value the call expects to find holding the key.
func (o *Op) want() []byte {
	if o.req.Kind == Update {
		return o.req.Expected
	}
	return o.req.Value
}

// withLease is a copy of st with left as its lease: what a held state has
// left at some moment (nothing for a state attached to a session, which
// has no lease of its own). Every field is copied, so a field added to
// State travels too.
func withLease(st *messages.State, left int64) *messages.State {
	if st.GetSession() != 0 {
		left = 0
	}
	return &messages.State{Held: st.GetHeld(), Value: st.GetValue(), Token: st.GetToken(), Origin: st.GetOrigin(),
		LeaseNs: left, Base: st.GetBase(), TenureBase: st.GetTenureBase(), Session: st.GetSession()}
}

// lockState is the new tenure a Lock proposes at ballot b, computed from
// the state of ballot base.
func (o *Op) lockState(b, base uint64) *messages.State {
	return withLease(&messages.State{Held: true, Value: o.req.Value, Token: b, Origin: b, Base: base, TenureBase: base,
		Session: o.req.Session}, o.req.Lease)
}
