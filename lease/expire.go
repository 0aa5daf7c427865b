package lease

// NextDeadline returns the earliest time at which Expire may have work.
func (a *Acceptor) NextDeadline() (int64, bool) {
	next, ok := int64(0), false
	for _, h := range []*deadlines{&a.expiry, &a.idle} {
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
// their ballots. Each due key costs O(log n).
func (a *Acceptor) Expire(now int64) int {
	n := 0
	for a.expiry.len() > 0 && a.expiry.peek().at <= now {
		d := a.expiry.pop()
		r := a.keys[d.key]
		if r == nil || r.entry == nil || r.entry.ExpiresAt > now {
			continue // released, or extended: a later deadline is queued
		}
		if e, ok := a.store.Get(d.key); ok && e == r.entry {
			a.store.del(d.key)
			n++
		}
	}
	// A sealed acceptor's state is frozen for the dumps: nothing is
	// dropped until the view change ends.
	for !a.reg.sealed(a.view) && a.idle.len() > 0 && a.idle.peek().at <= now {
		d := a.idle.pop()
		r := a.keys[d.key]
		if r == nil || r.entry != nil || r.idleUntil > now {
			continue
		}
		a.floor = max(a.floor, r.promised, r.accepted)
		delete(a.keys, d.key)
	}
	a.compactLog()
	return n
}
