package lease

import (
	"hash/maphash"
	"sync/atomic"
)

// table holds an acceptor's records by key: an open-addressing hash
// table (linear probing) with one writer, the acceptor, and any number
// of concurrent readers, which take no lock. It costs about 13 bytes per
// key beside the record, a quarter of a Go map of pointers and a tenth of
// a sync.Map.
//
// Readers load the slot array once and probe it with atomic loads. The
// writer fills a free slot with an atomic store, marks a deleted key's
// slot with the tombstone (so that probes go past it), and grows by
// building a new array and publishing it with one atomic store. A reader
// still probing an older array may find a record the writer deleted
// since; the writer unpublishes a record's entry before deleting it, so
// such a reader sees the key absent, as it would a moment earlier.
type table struct {
	seed  maphash.Seed
	slots atomic.Pointer[slotArray]
	live  int // records (writer only)
	used  int // slots not empty: records and tombstones (writer only)
}

type slotArray struct {
	s    []atomic.Pointer[record]
	mask uint64
}

// tombstone marks the slot of a deleted key.
var tombstone = &record{}

const minSlots = 16

func newTable() *table {
	t := &table{seed: maphash.MakeSeed()}
	t.slots.Store(&slotArray{s: make([]atomic.Pointer[record], minSlots), mask: minSlots - 1})
	return t
}

// get returns key's record, or nil. Safe for concurrent readers.
func (t *table) get(key string) *record {
	a := t.slots.Load()
	for i := maphash.String(t.seed, key) & a.mask; ; i = (i + 1) & a.mask {
		r := a.s[i].Load()
		switch {
		case r == nil:
			return nil
		case r != tombstone && r.key == key:
			return r
		}
	}
}

// put adds r under r.key, which must be absent. Writer only.
func (t *table) put(r *record) {
	if (t.used+1)*4 > len(t.slots.Load().s)*3 {
		t.rehash()
	}
	a := t.slots.Load()
	for i := maphash.String(t.seed, r.key) & a.mask; ; i = (i + 1) & a.mask {
		switch a.s[i].Load() {
		case nil:
			t.used++
		case tombstone:
		default:
			continue
		}
		a.s[i].Store(r)
		t.live++
		return
	}
}

// del removes key. Writer only.
func (t *table) del(key string) {
	a := t.slots.Load()
	for i := maphash.String(t.seed, key) & a.mask; ; i = (i + 1) & a.mask {
		r := a.s[i].Load()
		switch {
		case r == nil:
			return
		case r != tombstone && r.key == key:
			a.s[i].Store(tombstone)
			t.live--
			return
		}
	}
}

// rehash moves the records to a new array at most half full,
// leaving the tombstones behind.
func (t *table) rehash() {
	n := uint64(minSlots)
	for n < uint64(t.live+1)*2 {
		n *= 2
	}
	old, a := t.slots.Load(), &slotArray{s: make([]atomic.Pointer[record], n), mask: n - 1}
	for i := range old.s {
		r := old.s[i].Load()
		if r == nil || r == tombstone {
			continue
		}
		j := maphash.String(t.seed, r.key) & a.mask
		for a.s[j].Load() != nil {
			j = (j + 1) & a.mask
		}
		a.s[j].Store(r)
	}
	t.used = t.live
	t.slots.Store(a)
}

// len returns the number of records. Writer only.
func (t *table) len() int { return t.live }

// each calls f for every record until f returns false. The writer may
// delete records from f (never add them). Readers may call it too; they
// see the records of one array.
func (t *table) each(f func(r *record) bool) {
	a := t.slots.Load()
	for i := range a.s {
		if r := a.s[i].Load(); r != nil && r != tombstone && !f(r) {
			return
		}
	}
}
