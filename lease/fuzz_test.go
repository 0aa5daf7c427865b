package lease

import (
	"slices"
	"sync"
	"testing"

	"github.com/protolocker/locker/internal/view"
	"github.com/protolocker/locker/messages"
)

// The fuzzed acceptor keeps leases of at most fuzzMaxLease and tombstones
// fuzzTTL; each operation advances time by up to 15 * fuzzTick.
const (
	fuzzMaxLease = 1_000
	fuzzTTL      = 3_000
	fuzzTick     = 150
)

// Fuzz operations: the first byte of each 4-byte group, modulo fuzzOps.
const (
	fzPrepare = iota
	fzAccept
	fzRead
	fzLearn
	fzSyncRequest
	fzSyncReply
	fzSeal
	fzDump
	fzInstall
	fzViewAccept
	fzViewCommit
	fzExpire
	fzAdopt
	fzWrongView
	fzAbandoned
	fuzzOps
)

var fuzzKeys = []string{"a", "b", "c", "d", ""} // "" is malformed

// fuzzOp encodes one operation for the seed corpus.
func fuzzOp(op, key, ballot, x byte) []byte { return []byte{op, key, ballot, x} }

func seedOps(ops ...[]byte) []byte {
	out := []byte{0} // voting
	for _, o := range ops {
		out = append(out, o...)
	}
	return out
}

// FuzzAcceptor feeds one acceptor a sequence of requests decoded from the
// input, four bytes each (operation, key, ballot, extra), with time never
// going back. After every operation, per key: the promise never falls and
// never is below the accepted ballot, and the accepted ballot never falls
// while the key is kept; a dropped key's ballots are at most the floor,
// which never falls either (an Install may bring the key back at a lower
// accepted ballot, with its promise at the floor: the floor is one bound
// for every absent key, so a merged state below it is not stale). The
// Store publishes only the key's current entry, and every held state with
// time left; after an Expire it is exactly the held keys with time left.
func FuzzAcceptor(f *testing.F) {
	f.Add(seedOps())
	f.Add(seedOps( // a lock's life: write, read, expire, free, drop, floor
		fuzzOp(fzPrepare, 0, 5, 0x00), fuzzOp(fzAccept, 0, 5, 0x29), fuzzOp(fzRead, 0, 0, 0x10),
		fuzzOp(fzExpire, 0, 0, 0xf0), fuzzOp(fzLearn, 0, 6, 0x04), fuzzOp(fzAccept, 1, 7, 0x4a),
		fuzzOp(fzExpire, 0, 0, 0xf0), fuzzOp(fzExpire, 0, 0, 0xf0), fuzzOp(fzPrepare, 0, 6, 0x00),
		fuzzOp(fzAccept, 0, 6, 0x00), fuzzOp(fzSyncRequest, 0, 0, 0x01)))
	f.Add(seedOps( // a view change: seal, dump, install, accept, commit
		fuzzOp(fzAccept, 2, 3, 0x21), fuzzOp(fzSeal, 0, 4, 0x00), fuzzOp(fzDump, 0, 4, 0x01),
		fuzzOp(fzLearn, 2, 9, 0x04), fuzzOp(fzInstall, 3, 8, 0x21), fuzzOp(fzViewAccept, 0, 4, 0x00),
		fuzzOp(fzViewCommit, 0, 4, 0x04), fuzzOp(fzPrepare, 3, 9, 0x00), fuzzOp(fzAdopt, 0, 0, 0x01)))
	f.Add(seedOps( // anti-entropy: relays blocked by a promise, vouched, suspects
		fuzzOp(fzAccept, 1, 3, 0x00), fuzzOp(fzPrepare, 1, 20, 0x00), fuzzOp(fzSyncReply, 1, 6, 0x01),
		fuzzOp(fzSyncReply, 1, 6, 0x02), fuzzOp(fzLearn, 1, 2, 0x04), fuzzOp(fzSyncReply, 2, 9, 0x0c),
		fuzzOp(fzWrongView, 1, 30, 0x00), fuzzOp(fzExpire, 0, 0, 0xff)))
	f.Add(append([]byte{1}, seedOps( // recovering: install, commit naming it, then vote
		fuzzOp(fzPrepare, 0, 1, 0x00), fuzzOp(fzSeal, 0, 2, 0x00), fuzzOp(fzInstall, 0, 4, 0x11),
		fuzzOp(fzViewCommit, 0, 2, 0x04), fuzzOp(fzAccept, 0, 5, 0x21))[1:]...))

	f.Fuzz(fuzzAcceptor)
}

