package proposer

import (
	"github.com/protolocker/locker/lease"
	"github.com/protolocker/locker/messages"
)

// A state attached to a session has no lease of its own: it lives while
// its session's register does. Whether it lives is never judged from one
// master's report, whose copy of the session may lag its renewals: a
// call takes the newest session state that W masters report, as it takes
// the newest state of a key (docs/protocol.md, "Sessions"). The masters
// that report an attached state report their session state with it; when
// fewer than W of a round's answers carry it, the call reads the
// session's register in a round of its own.

// verdict is what W masters say of one session.
type verdict struct {
	id    uint64 // the session (0: none judged)
	left  int64  // what its newest state has left (0: expired, released or unknown)
	known bool
}

// sessionLeft returns what session id has left by W answers of the
// current round, or false when fewer than W answers report it (a round
// of its own must read it).
func (o *Op) sessionLeft(id uint64) (int64, bool) {
	if o.sess.known && o.sess.id == id {
		return o.sess.left, true
	}
	var n newest
	reports := 0
	for _, v := range o.votes {
		if st := v.GetState(); v.GetAccepted() != 0 && st.GetHeld() && st.GetSession() == id {
			n.add(v.GetSessionAccepted(), v.GetSessionState())
			reports++
		}
	}
	if reports < o.v.W {
		return 0, false
	}
	return n.left, true
}

// newest folds answers about one session's register into what its newest
// state has left: the least that the answers reporting it say, 0 when it
// is free or missing.
type newest struct {
	high uint64
	left int64
}

// add counts one answer: the ballot a master accepted (0: none) and its
// state.
func (n *newest) add(a uint64, st *messages.State) {
	if a == 0 {
		return
	}
	l := int64(0)
	if st.GetHeld() && st.GetSession() == 0 {
		l = st.GetLeaseNs()
	}
	switch {
	case a > n.high:
		n.high, n.left = a, l
	case a == n.high:
		n.left = min(n.left, l)
	}
}

// startSessionRead reads the register of session id, keeping the current
// round's answers: onSessionRead resumes the round with the verdict.
func (o *Op) startSessionRead(now int64, id uint64) []Send {
	o.paused = paused{phase: o.phase, votes: append([]*messages.Vote(nil), o.votes...), t: o.t, id: id} // send starts a new tally
	key := lease.SessionKey(id)
	return o.send(now, phSession, func(rid uint64) any {
		return &messages.ReadRequest{ReqId: rid, Key: key, ViewVersion: o.v.Version, ViewHash: o.v.Hash()}
	})
}

// paused is the round a session read interrupted.
type paused struct {
	phase phase
	votes []*messages.Vote
	t     tally
	id    uint64
}

// onSessionRead handles W answers to a session read: the interrupted
// round goes on, judging the attached state by them.
func (o *Op) onSessionRead(now int64) []Send {
	var n newest
	for _, v := range o.votes {
		n.add(v.GetAccepted(), v.GetState())
	}
	o.sess = verdict{id: o.paused.id, left: n.left, known: true}
	o.phase, o.votes, o.t = o.paused.phase, o.paused.votes, o.paused.t
	o.paused = paused{}
	if o.phase == phRead {
		return o.onRead(now)
	}
	return o.onPromised(now)
}
