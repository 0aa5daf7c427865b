package lease

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// The fuzz program: every operation is 4 bytes [code, a, b, c].
const (
	fzPromise = iota
	fzCommit
	fzAbort
	fzExtend
	fzRelease
	fzExpire
	fzAdvance
	fzAdvanceExpire
	fzOps
)

var (
	fzKeys   = []string{"a", "b", "c", "d", ""}                                                                      // "" is a bad request
	fzValues = [][]byte{[]byte("x"), []byte("y"), []byte("x"), []byte("y"), []byte("x"), []byte("y"), []byte{}, nil} // nil is a bad request
)

func fzKey(b byte) string   { return fzKeys[int(b)%len(fzKeys)] }
func fzValue(b byte) []byte { return fzValues[int(b)%len(fzValues)] }

// modelEntry and modelPromise are the reference model's state.
type modelEntry struct {
	value []byte
	token uint64
	exp   int64
}

type modelPromise struct {
	tag uint64
	exp int64
}

// model is a naive restatement of the Table's documented rules: maps only,
// no heaps, expiry by scanning.
type model struct {
	now      int64
	entries  map[string]modelEntry
	promises map[string]modelPromise
	max      uint64
	log      []Record
}

func (m *model) live(key string) (modelPromise, bool) {
	p, ok := m.promises[key]
	if !ok || p.exp <= m.now {
		return modelPromise{}, false
	}
	return p, true
}

func (m *model) observe(token uint64) { m.max = max(m.max, token) }

func (m *model) promise(key string, expectAbsent bool, expected []byte, tag uint64) (Status, uint64) {
	if key == "" || tag == 0 || (!expectAbsent && expected == nil) {
		return BadRequest, m.max
	}
	if p, ok := m.live(key); ok && p.tag != tag {
		return Locked, m.max
	}
	e, held := m.entries[key]
	if expectAbsent && held {
		return Mismatch, m.max
	}
	if !expectAbsent && !held {
		return NotFound, m.max
	}
	if !expectAbsent && !bytes.Equal(e.value, expected) {
		return Mismatch, m.max
	}
	m.promises[key] = modelPromise{tag: tag, exp: m.now + ttl}
	return OK, m.max
}

func (m *model) commit(key string, tag uint64, op Op, value []byte, token uint64, lease int64) (Status, uint64) {
	if key == "" || value == nil || token == 0 || (op != OpLock && op != OpUpdate) || (op == OpLock && lease <= 0) {
		return BadRequest, 0
	}
	e, held := m.entries[key]
	if p, ok := m.live(key); !ok || p.tag != tag {
		if held && e.token == token && bytes.Equal(e.value, value) {
			return OK, token
		}
		return NoPromise, 0
	}
	delete(m.promises, key)
	exp := m.now + lease
	if op == OpUpdate {
		if !held {
			return NotFound, 0
		}
		exp = e.exp
	}
	m.entries[key] = modelEntry{value: value, token: token, exp: exp}
	m.observe(token)
	m.log = append(m.log, Record{Op: op, Key: key, Value: value, Token: token, ExpiresAt: exp})
	return OK, token
}

func (m *model) abort(key string, tag uint64) {
	if p, ok := m.promises[key]; ok && p.tag == tag {
		delete(m.promises, key)
	}
}

func (m *model) extend(key string, value []byte, lease int64, hint uint64) (Status, uint64) {
	if key == "" || value == nil || lease <= 0 {
		return BadRequest, 0
	}
	if _, ok := m.live(key); ok {
		return Locked, 0
	}
	e, held := m.entries[key]
	if held && !bytes.Equal(e.value, value) {
		return Mismatch, e.token
	}
	if !held && hint == 0 {
		return NotFound, 0
	}
	st, token, exp := OK, e.token, m.now+lease
	if held {
		exp = max(exp, e.exp) // an extension never moves the expiry earlier
	} else {
		st, token = Installed, hint
		m.observe(hint)
	}
	m.entries[key] = modelEntry{value: value, token: token, exp: exp}
	m.log = append(m.log, Record{Op: OpExtend, Key: key, Value: value, Token: token, ExpiresAt: exp})
	return st, token
}