func fuzzAcceptor(t *testing.T, data []byte) {
	if len(data) == 0 {
		return
	}
	a := New(Config{Self: self, View: mkView(t, 1), Incarnation: selfInc, MaxLease: fuzzMaxLease,
		TombstoneTTL: fuzzTTL, Voting: data[0]&1 == 0, Now: 0})
	c := fuzzChecker{t: t, a: a, lastA: map[string]uint64{}, lastP: map[string]uint64{}}
	now := int64(0)
	for data = data[1:]; len(data) >= 4; data = data[4:] {
		op, key, b, x := data[0]%fuzzOps, fuzzKeys[int(data[1])%len(fuzzKeys)], uint64(data[2]), data[3]
		now += int64(x>>4) * fuzzTick
		expired := fuzzStep(t, a, now, op, key, b, x)
		c.check(now, expired, op == fzInstall)
	}
	a.Expire(now)
	c.check(now, true, false)
}

// fuzzStep applies one operation; it reports whether it was an Expire.
func fuzzStep(t *testing.T, a *Acceptor, now int64, op byte, key string, b uint64, x byte) (expired bool) {
	cur := a.View()
	next := fuzzView(t, cur.Version+1, x)
	var msg any
	switch op {
	case fzPrepare:
		msg = prepareMsg(a, key, b)
	case fzAccept:
		msg = acceptMsg(a, key, b, fuzzState(b, x), x&8 != 0)
	case fzRead:
		msg = readMsg(a, key)
	case fzLearn:
		msg = &messages.Learn{ReqId: uint64(x & 8), Entries: []*messages.Learned{
			learned(key, b, fuzzState(b, x), x&4 != 0)}}
	case fzSyncRequest:
		inc := uint64(selfInc)
		if x&1 != 0 {
			inc++
		}
		msg = &messages.SyncRequest{Incarnation: inc, After: b, Limit: uint32(x % 4), ViewVersion: cur.Version - uint64(x&2)/2}
	case fzSyncReply:
		r := &messages.SyncReply{Status: messages.Status_STATUS_OK, Incarnation: 99, Last: b, More: x&2 != 0,
			ViewVersion: cur.Version, Entries: []*messages.Learned{learned(key, b, fuzzState(b, x), x&4 != 0)}}
		if x&8 != 0 {
			r.ViewVersion, r.View = next.Version, next.Proto()
		}
		from := []string{"m1", "m2", "m3", "r1"}[x%4]
		a.ApplySync(now, from, r)
		return false
	case fzSeal:
		msg = &messages.Seal{Version: cur.Version + 1 - uint64(x&1), Ballot: b}
	case fzDump:
		msg = &messages.DumpRequest{Ballot: b, After: key, Limit: uint32(x % 3)}
	case fzInstall:
		inc := []uint64{0, selfInc, selfInc + 1, 0}[(x>>2)&3]
		var floor uint64
		if x&2 != 0 {
			floor = b / 2
		}
		msg = &messages.Install{Version: cur.Version + 1 - uint64(x&1), Ballot: b, Incarnation: inc, Floor: floor,
			Entries: []*messages.DumpEntry{{Key: key, Promised: b + uint64(x&7), Accepted: b, State: fuzzState(b, x)}},
			Final:   b%5 == 0}
	case fzViewAccept:
		msg = &messages.ViewAccept{Ballot: b, View: next.Proto()}
	case fzViewCommit:
		vc := &messages.ViewCommit{View: next.Proto(), Ballot: b}
		if x&4 != 0 {
			vc.Installed, vc.InstalledIncarnations = []string{"m2", self}, []uint64{1, selfInc}
		}
		msg = vc
	case fzExpire:
		a.Expire(now)
		return true
	case fzAdopt:
		a.Adopt(next)
		return false
	case fzAbandoned:
		// Not checked against the keys' states: a key written after the
		// Expire that marked it is still reported (see the skipped
		// TestAbandonedSkipsKeysWrittenSinceTheyWereMarked).
		if keys := a.Abandoned(now); len(keys) > MaxReaps || !slices.IsSorted(keys) {
			t.Fatalf("Abandoned(%d) = %q", now, keys)
		}
		return false
	case fzWrongView:
		other := fuzzView(t, cur.Version+uint64(x&1), x+1)
		msg = &messages.Prepare{Key: key, Ballot: b, ViewVersion: other.Version, ViewHash: other.Hash()}
	}
	if _, known := a.Handle(now, "m2", msg); !known {
		t.Fatalf("%T not handled", msg)
	}
	return false
}

