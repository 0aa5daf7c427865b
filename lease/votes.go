package lease

import "github.com/protolocker/locker/messages"

// MaxKeyLen bounds a key's length in bytes.
const MaxKeyLen = 4096

// prepare promises ballot b for a key when b is above everything the
// acceptor promised or accepted for it, and reports its accepted state.
func (a *Acceptor) prepare(now int64, m *messages.Prepare) *messages.Vote {
	if s := a.gate(m.GetViewVersion(), m.GetViewHash()); s != messages.Status_STATUS_OK {
		return a.refusal(m.GetReqId(), s)
	}
	key, b := m.GetKey(), m.GetBallot()
	if badKey(key) || b == 0 {
		return &messages.Vote{ReqId: m.GetReqId(), Status: messages.Status_STATUS_BAD_REQUEST}
	}
	r := a.keys.get(key)
	if high := a.high(r); b <= high {
		return a.rejected(m.GetReqId(), r, high)
	}
	if r == nil {
		r = a.create(now, key)
	}
	r.promised = b
	v := &messages.Vote{ReqId: m.GetReqId(), Status: messages.Status_STATUS_OK, Accepted: r.accepted, State: r.report(now)}
	a.sessionReport(now, r, v)
	return v
}

// accept takes the proposal of ballot b when b is at least the promise and
// above the accepted ballot (the same ballot again is a duplicate, and is
// acknowledged again). With next it promises b+1 to the same proposer.
func (a *Acceptor) accept(now int64, m *messages.Accept) *messages.Vote {
	if s := a.gate(m.GetViewVersion(), m.GetViewHash()); s != messages.Status_STATUS_OK {
		return a.refusal(m.GetReqId(), s)
	}
	key, b, st := m.GetKey(), m.GetBallot(), m.GetState()
	if badKey(key) || b == 0 || !a.goodProposal(st) {
		return &messages.Vote{ReqId: m.GetReqId(), Status: messages.Status_STATUS_BAD_REQUEST}
	}
	r := a.keys.get(key)
	promised := a.floor
	if r != nil {
		promised = r.promised
		if b == r.accepted {
			if m.GetNext() {
				r.promised = max(r.promised, b+1)
			}
			return &messages.Vote{ReqId: m.GetReqId(), Status: messages.Status_STATUS_OK, Accepted: b}
		}
	}
	if b < promised { // a promise is never below the accepted ballot
		return a.rejected(m.GetReqId(), r, a.high(r))
	}
	if r == nil {
		r = a.create(now, key)
	}
	a.set(now, key, r, b, st, false)
	r.promised = max(r.promised, b)
	if m.GetNext() {
		r.promised = max(r.promised, b+1)
	}
	return &messages.Vote{ReqId: m.GetReqId(), Status: messages.Status_STATUS_OK, Accepted: b}
}

// read reports the accepted state of a key and changes nothing.
func (a *Acceptor) read(now int64, m *messages.ReadRequest) *messages.Vote {
	if s := a.gate(m.GetViewVersion(), m.GetViewHash()); s != messages.Status_STATUS_OK {
		return a.refusal(m.GetReqId(), s)
	}
	if badKey(m.GetKey()) {
		return &messages.Vote{ReqId: m.GetReqId(), Status: messages.Status_STATUS_BAD_REQUEST}
	}
	v := &messages.Vote{ReqId: m.GetReqId(), Status: messages.Status_STATUS_OK}
	if r := a.keys.get(m.GetKey()); r != nil {
		v.Accepted, v.State = r.accepted, r.report(now)
		a.sessionReport(now, r, v)
	}
	return v
}

// rejected refuses a ballot, naming the promise to move past and the
// accepted ballot (a proposer learns from it that its own lower proposal
// can no longer be the newest here).
func (a *Acceptor) rejected(id uint64, r *record, promised uint64) *messages.Vote {
	v := &messages.Vote{ReqId: id, Status: messages.Status_STATUS_REJECTED, Promised: promised}
	if r != nil {
		v.Accepted = r.accepted
	}
	return v
}

// high is the highest ballot a key has seen here: its promise (which is
// never below its accepted ballot), or the floor for a dropped key.
func (a *Acceptor) high(r *record) uint64 {
	if r == nil {
		return a.floor
	}
	return max(r.promised, r.accepted)
}

func badKey(key string) bool { return key == "" || len(key) > MaxKeyLen }

// goodProposal checks a proposed state: a held one has a value, a token,
// an origin and a lease within (0, MaxLease] or a session; a free one an
// origin.
func (a *Acceptor) goodProposal(st *messages.State) bool { return a.goodState(st, 1) }

