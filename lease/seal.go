package lease

import (
	"slices"
	"sort"

	"github.com/protolocker/locker/internal/view"
	"github.com/protolocker/locker/messages"
)

// DumpLimit is the most keys one DumpPage carries.
const DumpLimit = 2048

// viewRegister is the acceptor's share of the register that chooses the
// next view (docs/protocol.md, "Views"): the ballot it promised, the view
// it accepted, and whether it installed a merge for a later version.
// Any of the three seals the current view: no more votes on keys.
type viewRegister struct {
	promised  uint64
	accBallot uint64
	accepted  *messages.ViewAccept // the accepted view and who installed its state
	installed uint64               // highest version it installed a merge for
	keys      []string             // sorted key snapshot for dumps at promised
	keysFor   uint64
}

func (r *viewRegister) sealed(cur view.View) bool {
	// An install for the current version (the change that made it) does
	// not seal it; one for a later version does.
	return r.promised != 0 || r.accBallot != 0 || r.installed > cur.Version
}

// seal promises view ballot b for the change to the next version: the
// acceptor stops voting on keys in its view, and reports what a
// coordinator needs to know of it.
func (a *Acceptor) seal(now int64, m *messages.Seal) *messages.SealReply {
	reply := &messages.SealReply{ReqId: m.GetReqId(), View: a.view.Proto(), Incarnation: a.cfg.Incarnation}
	switch {
	case !a.view.IsMaster(a.cfg.Self) || m.GetVersion() != a.view.Version+1:
		reply.Status = messages.Status_STATUS_WRONG_VIEW
		return reply
	case m.GetBallot() <= a.reg.promised:
		reply.Status, reply.Promised = messages.Status_STATUS_REJECTED, a.reg.promised
		return reply
	}
	a.reg.promised = m.GetBallot()
	reply.Status, reply.Voting = messages.Status_STATUS_OK, a.voting
	if !a.voting {
		reply.RecoveringNs = a.recoveredFor(now)
	}
	if acc := a.reg.accepted; acc != nil {
		reply.AcceptedBallot, reply.Accepted = a.reg.accBallot, acc.GetView()
		reply.AcceptedInstalled, reply.AcceptedIncarnations = acc.GetInstalled(), acc.GetInstalledIncarnations()
	}
	return reply
}

// dump pages through the frozen state in key order for the coordinator
// that sealed the acceptor at its ballot.
func (a *Acceptor) dump(now int64, m *messages.DumpRequest) *messages.DumpPage {
	if a.reg.promised == 0 || m.GetBallot() != a.reg.promised {
		return &messages.DumpPage{ReqId: m.GetReqId(), Status: messages.Status_STATUS_REJECTED}
	}
	if a.reg.keysFor != a.reg.promised {
		a.reg.keys = a.reg.keys[:0]
		a.keys.each(func(r *record) bool {
			a.reg.keys = append(a.reg.keys, r.key)
			return true
		})
		slices.Sort(a.reg.keys)
		a.reg.keysFor = a.reg.promised
	}
	keys := a.reg.keys
	i := sort.SearchStrings(keys, m.GetAfter())
	if i < len(keys) && keys[i] == m.GetAfter() && m.GetAfter() != "" {
		i++
	}
	limit := int(min(max(m.GetLimit(), 1), DumpLimit))
	page := &messages.DumpPage{ReqId: m.GetReqId(), Status: messages.Status_STATUS_OK, Floor: a.floor}
	for ; i < len(keys) && len(page.Entries) < limit; i++ {
		if r := a.keys.get(keys[i]); r != nil {
			page.Entries = append(page.Entries, &messages.DumpEntry{Key: keys[i], Promised: r.promised,
				Accepted: r.accepted, State: r.report(now)})
		}
	}
	page.Done = i >= len(keys)
	return page
}