func (m *model) release(key string, value []byte) (Status, uint64) {
	if key == "" || value == nil {
		return BadRequest, 0
	}
	if _, ok := m.live(key); ok {
		return Locked, 0
	}
	e, held := m.entries[key]
	if !held {
		return NotFound, 0
	}
	if !bytes.Equal(e.value, value) {
		return Mismatch, e.token
	}
	delete(m.entries, key)
	m.log = append(m.log, Record{Op: OpRelease, Key: key, Value: value, Token: e.token, ExpiresAt: e.exp})
	return OK, e.token
}

func (m *model) expire() int {
	n := 0
	for k, e := range m.entries {
		if e.exp <= m.now {
			delete(m.entries, k)
			n++
		}
	}
	return n
}

// step is one decoded operation; it formats itself only when a check fails,
// so a run stays cheap for the fuzzer (and its minimizer).
type step struct {
	i          int
	code       byte
	a, b, c    byte
	now, after int64
}

type promiseArgs struct {
	key          string
	expectAbsent bool
	expected     []byte
	tag          uint64
}

func (s step) promise() promiseArgs {
	return promiseArgs{fzKey(s.a), s.b&4 == 0, fzValue(s.b >> 3), uint64(s.b % 4)}
}

type commitArgs struct {
	key   string
	tag   uint64
	op    Op
	value []byte
	token uint64
	lease int64
}

func (s step) commit() commitArgs {
	return commitArgs{fzKey(s.a), uint64(s.b % 4), []Op{OpLock, OpUpdate, OpLock, OpExtend}[int(s.b>>2)%4],
		fzValue(s.b >> 4), uint64(s.c % 8), int64(s.c>>3)*8 - 8}
}

type extendArgs struct {
	key   string
	value []byte
	lease int64
	hint  uint64
}

func (s step) extend() extendArgs {
	return extendArgs{fzKey(s.a), fzValue(s.b), int64(s.c) - 16, uint64(s.b>>2) % 16}
}

func (s step) String() string {
	var d string
	switch s.code {
	case fzPromise:
		p := s.promise()
		d = fmt.Sprintf("Promise(%d, %q, %v, %q, %d)", s.now, p.key, p.expectAbsent, p.expected, p.tag)
	case fzCommit:
		c := s.commit()
		d = fmt.Sprintf("Commit(%d, %q, %d, %v, %q, %d, %d)", s.now, c.key, c.tag, c.op, c.value, c.token, c.lease)
	case fzAbort:
		d = fmt.Sprintf("Abort(%q, %d)", fzKey(s.a), s.b%4)
	case fzExtend:
		e := s.extend()
		d = fmt.Sprintf("Extend(%d, %q, %q, %d, %d)", s.now, e.key, e.value, e.lease, e.hint)
	case fzRelease:
		d = fmt.Sprintf("Release(%d, %q, %q)", s.now, fzKey(s.a), fzValue(s.b))
	case fzExpire:
		d = fmt.Sprintf("Expire(%d)", s.now)
	case fzAdvance:
		d = fmt.Sprintf("advance to %d", s.after)
	case fzAdvanceExpire:
		d = fmt.Sprintf("advance to %d, Expire(%d)", s.after, s.after)
	}
	return fmt.Sprintf("step %d: %s", s.i, d)
}