// goodCopy checks a state copied from another acceptor (learn, sync,
// install): as a proposal, but a held one may have nothing left.
func (a *Acceptor) goodCopy(st *messages.State) bool { return a.goodState(st, 0) }

func (a *Acceptor) goodState(st *messages.State, minLease int64) bool {
	if st == nil || st.GetOrigin() == 0 {
		return false
	}
	if !st.GetHeld() {
		return true
	}
	if st.GetValue() == nil || st.GetToken() == 0 {
		return false
	}
	if st.GetSession() != 0 {
		return true // it lives with its session: its own lease is unused
	}
	return st.GetLeaseNs() >= minLease && a.leaseOK(st.GetLeaseNs())
}

func (a *Acceptor) leaseOK(ns int64) bool {
	return ns <= LeaseCap && (a.cfg.MaxLease <= 0 || ns <= a.cfg.MaxLease)
}

// LeaseCap bounds every lease, even without MaxLease, so that deadlines
// never overflow: about 146 years.
const LeaseCap = int64(1) << 62

// create adds an empty record for key: nothing accepted, droppable after
// TombstoneTTL unless something is accepted first.
func (a *Acceptor) create(now int64, key string) *record {
	r := &record{key: key, promised: a.floor}
	a.keys.put(r)
	a.promises++
	a.markIdle(now, key, r)
	return r
}

// markIdle makes key droppable TombstoneTTL from now, unless something is
// accepted for it first.
func (a *Acceptor) markIdle(now int64, key string, r *record) {
	f := r.freed()
	f.idleUntil = now + a.cfg.TombstoneTTL
	a.idle.push(deadline{at: f.idleUntil, key: key})
}

// set makes st, accepted at ballot b, the key's state, publishes it and
// logs the change.
func (a *Acceptor) set(now int64, key string, r *record, b uint64, st *messages.State, chosen bool) {
	if r.accepted == 0 {
		a.promises--
	}
	var was uint64 // the session the old state is attached to
	if r.entry != nil {
		was = r.entry.Session
	}
	if was != 0 && (!st.GetHeld() || st.GetSession() != was) {
		a.detach(was)
	}
	r.accepted, r.origin, r.base, r.tbase, r.chosen = b, st.GetOrigin(), st.GetBase(), st.GetTenureBase(), chosen
	if st.GetHeld() {
		r.free = nil
	}
	switch {
	case st.GetHeld() && st.GetSession() != 0:
		r.entry = &Entry{Value: st.GetValue(), Token: st.GetToken(), Session: st.GetSession()}
		s := a.sessions[was]
		if was != st.GetSession() || s == nil {
			s = a.attach(now, key, st.GetSession())
		}
		if s.up {
			a.store.set(r, r.entry)
		} else {
			a.store.del(r)
			a.abandon.push(deadline{at: now + a.cfg.TombstoneTTL, key: key})
		}
	case st.GetHeld():
		r.entry = &Entry{Value: st.GetValue(), Token: st.GetToken(), ExpiresAt: now + st.GetLeaseNs()}
		if r.entry.ExpiresAt > now {
			a.store.set(r, r.entry)
			a.expiry.push(deadline{at: r.entry.ExpiresAt, key: key})
		} else {
			// Copied in expired: it is abandoned TombstoneTTL from now.
			a.store.del(r)
			a.abandon.push(deadline{at: r.entry.ExpiresAt + a.cfg.TombstoneTTL, key: key})
		}
	default:
		f := r.freed()
		r.entry, f.ended, f.heldBy = nil, st.GetToken(), f.heldBy[:0]
		a.store.del(r)
		a.markIdle(now, key, r)
	}
	a.log.add(key, r)
	delete(a.suspects, key)
	a.sessionChanged(now, key)
}

// report is the key's accepted state as sent in a vote, a sync or a dump:
// a held state's lease is what is left now (0 once expired here; 0 for a
// state attached to a session, which has no lease of its own). nil when
// nothing is accepted.
func (r *record) report(now int64) *messages.State {
	switch {
	case r.accepted == 0:
		return nil
	case r.entry == nil:
		return &messages.State{Origin: r.origin, Base: r.base, Token: r.ended(), TenureBase: r.tbase}
	}
	st := &messages.State{Held: true, Value: r.entry.Value, Token: r.entry.Token, Origin: r.origin,
		Base: r.base, TenureBase: r.tbase, Session: r.entry.Session}
	if r.entry.Session == 0 {
		st.LeaseNs = max(r.entry.ExpiresAt-now, 0)
	}
	return st
}