// fuzzView returns a view of version whose masters x picks: with or
// without the acceptor, three or two of them.
func fuzzView(t *testing.T, version uint64, x byte) view.View {
	pick := int(x>>4) % 3
	id := [2]uint64{version, uint64(pick)}
	if v, ok := fuzzViews.Load(id); ok {
		return v.(view.View)
	}
	v := mkView(t, version, [][]string{{"m1", "m2", "m3"}, {"m1", "m2"}, {"m2", "m3", "m4"}}[pick]...)
	fuzzViews.Store(id, v)
	return v
}

// fuzzViews caches the views fuzzView makes; views are values, never
// modified.
var fuzzViews sync.Map

// fuzzState returns a state for ballot b that x picks: free, held with a
// lease (possibly 0 or above the maximum), or nil.
func fuzzState(b uint64, x byte) *messages.State {
	lease := int64(x>>5) * 250
	switch x & 3 {
	case 0:
		return free(b)
	case 1, 2:
		return held("v", b, b, lease)
	default:
		return nil
	}
}

type fuzzChecker struct {
	t            *testing.T
	a            *Acceptor
	lastA, lastP map[string]uint64
}

// check runs after every operation; it uses plain comparisons, not
// testify, which costs more than the acceptor in a fuzz loop. Only an
// install may lower a master's accepted ballot (it replaces the state);
// a node that is no master keeps copies, and a chosen state replaces one
// not known chosen.
func (c *fuzzChecker) check(now int64, expired, installed bool) {
	t, a := c.t, c.a
	floor := a.Floor()
	for _, k := range fuzzKeys[:len(fuzzKeys)-1] {
		acc, st := a.State(now, k)
		p, _ := a.Promise(k)
		if p < c.lastP[k] {
			t.Fatalf("%q: the promise fell from %d to %d", k, c.lastP[k], p)
		}
		r := a.keys.get(k)
		if r == nil {
			switch {
			case acc != 0 || st != nil:
				t.Fatalf("%q: absent but reports %d %v", k, acc, st)
			case p != floor:
				t.Fatalf("%q: absent with promise %d, floor %d", k, p, floor)
			case floor < c.lastA[k]:
				t.Fatalf("%q: dropped at %d above the floor %d", k, c.lastA[k], floor)
			}
			c.lastA[k], c.lastP[k] = 0, p
			continue
		}
		switch {
		case acc < c.lastA[k] && !installed && a.View().IsMaster(self):
			t.Fatalf("%q: the accepted ballot fell from %d to %d", k, c.lastA[k], acc)
		case p < acc:
			t.Fatalf("%q: promised %d below accepted %d", k, p, acc)
		case (acc == 0) != (st == nil):
			t.Fatalf("%q: accepted %d but reports %v", k, acc, st)
		}
		c.lastA[k], c.lastP[k] = acc, p

		e, ok := a.Store().Get(k)
		live := st.GetHeld() && (st.GetLeaseNs() > 0 || (st.GetSession() != 0 && a.sessionLive(now, st.GetSession())))
		if (live || (expired && ok)) && live != ok {
			t.Fatalf("%q at %d: published %v, held with time left %v (%v)", k, now, ok, live, st)
		}
		if ok && e != r.entry {
			t.Fatalf("%q: a stale entry is published", k)
		}
	}
	a.Store().Range(func(k string, e *Entry) bool {
		if r := a.keys.get(k); r == nil || r.entry != e {
			t.Fatalf("%q: published but not its kept entry", k)
		}
		return true
	})
	n, promises := 0, 0
	a.keys.each(func(r *record) bool {
		n++
		if r.accepted == 0 {
			promises++
		}
		return true
	})
	if n != a.Len() {
		t.Fatalf("Len %d, %d keys", a.Len(), n)
	}
	if cs := a.Counts(); cs.Promises != promises || cs.Keys != n-promises {
		t.Fatalf("Counts %+v, %d keys of which %d only promised", cs, n, promises)
	}
}