// install applies one page of the state a view change carries into the
// new view: per key, the state it merged from N-W+1 sealed masters of the
// old view, which replaces whatever this acceptor holds (a higher state
// of its own was never chosen: the merge would hold it, or a higher one;
// and kept, it would outrank what the new view's quorums hold). Promises
// and the floor only rise. The final page drops the keys no page named.
// A page is addressed to one incarnation (0 on the first page: the
// acceptor's answer names it), for a version above the acceptor's view,
// from the newest coordinator it has heard from; it seals the acceptor's
// views below that version.
func (a *Acceptor) install(now int64, m *messages.Install) *messages.InstallAck {
	ack := &messages.InstallAck{ReqId: m.GetReqId(), Page: m.GetPage(), Incarnation: a.cfg.Incarnation}
	in := installing{version: m.GetVersion(), ballot: m.GetBallot()}
	switch {
	case m.GetIncarnation() != 0 && m.GetIncarnation() != a.cfg.Incarnation:
		ack.Status = messages.Status_STATUS_REJECTED // addressed to an earlier incarnation
		return ack
	case m.GetVersion() <= a.view.Version:
		ack.Status = messages.Status_STATUS_WRONG_VIEW
		return ack
	case in.before(a.inst):
		ack.Status = messages.Status_STATUS_REJECTED // a coordinator another has taken over from
		return ack
	}
	if in.version != a.inst.version || in.ballot != a.inst.ballot {
		a.inst = in
		a.inst.keys = make(map[string]struct{})
	}
	if a.inst.done {
		ack.Status = messages.Status_STATUS_OK // a duplicate of a page already applied
		return ack
	}
	a.reg.installed = max(a.reg.installed, m.GetVersion())
	if f := m.GetFloor(); f > a.floor {
		// A key dropped on a source behaves there as promised at its
		// floor: every key here must promise at least that much, or a
		// ballot below an old tenure's token could be accepted.
		a.floor = f
		a.keys.each(func(r *record) bool {
			r.promised = max(r.promised, f)
			return true
		})
	}
	for _, e := range m.GetEntries() {
		key, st := e.GetKey(), e.GetState()
		if badKey(key) || (e.GetAccepted() != 0 && !a.goodCopy(st)) {
			continue
		}
		a.inst.keys[key] = struct{}{}
		r := a.keys.get(key)
		if r == nil {
			r = a.create(now, key)
		}
		if e.GetAccepted() != r.accepted {
			a.replace(now, key, r, e.GetAccepted(), st)
		}
		r.promised = max(r.promised, e.GetPromised(), e.GetAccepted())
	}
	if m.GetFinal() {
		a.keys.each(func(r *record) bool {
			if _, ok := a.inst.keys[r.key]; !ok {
				a.drop(r.key, r)
			}
			return true
		})
		a.inst.keys, a.inst.done = nil, true
	}
	ack.Status = messages.Status_STATUS_OK
	return ack
}

// installing names the install an acceptor is taking: the version and
// the coordinator's ballot, and the keys its pages named so far.
type installing struct {
	version, ballot uint64
	keys            map[string]struct{}
	done            bool // the final page is applied
}

// before reports whether i is an install of an earlier change, or of a
// coordinator another with a higher ballot has taken over from.
func (i installing) before(cur installing) bool {
	return i.version < cur.version || (i.version == cur.version && i.ballot < cur.ballot)
}

// replace makes the accepted state of key the one installed: st accepted
// at b, or nothing when b is 0.
func (a *Acceptor) replace(now int64, key string, r *record, b uint64, st *messages.State) {
	if b != 0 {
		a.set(now, key, r, b, st, false)
		return
	}
	if r.entry != nil && r.entry.Session != 0 {
		a.detach(r.entry.Session)
	}
	if r.accepted != 0 {
		a.promises++
	}
	r.accepted, r.origin, r.base, r.tbase, r.chosen, r.entry, r.free = 0, 0, 0, 0, false, nil, nil
	a.store.del(r)
	a.markIdle(now, key, r)
	a.log.add(key, r)
	a.sessionChanged(now, key)
}

// drop forgets key, raising the floor to its ballots.
func (a *Acceptor) drop(key string, r *record) {
	a.floor = max(a.floor, r.promised, r.accepted)
	if r.accepted == 0 {
		a.promises--
	}
	a.store.del(r)
	a.keys.del(key)
	delete(a.suspects, key)
	delete(a.vouched, key)
	delete(a.abandoned, key)
}

// viewAccept accepts the next view at ballot b, only while sealed at
// exactly b in this incarnation (the coordinator sealed it, and nothing
// has promised higher since), and only if its memory of the view register
// can be trusted: a master that lost its memory may have promised or
// accepted another ballot before and forgotten it, so it takes part only
// once it votes again, or has been recovering for LockDelay and has heard
// from every master it knows of (recoveredFor).
func (a *Acceptor) viewAccept(now int64, m *messages.ViewAccept) *messages.ViewAccepted {
	reply := &messages.ViewAccepted{ReqId: m.GetReqId()}
	v, err := view.FromProto(m.GetView())
	switch {
	case err != nil:
		reply.Status = messages.Status_STATUS_BAD_REQUEST
	case !a.view.IsMaster(a.cfg.Self) || v.Version != a.view.Version+1:
		reply.Status = messages.Status_STATUS_WRONG_VIEW
	case !a.voting && a.recoveredFor(now) < a.cfg.LockDelay:
		reply.Status = messages.Status_STATUS_NOT_READY
	case a.reg.promised == 0 || m.GetBallot() != a.reg.promised:
		reply.Status = messages.Status_STATUS_REJECTED
	default:
		a.reg.accBallot, a.reg.accepted = m.GetBallot(), m
		reply.Status = messages.Status_STATUS_OK
	}
	return reply
}