// runTableProgram decodes data as operations, applies each to a Table and
// to the model, and checks answers and invariants after every step.
func runTableProgram(t *testing.T, data []byte) {
	tb := NewTable(ttl)
	tb.SetLogging(true)
	m := &model{now: 1000, entries: map[string]modelEntry{}, promises: map[string]modelPromise{}}
	prevMax := uint64(0)
	for i := 0; i+4 <= len(data); i += 4 {
		s := step{i: i / 4, code: data[i] % fzOps, a: data[i+1], b: data[i+2], c: data[i+3], now: m.now}
		var gotSt, wantSt Status
		var got, want uint64
		expired := false
		switch s.code {
		case fzPromise:
			p := s.promise()
			gotSt, got = tb.Promise(m.now, p.key, p.expectAbsent, p.expected, p.tag)
			wantSt, want = m.promise(p.key, p.expectAbsent, p.expected, p.tag)
		case fzCommit:
			c := s.commit()
			gotSt, got = tb.Commit(m.now, c.key, c.tag, c.op, c.value, c.token, c.lease)
			wantSt, want = m.commit(c.key, c.tag, c.op, c.value, c.token, c.lease)
		case fzAbort:
			tb.Abort(fzKey(s.a), uint64(s.b%4))
			m.abort(fzKey(s.a), uint64(s.b%4))
		case fzExtend:
			e := s.extend()
			gotSt, got = tb.Extend(m.now, e.key, e.value, e.lease, e.hint)
			wantSt, want = m.extend(e.key, e.value, e.lease, e.hint)
		case fzRelease:
			gotSt, got = tb.Release(m.now, fzKey(s.a), fzValue(s.b), 0)
			wantSt, want = m.release(fzKey(s.a), fzValue(s.b))
		case fzAdvance, fzAdvanceExpire, fzExpire:
			if s.code != fzExpire {
				m.now += int64(s.a)
				s.after = m.now
			}
			if s.code != fzAdvance {
				got, want = uint64(tb.Expire(m.now)), uint64(m.expire())
				expired = true
			}
		}
		if gotSt != wantSt || got != want {
			t.Fatalf("%v: got (%v, %d), model (%v, %d)", s, gotSt, got, wantSt, want)
		}
		checkAgainstModel(t, s, tb, m, expired)
		if tb.MaxToken() < prevMax {
			t.Fatalf("%v: MaxToken went down from %d to %d", s, prevMax, tb.MaxToken())
		}
		prevMax = tb.MaxToken()
	}
}

func checkAgainstModel(t *testing.T, step fmt.Stringer, tb *Table, m *model, expired bool) {
	t.Helper()
	// The published entries are the model's, exactly.
	n := 0
	tb.Store().Range(func(k string, e *Entry) bool {
		n++
		me, ok := m.entries[k]
		if !ok {
			t.Fatalf("%v: Store holds %q, the model does not", step, k)
		}
		if !bytes.Equal(e.Value, me.value) || e.Token != me.token || e.ExpiresAt != me.exp {
			t.Fatalf("%v: %q is (%q, %d, %d), model (%q, %d, %d)", step, k, e.Value, e.Token, e.ExpiresAt, me.value, me.token, me.exp)
		}
		if expired && e.ExpiresAt <= m.now {
			t.Fatalf("%v: %q still visible after Expire(%d) with ExpiresAt %d", step, k, m.now, e.ExpiresAt)
		}
		return true
	})
	if n != len(m.entries) {
		t.Fatalf("%v: Store holds %d keys, the model %d", step, n, len(m.entries))
	}
	if tb.Len() != n {
		t.Fatalf("%v: Len() = %d, Store holds %d keys", step, tb.Len(), n)
	}
	if tb.MaxToken() != m.max {
		t.Fatalf("%v: MaxToken() = %d, model %d", step, tb.MaxToken(), m.max)
	}
	// At most one live promise per key, and it is the model's.
	earliest, any := int64(0), false
	note := func(at int64) {
		if !any || at < earliest {
			earliest, any = at, true
		}
	}
	for _, k := range fzKeys {
		p, ok := tb.promises[k]
		tLive := ok && p.expiresAt > m.now
		mp, mLive := m.live(k)
		if tLive != mLive || (tLive && (p.tag != mp.tag || p.expiresAt != mp.exp)) {
			t.Fatalf("%v: promise on %q is (%v %+v), model (%v %+v)", step, k, tLive, p, mLive, mp)
		}
		if mLive {
			note(mp.exp)
		}
	}
	for _, e := range m.entries {
		note(e.exp)
	}
	// Every pending deadline is in a heap: Expire is asked back in time.
	if next, ok := tb.NextDeadline(); any && (!ok || next > earliest) {
		t.Fatalf("%v: NextDeadline() = (%d, %v), but something is due at %d", step, next, ok, earliest)
	}
	// Exactly the applied writes are logged.
	logged := tb.TakeLog()
	if len(logged) != len(m.log) {
		t.Fatalf("%v: logged %+v, model %+v", step, logged, m.log)
	}
	for i := range logged {
		g, w := logged[i], m.log[i]
		if g.Op != w.Op || g.Key != w.Key || !bytes.Equal(g.Value, w.Value) || g.Token != w.Token || g.ExpiresAt != w.ExpiresAt {
			t.Fatalf("%v: logged %+v, model %+v", step, g, w)
		}
	}
	m.log = m.log[:0]
}

