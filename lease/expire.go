package lease

// NextDeadline returns the earliest time at which Expire may have work.
func (t *Table) NextDeadline() (int64, bool) {
	next, ok := int64(0), false
	for _, h := range []*deadlines{&t.entryDue, &t.promiseDue, &t.tombDue} {
		if h.len() > 0 && (!ok || h.peek().at < next) {
			next, ok = h.peek().at, true
		}
	}
	return next, ok
}

// Expire deletes every entry, promise and tombstone due at or before now,
// and returns how many entries it deleted. Each due key costs O(log n).
func (t *Table) Expire(now int64) int {
	n := 0
	for t.entryDue.len() > 0 && t.entryDue.peek().at <= now {
		d := t.entryDue.pop()
		if e, ok := t.store.Get(d.key); ok && e.ExpiresAt <= now {
			t.remove(d.key)
			n++
		}
	}
	for t.promiseDue.len() > 0 && t.promiseDue.peek().at <= now {
		d := t.promiseDue.pop()
		t.livePromise(now, d.key)
	}
	for t.tombDue.len() > 0 && t.tombDue.peek().at <= now {
		d := t.tombDue.pop()
		if tb, ok := t.tombs[d.key]; ok && tb.until <= now {
			delete(t.tombs, d.key)
		}
	}
	return n
}
