package viewchange

import (
	"fmt"
	"slices"

	"github.com/protolocker/locker/internal/reqid"
	"github.com/protolocker/locker/messages"
)

// dumpState pages the sources' frozen state in key order. Each source's
// page ends at its own last key; entries up to the smallest such key
// across sources not yet done are complete and merged.
type dumpState struct {
	after []string
	buf   [][]*messages.DumpEntry
	done  []bool
	asked []int // source index of each target of the current round
	floor uint64
}

// installState tracks which masters of the new view installed every page
// so far, and as which incarnation.
type installState struct {
	inc   map[string]uint64
	ok    map[string]bool
	pages uint32
}

func (c *Change) startDump(now int64) []Send {
	n := len(c.sources)
	c.dump = dumpState{after: make([]string, n), buf: make([][]*messages.DumpEntry, n), done: make([]bool, n)}
	c.inst = installState{inc: make(map[string]uint64), ok: make(map[string]bool)}
	for _, m := range c.to.Masters {
		c.inst.ok[m] = true
	}
	return c.requestPages(now)
}

// requestPages asks every source whose buffer ran out for its next page.
func (c *Change) requestPages(now int64) []Send {
	var targets []string
	c.dump.asked = c.dump.asked[:0]
	for i, src := range c.sources {
		if len(c.dump.buf[i]) == 0 && !c.dump.done[i] {
			targets = append(targets, src)
			c.dump.asked = append(c.dump.asked, i)
		}
	}
	if len(targets) == 0 {
		return c.installPage(now)
	}
	return c.send(now, phDump, targets, func(id uint64, to string) any {
		return &messages.DumpRequest{ReqId: id, Ballot: c.ballot, After: c.dump.after[c.dump.asked[reqid.Index(id)]], Limit: c.cfg.PageLimit}
	})
}

func (c *Change) onDump(now int64, i int, msg any) []Send {
	p, ok := msg.(*messages.DumpPage)
	if !ok {
		return nil
	}
	if p.GetStatus() != messages.Status_STATUS_OK {
		c.finish(Conflict, "a sealed master was sealed again by another view change")
		return nil
	}
	src := c.dump.asked[i]
	c.dump.buf[src] = append(c.dump.buf[src], p.GetEntries()...)
	if n := len(p.GetEntries()); n > 0 {
		c.dump.after[src] = p.GetEntries()[n-1].GetKey()
	}
	c.dump.done[src] = p.GetDone()
	c.dump.floor = max(c.dump.floor, p.GetFloor())
	if c.nAnswers < len(c.targets) {
		return nil
	}
	return c.installPage(now)
}

// merge takes every buffered entry up to the frontier out of the buffers,
// merged per key: the highest accepted ballot (with the least lease left
// among equal ones) and the highest promise. final reports that nothing
// is left to merge.
func (c *Change) merge() (entries []*messages.DumpEntry, final bool) {
	frontier, bounded := "", false
	for i := range c.sources {
		if !c.dump.done[i] && (!bounded || c.dump.after[i] < frontier) {
			frontier, bounded = c.dump.after[i], true
		}
	}
	byKey := make(map[string]*messages.DumpEntry)
	var order []string
	for i := range c.sources {
		k := 0
		for ; k < len(c.dump.buf[i]); k++ {
			e := c.dump.buf[i][k]
			if bounded && e.GetKey() > frontier {
				break
			}
			m := byKey[e.GetKey()]
			if m == nil {
				byKey[e.GetKey()] = e
				order = append(order, e.GetKey())
				continue
			}
			byKey[e.GetKey()] = mergeEntry(m, e)
		}
		c.dump.buf[i] = c.dump.buf[i][k:]
	}
	slices.Sort(order)
	for _, k := range order {
		entries = append(entries, byKey[k])
	}
	final = !bounded
	for i := range c.sources {
		final = final && len(c.dump.buf[i]) == 0
	}
	return entries, final
}

func mergeEntry(a, b *messages.DumpEntry) *messages.DumpEntry {
	m := &messages.DumpEntry{Key: a.GetKey(), Promised: max(a.GetPromised(), b.GetPromised())}
	switch {
	case a.GetAccepted() > b.GetAccepted():
		m.Accepted, m.State = a.GetAccepted(), a.GetState()
	case b.GetAccepted() > a.GetAccepted():
		m.Accepted, m.State = b.GetAccepted(), b.GetState()
	default:
		m.Accepted, m.State = a.GetAccepted(), a.GetState()
		if a.GetState().GetHeld() && b.GetState().GetLeaseNs() < a.GetState().GetLeaseNs() {
			m.State = b.GetState()
		}
	}
	return m
}

// installPage sends the next merged page to the masters of the new view
// still installing, or moves to the accept when the transfer is over.
func (c *Change) installPage(now int64) []Send {
	entries, final := c.merge()
	if len(entries) == 0 && !final {
		return c.requestPages(now)
	}
	var targets []string
	for _, m := range c.to.Masters {
		if c.inst.ok[m] {
			targets = append(targets, m)
		}
	}
	page := c.inst.pages
	c.inst.pages++
	c.final = final
	return c.send(now, phInstall, targets, func(id uint64, to string) any {
		return &messages.Install{ReqId: id, Version: c.to.Version, Ballot: c.ballot, Incarnation: c.inst.inc[to],
			Page: page, Entries: entries, Floor: c.dump.floor, Final: final}
	})
}

