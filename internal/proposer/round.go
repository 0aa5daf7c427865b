package proposer

import (
	"bytes"
	"fmt"

	"github.com/protolocker/locker/messages"
)

// tryFast starts the one-round path when this node wrote the key last in
// this view: its acceptors promised it the next ballot, so the state it
// wrote is the newest unless the accept is refused. Only writes go this
// way; a call that would answer without writing reads first.
func (o *Op) tryFast(now int64) []Send {
	l, ok := o.node.Take(o.req.Key)
	if !ok || l.Version != o.v.Version || l.State == nil {
		return nil
	}
	if l.State.GetHeld() && l.State.GetSession() != 0 {
		return o.tryFastAttached(now, l)
	}
	left := l.left(now)
	held := left > 0
	b, base := l.Next, l.Next-1
	var st *messages.State
	switch o.req.Kind {
	case Lock:
		if held {
			return nil
		}
		st = o.lockState(b, base)
	case Update:
		if !held || !bytes.Equal(l.State.GetValue(), o.req.Expected) {
			return nil
		}
		st = &messages.State{Held: true, Value: o.req.Value, Token: b, Origin: b, LeaseNs: left, Base: base, TenureBase: base}
	case Extend:
		if !held || !bytes.Equal(l.State.GetValue(), o.req.Value) {
			return nil
		}
		st = &messages.State{Held: true, Value: o.req.Value, Token: l.State.GetToken(), Origin: b, LeaseNs: o.req.Lease, Base: base,
			TenureBase: l.State.GetTenureBase()}
	case Release:
		if !held || !bytes.Equal(l.State.GetValue(), o.req.Value) {
			return nil
		}
		st = &messages.State{Origin: b, Base: base, Token: l.State.GetToken(), TenureBase: l.State.GetTenureBase()}
	default:
		return nil
	}
	if o.req.Kind != Lock {
		o.bound = l.State.GetToken()
	}
	o.attempts++
	o.ballot, o.fast = b, true
	return o.startAccept(now, st, answer{})
}

// tryFastAttached is the one-round path over a tenure attached to a
// session that this node wrote last. Whether the tenure lives only W
// masters can say, so only its release by the same session goes this way:
// a release needs no such judgement (writing free over a tenure whose
// session ended changes nothing a reader could see).
func (o *Op) tryFastAttached(now int64, l Last) []Send {
	if o.req.Kind != Release || o.req.Session == 0 || o.req.Session != l.State.GetSession() {
		return nil
	}
	b := l.Next
	o.bound = l.State.GetToken()
	o.attempts++
	o.ballot, o.fast = b, true
	return o.startAccept(now, &messages.State{Origin: b, Base: b - 1, Token: l.State.GetToken(),
		TenureBase: l.State.GetTenureBase()}, answer{})
}

// onLost handles a round that cannot reach W: the one-round path falls
// back to two, contention and transient refusals back off and retry,
// and a call stops when masters refuse for good or fewer than W of them
// answer twice in a row.
func (o *Op) onLost(now int64) []Send {
	t := o.t
	if t.answered < o.v.W {
		o.mute++
	} else {
		o.mute = 0
	}
	o.lost = t
	if o.fast && t.newer == len(o.v.Masters) {
		// Every master refused the proposal from a newer accepted state:
		// none accepted it, none ever will, so no one can complete it.
		o.pending = o.pending[:len(o.pending)-1]
	}
	switch {
	case o.fast:
		return o.startPrepare(now)
	case t.bad > 0:
		o.finish(Invalid, "a master refused the request as malformed (is the lease above its MaxLease?)")
		return nil
	case t.conflict:
		o.finish(NoQuorum, fmt.Sprintf("membership conflict: a master holds another view at version %d", o.v.Version))
		return nil
	case t.notMaster:
		o.finish(NoQuorum, fmt.Sprintf("a master refuses to vote in view %d: its address differs from its name in the view", o.v.Version))
		return nil
	case o.mute >= 2:
		o.finish(NoQuorum, t.describe())
		return nil
	case t.rejected > 0 && !t.contended && t.notReady+t.sealed == 0 && o.attempts < 8:
		// The ballot was only below writes that are over: no one to
		// give way to. Retry at once above them.
		return o.startPrepare(now)
	case o.mute > 0:
		return o.startPrepare(now) // the round waited for the silent masters already
	}
	d := o.cfg.MinBackoff << min(max(o.attempts-1, 0), 6)
	d = min(d, o.cfg.MaxBackoff)
	d = d/2 + o.node.Jitter(d/2+1)
	o.phase, o.deadline = phWait, now+d
	return nil
}

// describe says what the current round's answers are.
func (o *Op) describe() string { return o.t.describe() }

// describe says what a round's answers were.
func (t tally) describe() string {
	s := fmt.Sprintf("%d of %d masters voted yes, %d needed; %d answered", t.nYes, t.n, t.w, t.answered)
	for _, r := range []struct {
		n    int
		what string
	}{
		{t.rejected, "promised a higher ballot (contention)"},
		{t.notReady, "not voting yet (recovering)"},
		{t.sealed, "sealed by a view change"},
		{t.wrongView, "in another view"},
	} {
		if r.n > 0 {
			s += fmt.Sprintf(", %d %s", r.n, r.what)
		}
	}
	return s
}
