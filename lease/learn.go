package lease

import (
	"slices"
	"sort"

	"github.com/protolocker/locker/internal/view"
	"github.com/protolocker/locker/messages"
)

// SyncLimit is the most keys one SyncReply carries.
const SyncLimit = 1024

// learn applies chosen states: each one replaces an older accepted
// ballot. A sealed acceptor's state is frozen, and ignores them.
func (a *Acceptor) learn(now int64, m *messages.Learn) any {
	if !a.reg.sealed(a.view) {
		for _, l := range m.GetEntries() {
			a.apply(now, l)
		}
	}
	if m.GetReqId() == 0 {
		return nil
	}
	return &messages.LearnAck{ReqId: m.GetReqId()}
}

// applied says what apply did with a copied state.
type applied uint8

const (
	ignored applied = iota // malformed, known already, or older than what is here
	blocked                // a relayed accept below a promise here, or on a node that keeps chosen states only
	same                   // the state accepted here, not known chosen on either side
	changed
)

// apply installs a copied state: a chosen one over any lower accepted
// ballot (the learn rule), another by the accept rule (it is an accept
// relayed by another acceptor). chosen says the sender may mark it chosen
// (a learn, or a sync relaying what its sender knows).
func (a *Acceptor) apply(now int64, l *messages.Learned) applied {
	key, b, st := l.GetKey(), l.GetBallot(), l.GetState()
	if badKey(key) || b == 0 || !a.goodCopy(st) {
		return ignored
	}
	chosen := l.GetChosen()
	r := a.keys.get(key)
	if r != nil && b == r.accepted {
		switch {
		case chosen && !r.chosen:
			r.chosen = true
			a.log.add(key, r) // syncs carry the news that it is chosen
			// Its newest state is chosen: masters left with older ones
			// take this one from syncs, and a repair would only write it
			// again at a new ballot (whose own accept could make it a
			// suspect again, and so on).
			delete(a.suspects, key)
		case !chosen && !r.chosen:
			return same
		}
		return ignored
	}
	// A node that is not a master of its view casts no votes: what it
	// keeps is a copy of chosen states, never a state only relayed (one
	// master's accepted state may never be chosen, and a lower chosen one
	// would not replace it). Relayed states count as vouches (vouch).
	copyOnly := !a.view.IsMaster(a.cfg.Self)
	switch {
	case r == nil && b <= a.floor:
		return ignored // older than a key dropped here
	case r != nil && b < r.accepted && chosen && !r.chosen && copyOnly:
		// a state kept from when it was a master, not known chosen: the
		// chosen one replaces it
	case r != nil && b < r.accepted:
		if chosen && !r.chosen {
			a.suspect(key) // a chosen state below an accepted one not known chosen here
		}
		return ignored // older than what is here
	case !chosen && copyOnly:
		return blocked
	case !chosen && b < a.high(r):
		if r != nil && b > r.accepted {
			a.suspect(key) // a newer accepted state elsewhere, kept out by a promise here
		}
		return blocked
	}
	if r == nil {
		r = a.create(now, key)
	}
	a.set(now, key, r, b, st, chosen)
	r.promised = max(r.promised, b)
	if v := a.vouched[key]; v != nil && v.ballot <= b {
		delete(a.vouched, key) // vouches for a newer ballot still count
	}
	return changed
}

// cursor is what a node got from one master's change log.
type cursor struct {
	incarnation uint64
	last        uint64
}

// SyncRequest returns the anti-entropy request for the master at addr:
// the changes after the last one received from its incarnation.
func (a *Acceptor) SyncRequest(addr string, reqID uint64) *messages.SyncRequest {
	c := a.cursors[addr]
	return &messages.SyncRequest{ReqId: reqID, Incarnation: c.incarnation, After: c.last, Limit: SyncLimit,
		ViewVersion: a.view.Version, NeedCommit: a.commit == nil && a.view.Version > a.cfg.View.Version}
}

// ApplySync applies a master's SyncReply and advances the cursor; it
// reports whether more changes wait there. A sealed acceptor applies
// nothing and keeps its cursor.
func (a *Acceptor) ApplySync(now int64, from string, m *messages.SyncReply) (more bool) {
	if m.GetView() != nil {
		if v, err := view.FromProto(m.GetView()); err == nil && !a.adopt(v, m.GetCommit()) {
			a.learnCommit(m.GetCommit())
		}
	}
	if m.GetStatus() == messages.Status_STATUS_OK {
		a.heard[from] = struct{}{} // it holds no newer view than this one now
	}
	if m.GetStatus() != messages.Status_STATUS_OK || a.reg.sealed(a.view) || m.GetViewVersion() != a.view.Version {
		return false
	}
	for _, l := range m.GetEntries() {
		if res := a.apply(now, l); res == blocked || res == same {
			a.vouch(now, from, l)
		}
		a.heardOf(from, l)
	}
	// The cursor moves only on a reply that continues it: a late reply to
	// a request sent before this acceptor restarted, or before the master
	// did, would skip the changes in between.
	c, inc := a.cursors[from], m.GetIncarnation()
	switch {
	case m.GetAfter() == 0:
		c = cursor{incarnation: inc, last: m.GetLast()}
	case inc == c.incarnation && m.GetAfter() <= c.last:
		c.last = max(c.last, m.GetLast())
	default:
		return false
	}
	a.cursors[from] = c
	return m.GetMore()
}

