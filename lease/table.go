package lease

import (
	"hash/maphash"
	"sync/atomic"
)

// table holds an acceptor's records by key: open-addressing hash arrays
// (linear probing, in shards) with one writer, the acceptor, and any
// number of concurrent readers, which take no lock. It costs about 13
// bytes per key beside the record, a quarter of a Go map of pointers and
// a tenth of a sync.Map.
//
// Readers load the slot array once and probe it with atomic loads. The
// writer fills a free slot with an atomic store, marks a deleted key's
// slot with the tombstone (so that probes go past it), and grows by
// building a new array and publishing it with one atomic store. A reader
// still probing an older array may find a record the writer deleted
// since; the writer unpublishes a record's entry before deleting it, so
// such a reader sees the key absent, as it would a moment earlier.
type table struct {
	seed   maphash.Seed
	shards [tableShards]shard
	live   int // records (writer only)
}

// tableShards splits the table so that growing it copies one shard at a
// time: at a million keys a shard holds about four thousand, and growing
// one stalls the acceptor for well under a millisecond (one array for all
// of them took 280 ms at 1.5M keys).
const tableShards = 256

// shard is one open-addressing array of the table.
type shard struct {
	slots atomic.Pointer[slotArray]
	used  int // slots not empty: records and tombstones (writer only)
	live  int
}

type slotArray struct {
	s    []atomic.Pointer[record]
	mask uint64
}

// tombstone marks the slot of a deleted key.
var tombstone = &record{}

const minSlots = 8

func newTable() *table {
	t := &table{seed: maphash.MakeSeed()}
	for i := range t.shards {
		t.shards[i].slots.Store(&slotArray{s: make([]atomic.Pointer[record], minSlots), mask: minSlots - 1})
	}
	return t
}

// locate returns key's shard and the slot its probe starts at.
func (t *table) locate(key string) (*shard, uint64) {
	h := maphash.String(t.seed, key)
	return &t.shards[h>>56], h
}

// get returns key's record, or nil. Safe for concurrent readers.
func (t *table) get(key string) *record {
	sh, h := t.locate(key)
	a := sh.slots.Load()
	for i := h & a.mask; ; i = (i + 1) & a.mask {
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
	sh, h := t.locate(r.key)
	if (sh.used+1)*4 > len(sh.slots.Load().s)*3 {
		t.rehash(sh)
	}
	a := sh.slots.Load()
	for i := h & a.mask; ; i = (i + 1) & a.mask {
		switch a.s[i].Load() {
		case nil:
			sh.used++
		case tombstone:
		default:
			continue
		}
		a.s[i].Store(r)
		sh.live++
		t.live++
		return
	}
}

// del removes key. Writer only.
func (t *table) del(key string) {
	sh, h := t.locate(key)
	a := sh.slots.Load()
	for i := h & a.mask; ; i = (i + 1) & a.mask {
		r := a.s[i].Load()
		switch {
		case r == nil:
			return
		case r != tombstone && r.key == key:
			a.s[i].Store(tombstone)
			sh.live--
			t.live--
			return
		}
	}
}

// rehash moves a shard's records to a new array at most half full,
// leaving the tombstones behind.
func (t *table) rehash(sh *shard) {
	n := uint64(minSlots)
	for n < uint64(sh.live+1)*2 {
		n *= 2
	}
	old, a := sh.slots.Load(), &slotArray{s: make([]atomic.Pointer[record], n), mask: n - 1}
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
	sh.used = sh.live
	sh.slots.Store(a)
}

// len returns the number of records. Writer only.
func (t *table) len() int { return t.live }

// each calls f for every record until f returns false. The writer may
// delete records from f (never add them). Readers may call it too; they
// see the records of one array per shard.
func (t *table) each(f func(r *record) bool) {
	for i := range t.shards {
		a := t.shards[i].slots.Load()
		for j := range a.s {
			if r := a.s[j].Load(); r != nil && r != tombstone && !f(r) {
				return
			}
		}
	}
}
