package lockercluster

import (
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// The membership actor's local messages.
type (
	topologyChanged struct{}
	membershipTick  struct{}
	membersChanged  struct{ err error }
)

// membership is the actor that keeps the store's view in line with the
// topology. Every member runs one; only the lowest master present in its
// topology changes the view, one SetNodes at a time, and the others learn
// the new view from the store.
type membership struct {
	l      *IdentityLookup
	absent map[string]time.Time // master -> when this member first missed it
	busy   bool
	// waiting is why the store does not run yet, as last logged (a seed
	// kind's deployment error, or a failed start), so each is logged
	// once.
	waiting string
}

func newMembership(l *IdentityLookup) *membership {
	return &membership{l: l, absent: map[string]time.Time{}}
}

// Receive implements actor.Actor.
func (m *membership) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case topologyChanged, membershipTick:
		m.reconcile()
	case membersChanged:
		m.busy = false
		if msg.err != nil {
			m.l.log().Debug("lockercluster: membership change failed", slog.Any("error", msg.err))
		}
	}
}

// startStore starts the store once exactly WithVoters members of the
// seed kind are in t (WithSeedKind); false until it runs. More than that
// is a deployment error: members that saw different ones would start
// with different masters.
func (m *membership) startStore(t *topology) bool {
	seeds := t.hosting(m.l.opts.seedKind)
	switch {
	case m.l.opts.seedKind == "" || len(seeds) < m.l.opts.voters:
		return false
	case len(seeds) > m.l.opts.voters:
		m.logWaiting(fmt.Sprintf("lockercluster: %d members host the seed kind %q, more than the %d voters; the store waits",
			len(seeds), m.l.opts.seedKind, m.l.opts.voters))
		return false
	}
	if err := m.l.startStore(seeds); err != nil {
		m.logWaiting(err.Error())
		return false
	}
	m.l.log().Info("lockercluster: the store started", slog.Any("seeds", seeds))
	return true
}

// logWaiting logs why the store does not run, unless that was the last
// reason logged.
func (m *membership) logWaiting(why string) {
	if why != m.waiting {
		m.waiting = why
		m.l.log().Error(why)
	}
}

func (m *membership) reconcile() {
	t := m.l.topology()
	if m.busy || len(t.addrs) == 0 {
		return
	}
	n := m.l.Node()
	if n == nil && !m.startStore(t) {
		return
	}
	masters, replicas, _, _ := m.l.Node().View()
	now := time.Now()
	for _, a := range masters {
		if t.has(a) {
			delete(m.absent, a)
		} else if _, ok := m.absent[a]; !ok {
			m.absent[a] = now
		}
	}
	for a := range m.absent {
		if !slices.Contains(masters, a) {
			delete(m.absent, a)
		}
	}
	if coordinator(masters, t) != m.l.system.Address() {
		return
	}
	departed := func(a string) bool {
		since, ok := m.absent[a]
		return ok && now.Sub(since) >= m.l.opts.grace
	}
	newM := nextMasters(masters, t, m.l.opts.voters, departed)
	newR := others(t.addrs, newM)
	if slices.Equal(newM, masters) && slices.Equal(newR, replicas) {
		return
	}
	m.busy = true
	self, members := m.l.system.Root, m.l.members
	if !m.l.goBackground(func() {
		ctx, cancel := m.l.context(m.l.opts.lease)
		defer cancel()
		err := m.l.Node().SetNodes(ctx, newM, newR)
		self.Send(members, membersChanged{err: err})
	}) {
		m.busy = false
	}
}

// coordinator is the member that changes the view: the lowest master
// present in t; "" when none is.
func coordinator(masters []string, t *topology) string {
	for _, a := range slices.Sorted(slices.Values(masters)) {
		if t.has(a) {
			return a
		}
	}
	return ""
}

// nextMasters is the rule every member computes alike: keep the masters
// while present; while fewer than voters are present, add the lowest
// address among the other members; remove a master once departed (absent
// past the grace period), one at a time and only after any addition; and
// with more than voters present, remove the highest. The result is sorted
// and differs from masters by at most one address.
func nextMasters(masters []string, t *topology, voters int, departed func(string) bool) []string {
	cur := slices.Sorted(slices.Values(masters))
	var present []string
	for _, a := range cur {
		if t.has(a) {
			present = append(present, a)
		}
	}
	if len(present) < voters {
		for _, a := range t.addrs {
			if !slices.Contains(cur, a) {
				return slices.Sorted(slices.Values(append(slices.Clone(cur), a)))
			}
		}
	}
	for _, a := range cur {
		if !t.has(a) && departed(a) && len(cur) > 1 {
			return slices.DeleteFunc(slices.Clone(cur), func(b string) bool { return b == a })
		}
	}
	if len(present) > voters {
		last := present[len(present)-1]
		return slices.DeleteFunc(slices.Clone(cur), func(b string) bool { return b == last })
	}
	return cur
}

// others returns the sorted addresses of addrs that are not in masters.
func others(addrs, masters []string) []string {
	out := []string{}
	for _, a := range addrs {
		if !slices.Contains(masters, a) {
			out = append(out, a)
		}
	}
	return out
}