// heardOf notes that master from holds key at a ballot at least that of
// this acceptor's free state: once every other master does, the free key
// may be dropped (see Expire).
func (a *Acceptor) heardOf(from string, l *messages.Learned) {
	r := a.keys.get(l.GetKey())
	if r == nil || r.entry != nil || r.accepted == 0 || l.GetBallot() < r.accepted || !a.view.IsMaster(from) ||
		slices.Contains(r.heldBy(), from) {
		return
	}
	f := r.freed()
	f.heldBy = append(f.heldBy, from)
}

// vouches counts, per key, the masters known to have accepted the same
// ballot that no one has marked chosen: those that relayed it in a sync
// (while a promise here kept it from being applied, or where it is the
// state accepted here too), and this acceptor itself when it is a master
// that accepted it. W of them mean it is chosen: it is applied, or marked,
// as such, and syncs carry the mark on.
type vouches struct {
	ballot uint64
	from   []string
}

func (v *vouches) add(m string) {
	if !slices.Contains(v.from, m) {
		v.from = append(v.from, m)
	}
}

func (a *Acceptor) vouch(now int64, from string, l *messages.Learned) {
	key, b := l.GetKey(), l.GetBallot()
	if !a.view.IsMaster(from) {
		return
	}
	v := a.vouched[key]
	switch {
	case v != nil && b < v.ballot:
		return // an older relay
	case v == nil && len(a.vouched) >= MaxSuspects:
		return // bounded, like the suspects
	case v == nil || b > v.ballot:
		v = &vouches{ballot: b}
		a.vouched[key] = v
	}
	v.add(from)
	if r := a.keys.get(key); r != nil && r.accepted == b && a.view.IsMaster(a.cfg.Self) {
		v.add(a.cfg.Self) // it accepted the same ballot itself
	}
	if len(v.from) >= a.view.W {
		delete(a.vouched, key)
		a.apply(now, &messages.Learned{Key: key, Ballot: b, State: l.GetState(), Chosen: true})
	}
}

// serveSync answers a node's anti-entropy request with the keys changed
// after its cursor, in change order. A cursor of another incarnation
// starts from the beginning.
func (a *Acceptor) serveSync(now int64, m *messages.SyncRequest) *messages.SyncReply {
	after := m.GetAfter()
	if m.GetIncarnation() != a.cfg.Incarnation {
		after = 0
	}
	limit := int(min(max(m.GetLimit(), 1), SyncLimit))
	reply := &messages.SyncReply{ReqId: m.GetReqId(), Status: messages.Status_STATUS_OK,
		Incarnation: a.cfg.Incarnation, Last: after, After: after, ViewVersion: a.view.Version}
	if m.GetViewVersion() < a.view.Version || (m.GetNeedCommit() && m.GetViewVersion() == a.view.Version) {
		reply.View, reply.Commit = a.view.Proto(), a.commit
	}
	i := a.log.after(after)
	for ; i < len(a.log.changes) && len(reply.Entries) < limit; i++ {
		c := a.log.changes[i]
		reply.Last = c.seq
		r := a.keys.get(c.key)
		if r == nil || r.seq != c.seq || r.accepted == 0 {
			continue // changed again later, dropped, or only promised
		}
		reply.Entries = append(reply.Entries, &messages.Learned{Key: c.key, Ballot: r.accepted, State: r.report(now), Chosen: r.chosen})
	}
	reply.More = i < len(a.log.changes)
	return reply
}

// changeLog numbers every change of accepted content, so that a node can
// ask for what changed since its last sync. Entries for keys changed
// again are skipped when read and compacted away when they are many.
type changeLog struct {
	seq     uint64
	changes []change
}

type change struct {
	seq uint64
	key string
}

func (l *changeLog) add(key string, r *record) {
	l.seq++
	r.seq = l.seq
	l.changes = append(l.changes, change{seq: l.seq, key: key})
}

// after returns the index of the first change numbered above seq.
func (l *changeLog) after(seq uint64) int {
	return sort.Search(len(l.changes), func(i int) bool { return l.changes[i].seq > seq })
}

// compact keeps one change per live key when the log has grown to more
// than twice the keys (plus slack).
func (a *Acceptor) compactLog() {
	if len(a.log.changes) <= 2*a.keys.len()+4096 {
		return
	}
	kept := make([]change, 0, a.keys.len())
	a.keys.each(func(r *record) bool {
		if r.seq != 0 {
			kept = append(kept, change{seq: r.seq, key: r.key})
		}
		return true
	})
	slices.SortFunc(kept, func(x, y change) int {
		switch {
		case x.seq < y.seq:
			return -1
		case x.seq > y.seq:
			return 1
		}
		return 0
	})
	a.log.changes = kept
}

// suspect notes a key whose masters may disagree on the newest state for
// good: a write that lost on some masters and not others, with no write
// since. The host reads such keys through a quorum (Suspects), which
// writes the newest state back where the masters differ.
func (a *Acceptor) suspect(key string) {
	if len(a.suspects) < MaxSuspects {
		a.suspects[key] = struct{}{}
	}
}

// MaxSuspects bounds the keys waiting for a repair read.
const MaxSuspects = 4096

// Suspects returns the keys that a repair read should write back; only a
// voting master reports any. A key stays a suspect until its accepted
// state here changes (the repair's write-back, or any newer write) or is
// learned chosen, so a repair that fails is tried again.
func (a *Acceptor) Suspects() []string {
	if len(a.suspects) == 0 || !a.Votes() {
		return nil
	}
	keys := make([]string, 0, len(a.suspects))
	for k := range a.suspects {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
