package lease

import (
	"hash/fnv"
	"slices"
)

// NextDeadline returns the earliest time at which Expire may have work.
func (a *Acceptor) NextDeadline() (int64, bool) {
	next, ok := int64(0), false
	for _, h := range []*deadlines{&a.expiry, &a.idle, &a.abandon} {
		if h == &a.idle && a.reg.sealed(a.view) {
			continue // nothing is dropped while sealed
		}
		if h.len() > 0 && (!ok || h.peek().at < next) {
			next, ok = h.peek().at, true
		}
	}
	return next, ok
}

// Expire unpublishes every held key whose deadline is at or before now
// and returns how many. An expired key keeps its accepted state (its
// expiry becomes the register's state only when a proposer writes free
// over it), so it is still reported, with nothing left. Keys free (or
// never accepted) for TombstoneTTL are dropped, raising the floor to
// their ballots, once every other master of the view is known (from its
// sync replies) to hold the free state or a newer one: a master left
// with an older state could otherwise be the newest of a quorum once the
// tombstone is gone, and bring a released tenure back. Each due key costs
// O(log n).
func (a *Acceptor) Expire(now int64) int {
	n := 0
	for a.expiry.len() > 0 && a.expiry.peek().at <= now {
		d := a.expiry.pop()
		r := a.keys.get(d.key)
		if r == nil || r.entry == nil || r.entry.Session != 0 || r.entry.ExpiresAt > now {
			continue // released, extended (a later deadline is queued) or attached to a session since
		}
		if e, ok := a.store.Get(d.key); ok && e == r.entry {
			a.store.del(r)
			n++
			a.abandon.push(deadline{at: r.entry.ExpiresAt + a.cfg.TombstoneTTL, key: d.key})
			a.sessionChanged(now, d.key)
		}
	}
	for a.abandon.len() > 0 && a.abandon.peek().at <= now {
		d := a.abandon.pop()
		r := a.keys.get(d.key)
		switch {
		case !a.abandonedAt(now, r):
		case len(a.abandoned) < MaxSuspects:
			a.abandoned[d.key] = struct{}{}
		default:
			a.abandon.push(deadline{at: now + a.cfg.TombstoneTTL, key: d.key}) // full: look again later
		}
	}
	// A sealed acceptor's state is frozen for the dumps: nothing is
	// dropped until the view change ends.
	for !a.reg.sealed(a.view) && a.idle.len() > 0 && a.idle.peek().at <= now {
		d := a.idle.pop()
		r := a.keys.get(d.key)
		if r == nil || r.entry != nil || r.free == nil || r.free.idleUntil > now {
			continue
		}
		if !a.everywhere(r) {
			// Announce it again: the other masters' syncs bring their own
			// announcements, which tell this one that they hold it.
			a.log.add(d.key, r)
			a.markIdle(now, d.key, r)
			continue
		}
		a.drop(d.key, r)
	}
	a.compactLog()
	return n
}

// MaxReaps is the most abandoned keys Abandoned returns at once.
const MaxReaps = 64

// Abandoned returns keys that expired here at least TombstoneTTL ago and
// were not written since: leases their holders left to run out. A read
// through a quorum writes their expiry (a free state), after which they
// are dropped like any free key. Each master of the view reports the keys
// whose hash falls to it, a few at a time; a key it reports is reported
// again TombstoneTTL later if it is still abandoned then.
func (a *Acceptor) Abandoned(now int64) []string {
	if len(a.abandoned) == 0 || !a.Votes() {
		return nil
	}
	i, n := slices.Index(a.view.Masters, a.cfg.Self), uint64(len(a.view.Masters))
	var keys []string
	for k := range a.abandoned {
		if len(keys) == MaxReaps {
			break
		}
		delete(a.abandoned, k)
		if r := a.keys.get(k); !a.abandonedAt(now, r) {
			continue // written since it was marked
		}
		if hashKey(k)%n != uint64(i) {
			continue
		}
		keys = append(keys, k)
		a.abandon.push(deadline{at: now + a.cfg.TombstoneTTL, key: k})
	}
	slices.Sort(keys)
	return keys
}

// abandonedAt reports whether a record holds a state that lapsed here
// TombstoneTTL ago or more (one attached to a session: whose session is
// not live here; the abandon deadline counted the time).
func (a *Acceptor) abandonedAt(now int64, r *record) bool {
	switch {
	case r == nil || r.entry == nil:
		return false
	case r.entry.Session != 0:
		return a.lapsed(now, r)
	}
	return r.entry.ExpiresAt+a.cfg.TombstoneTTL <= now
}

func hashKey(k string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(k))
	return h.Sum64()
}

// everywhere reports whether every other master of the view holds the
// free record's state or a newer one (a record that never accepted
// anything, only promised, has no state to lose).
func (a *Acceptor) everywhere(r *record) bool {
	if r.accepted == 0 {
		return true
	}
	for _, m := range a.view.Masters {
		if m != a.cfg.Self && !slices.Contains(r.heldBy(), m) {
			return false
		}
	}
	return true
}