// prog encodes operations for seeds: each argument is one 4-byte operation.
func prog(ops ...[4]byte) []byte {
	var out []byte
	for _, op := range ops {
		out = append(out, op[:]...)
	}
	return out
}

func FuzzTable(f *testing.F) {
	// Lock a with tag 1, token 1, lease 80; release; lock again.
	f.Add(prog(
		[4]byte{fzPromise, 0, 1, 0},
		[4]byte{fzCommit, 0, 1 | 0<<2, 1 | 11<<3},
		[4]byte{fzRelease, 0, 0, 0},
		[4]byte{fzPromise, 0, 2, 0},
		[4]byte{fzCommit, 0, 2, 2 | 11<<3},
	))
	// A promise expires under its commit; another tag takes the key.
	f.Add(prog(
		[4]byte{fzPromise, 1, 1, 0},
		[4]byte{fzAdvance, 100, 0, 0},
		[4]byte{fzCommit, 1, 1, 1 | 5<<3},
		[4]byte{fzPromise, 1, 2, 0},
		[4]byte{fzCommit, 1, 2, 2 | 5<<3},
		[4]byte{fzAdvanceExpire, 40, 0, 0},
	))
	// Lock, update (keeps expiry), extend, expire.
	f.Add(prog(
		[4]byte{fzPromise, 2, 3, 0},
		[4]byte{fzCommit, 2, 3 | 0<<2 | 1<<4, 3 | 4<<3},
		[4]byte{fzPromise, 2, 1 | 4 | 1<<3, 0},
		[4]byte{fzCommit, 2, 1 | 1<<2, 4 | 4<<3},
		[4]byte{fzExtend, 2, 0, 100},
		[4]byte{fzAdvanceExpire, 200, 0, 0},
		[4]byte{fzExtend, 3, 1 | 7<<2, 50},
		[4]byte{fzAdvanceExpire, 60, 0, 0},
	))
	// Bad requests and unknown values.
	f.Add(prog(
		[4]byte{fzPromise, 4, 0, 0},
		[4]byte{fzCommit, 3, 3 << 4, 0},
		[4]byte{fzExtend, 0, 3, 0},
		[4]byte{fzRelease, 4, 3, 0},
		[4]byte{fzAbort, 0, 0, 0},
		[4]byte{fzExpire, 0, 0, 0},
	))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4*64 { // long inputs make the minimizer (quadratic) stall fuzzing
			data = data[:4*64]
		}
		runTableProgram(t, data)
	})
}

// TestTableAgainstModelRandom runs seeded random programs through the same
// model check as FuzzTable, so plain go test covers it broadly.
func TestTableAgainstModelRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(2024, 6))
	for range 300 {
		data := make([]byte, 4*(r.IntN(200)+1))
		for i := range data {
			data[i] = byte(r.UintN(256))
		}
		for i := 0; i < len(data); i += 4 {
			switch data[i] % fzOps {
			case fzAdvance, fzAdvanceExpire:
				// Keep time moving slowly, so keys and promises overlap.
				data[i+1] %= 64
			case fzPromise:
				// Often commit right after, with the promise's key and tag.
				if j := i + 4; j < len(data) && r.IntN(2) == 0 {
					data[j], data[j+1] = fzCommit, data[i+1]
					data[j+2] = data[j+2]&^(3|8) | data[i+2]&3 // same tag; lock or update
					data[j+3] |= 1                             // a non-zero token
				}
			}
		}
		runTableProgram(t, data)
	}
}