// viewCommit installs a chosen view and what its commit says of who may
// vote in it (learnCommit).
func (a *Acceptor) viewCommit(m *messages.ViewCommit) *messages.ViewAck {
	if v, err := view.FromProto(m.GetView()); err == nil && !a.adopt(v, m) {
		a.learnCommit(m) // the view came first, from a refusal or a sync reply
	}
	return &messages.ViewAck{ReqId: m.GetReqId(), Version: a.view.Version, Voting: a.voting}
}

// Carried returns the newest version up to its view's whose change
// carried state: 0 for its configuration, its view's version when it does
// not know the commit.
func (a *Acceptor) Carried() uint64 {
	switch {
	case a.commit != nil:
		return a.commit.GetCarried()
	case a.view.Version == a.cfg.View.Version:
		return 0
	}
	return a.view.Version
}

// adopt moves to a newer view and ends the view register of the old one.
// It stops voting until it knows the commit of the view (learnCommit).
func (a *Acceptor) adopt(v view.View, commit *messages.ViewCommit) bool {
	if v.Version <= a.view.Version {
		return false
	}
	a.mayVote, a.votedIn = a.voting, a.view.Version
	a.view, a.commit, a.voting = v, nil, false
	clear(a.vouched) // vouches count masters of the old view
	installed := a.reg.installed
	a.reg = viewRegister{}
	if installed >= v.Version {
		a.reg.installed = installed // sealed only by an install above v
	}
	a.learnCommit(commit)
	return true
}

// learnCommit applies the commit of the acceptor's view, once. A change
// that carried no state (the same masters and W: each keeps its own) lets
// a master that voted in an earlier view vote on, if no change since that
// view carried state (the commit's Carried). After one that did, a master
// votes only if the commit names it, with its incarnation, among those
// that installed all of it: a state of its own may outrank what the new
// view's quorums hold (install). A master that never learns the commit,
// or missed a change that carried state, recovers: it rejoins.
func (a *Acceptor) learnCommit(commit *messages.ViewCommit) {
	if commit == nil || a.commit != nil {
		return
	}
	if cv, err := view.FromProto(commit.GetView()); err != nil || cv.Version != a.view.Version || cv.Hash() != a.view.Hash() {
		return
	}
	a.commit = commit
	if len(commit.GetInstalled()) == 0 {
		a.voting = a.voting || (a.mayVote && commit.GetCarried() <= a.votedIn)
	} else if a.reg.installed >= a.view.Version {
		for i, addr := range commit.GetInstalled() {
			if addr == a.cfg.Self && i < len(commit.GetInstalledIncarnations()) &&
				commit.GetInstalledIncarnations()[i] == a.cfg.Incarnation {
				a.voting = true
			}
		}
	}
	a.mayVote = false
}

// recoveredFor is how long a recovering acceptor has been recovering, for
// the lock-delay fallback of view changes; 0 until it has heard from every
// master of its configuration and of its view (Unheard). An acceptor that
// lost its memory may have accepted a newer view and forgotten it; that
// view's masters are the configured ones (operators keep configurations
// current), and whichever of them holds it tells it in a sync reply, so
// that it never vouches for an older one.
func (a *Acceptor) recoveredFor(now int64) int64 {
	for _, m := range slices.Concat(a.cfg.View.Masters, a.view.Masters) {
		if _, ok := a.heard[m]; !ok && m != a.cfg.Self {
			return 0
		}
	}
	return now - a.cfg.Now
}

// Unheard returns the masters of its configuration and of its view,
// itself aside, that have not answered a sync since the start: a
// recovering acceptor's host syncs with them too.
func (a *Acceptor) Unheard() []string {
	var out []string
	for _, m := range slices.Concat(a.cfg.View.Masters, a.view.Masters) {
		if _, ok := a.heard[m]; !ok && m != a.cfg.Self && !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}
