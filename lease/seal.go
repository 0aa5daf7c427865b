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
		for k := range a.keys {
			a.reg.keys = append(a.reg.keys, k)
		}
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
		if r := a.keys[keys[i]]; r != nil {
			page.Entries = append(page.Entries, &messages.DumpEntry{Key: keys[i], Promised: r.promised,
				Accepted: r.accepted, State: r.report(now)})
		}
	}
	page.Done = i >= len(keys)
	return page
}

// install merges one page of an old view's merged state: per key the
// higher accepted ballot wins, promises and the floor only rise. It is
// addressed to one incarnation (0 on the first page: the acceptor's
// answer names it), for a version above the acceptor's view, and seals
// the acceptor's views below that version.
func (a *Acceptor) install(now int64, m *messages.Install) *messages.InstallAck {
	ack := &messages.InstallAck{ReqId: m.GetReqId(), Page: m.GetPage(), Incarnation: a.cfg.Incarnation}
	switch {
	case m.GetIncarnation() != 0 && m.GetIncarnation() != a.cfg.Incarnation:
		ack.Status = messages.Status_STATUS_REJECTED // addressed to an earlier incarnation
		return ack
	case m.GetVersion() <= a.view.Version:
		ack.Status = messages.Status_STATUS_WRONG_VIEW
		return ack
	}
	a.reg.installed = max(a.reg.installed, m.GetVersion())
	if f := m.GetFloor(); f > a.floor {
		// A key dropped on a source behaves there as promised at its
		// floor: every key here must promise at least that much, or a
		// ballot below an old tenure's token could be accepted.
		a.floor = f
		for _, r := range a.keys {
			r.promised = max(r.promised, f)
		}
	}
	for _, e := range m.GetEntries() {
		key, st := e.GetKey(), e.GetState()
		if badKey(key) || (e.GetAccepted() != 0 && !a.goodCopy(st)) {
			continue
		}
		r := a.keys[key]
		if r == nil {
			r = a.create(now, key)
		}
		if e.GetAccepted() > r.accepted {
			a.set(now, key, r, e.GetAccepted(), st, false)
		}
		r.promised = max(r.promised, e.GetPromised(), e.GetAccepted())
	}
	ack.Status = messages.Status_STATUS_OK
	return ack
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
	case m.GetBallot() != a.reg.promised:
		reply.Status = messages.Status_STATUS_REJECTED
	default:
		a.reg.promised, a.reg.accBallot, a.reg.accepted = m.GetBallot(), m.GetBallot(), m
		reply.Status = messages.Status_STATUS_OK
	}
	return reply
}

// viewCommit installs a chosen view. A recovering acceptor named among
// those that installed the change's state (with its incarnation) votes
// from now on.
func (a *Acceptor) viewCommit(m *messages.ViewCommit) *messages.ViewAck {
	if v, err := view.FromProto(m.GetView()); err == nil {
		if !a.adopt(v, m) && v.Version == a.view.Version && v.Hash() == a.view.Hash() {
			a.admit(m) // the view came first from a sync reply; the commit names who installed
		}
	}
	return &messages.ViewAck{ReqId: m.GetReqId(), Version: a.view.Version, Voting: a.voting}
}

// admit makes a recovering acceptor vote if it installed the state of the
// change to its current view and the commit names it with its
// incarnation.
func (a *Acceptor) admit(commit *messages.ViewCommit) {
	if a.voting || commit == nil || a.reg.installed < a.view.Version {
		return
	}
	for i, addr := range commit.GetInstalled() {
		if addr == a.cfg.Self && i < len(commit.GetInstalledIncarnations()) &&
			commit.GetInstalledIncarnations()[i] == a.cfg.Incarnation {
			a.voting = true
		}
	}
}

// adopt moves to a newer view and ends the view register of the old one.
func (a *Acceptor) adopt(v view.View, commit *messages.ViewCommit) bool {
	if v.Version <= a.view.Version {
		return false
	}
	a.view = v
	installed := a.reg.installed
	a.reg = viewRegister{}
	if installed >= v.Version {
		a.reg.installed = installed // sealed only by an install above v
	}
	a.admit(commit)
	return true
}

// recoveredFor is how long a recovering acceptor has been recovering, for
// the lock-delay fallback of view changes; 0 until it has heard from every
// master of its configuration and of its view (Unheard). An acceptor that
// lost its memory may have accepted a newer view and forgotten it; that
// view's masters are the configured ones (operators keep configurations
// current), and whichever of them holds it tells it in a sync reply, so
// that it never vouches for an older one.
func (a *Acceptor) recoveredFor(now int64) int64 {
	if len(a.Unheard()) > 0 {
		return 0
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