func (c *Change) onInstall(now int64, i int, msg any) []Send {
	a, ok := msg.(*messages.InstallAck)
	if !ok {
		return nil
	}
	to := c.targets[i]
	switch pinned := c.inst.inc[to]; {
	case a.GetStatus() != messages.Status_STATUS_OK:
		c.inst.ok[to] = false
	case pinned == 0:
		c.inst.inc[to] = a.GetIncarnation()
	case pinned != a.GetIncarnation():
		c.inst.ok[to] = false // restarted: its earlier pages are gone
	}
	return c.installDecided(now, c.nAnswers == len(c.targets))
}

// installDecided moves on once every master still installing answered
// the page, or W of them installed it (the others drop out: a master that
// votes keeps its own state, one that recovers rejoins later).
func (c *Change) installDecided(now int64, over bool) []Send {
	acked := 0
	for i, t := range c.targets {
		if c.answered[i] && c.inst.ok[t] {
			acked++
		}
	}
	if !over {
		if acked >= c.to.W && !c.graced {
			// Enough masters have it; the others get a short grace.
			c.graced, c.deadline = true, min(c.deadline, now+c.cfg.RoundTimeout/4)
		}
		return nil
	}
	for i, t := range c.targets {
		if !c.answered[i] {
			c.inst.ok[t] = false
		}
	}
	complete := 0
	for _, m := range c.to.Masters {
		if c.inst.ok[m] {
			complete++
		}
	}
	if complete < c.to.W {
		c.finish(NoQuorum, fmt.Sprintf("%d of %d masters of view %d installed the state, %d needed", complete,
			len(c.to.Masters), c.to.Version, c.to.W))
		return nil
	}
	if c.final {
		return c.afterInstall(now)
	}
	return c.requestPages(now)
}

func (c *Change) afterInstall(now int64) []Send {
	var installed []string
	var incs []uint64
	for _, m := range c.to.Masters {
		if c.inst.ok[m] {
			installed, incs = append(installed, m), append(incs, c.inst.inc[m])
		}
	}
	return c.startAccept(now, installed, incs)
}

// startAccept asks the old view's masters to accept the new view, with
// the masters that installed its state.
func (c *Change) startAccept(now int64, installed []string, incs []uint64) []Send {
	c.installed, c.incs, c.accepts, c.refused = installed, incs, 0, 0
	return c.send(now, phAccept, c.from.Masters, func(id uint64, _ string) any {
		return &messages.ViewAccept{ReqId: id, Ballot: c.ballot, View: c.to.Proto(), Installed: installed, InstalledIncarnations: incs}
	})
}

func (c *Change) onAccept(now int64, msg any) []Send {
	a, ok := msg.(*messages.ViewAccepted)
	if !ok {
		return nil
	}
	switch a.GetStatus() {
	case messages.Status_STATUS_OK:
		c.accepts++
	case messages.Status_STATUS_REJECTED:
		c.finish(Conflict, "another view change took over with a higher ballot")
		return nil
	case messages.Status_STATUS_WRONG_VIEW:
		c.finish(Conflict, fmt.Sprintf("view %d was replaced meanwhile", c.from.Version))
		return nil
	default:
		c.refused++
	}
	switch {
	case c.accepts >= c.from.W:
		return c.startCommit(now)
	case c.refused > len(c.from.Masters)-c.from.W:
		c.finish(NoQuorum, fmt.Sprintf("%d of %d masters refused view %d", c.refused, len(c.from.Masters), c.to.Version))
	}
	return nil
}

// startCommit tells every node of both views that the new view is chosen.
func (c *Change) startCommit(now int64) []Send {
	nodes := c.from.Nodes()
	for _, a := range c.to.Nodes() {
		if !slices.Contains(nodes, a) {
			nodes = append(nodes, a)
		}
	}
	return c.send(now, phCommit, nodes, func(id uint64, _ string) any { return c.commitMsg(id) })
}

// onCommit counts the acknowledgements of the commit; the change ends
// once W masters of the new view have it (the view is chosen already; the
// others learn it from the first master that refuses them).
func (c *Change) onCommit(i int, msg any) []Send {
	if a, ok := msg.(*messages.ViewAck); ok && a.GetVersion() >= c.to.Version && c.to.IsMaster(c.targets[i]) {
		c.acks++
	}
	if c.nAnswers == len(c.targets) || c.acks >= c.to.W {
		c.end(OK)
	}
	return nil
}

// Commit returns the commit message of the chosen view, for nodes that
// missed it.
func (c *Change) Commit() *messages.ViewCommit {
	return c.commitMsg(0)
}

func (c *Change) commitMsg(id uint64) *messages.ViewCommit {
	return &messages.ViewCommit{ReqId: id, View: c.to.Proto(), Ballot: c.ballot, Installed: c.installed,
		InstalledIncarnations: c.incs, Carried: c.carried()}
}

// carried is the newest version whose change carried state: this one if
// it installed any, else the old view's.
func (c *Change) carried() uint64 {
	if len(c.installed) > 0 {
		return c.to.Version
	}
	return c.cfg.Carried
}
