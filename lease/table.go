package lease

import "bytes"

// Table is one node's lease table. It has a single writer: every method
// except Store().Get must be called from one goroutine at a time (the
// lease-holder actor). Methods never panic on bad input; they answer
// BadRequest.
type Table struct {
	store      *Store
	size       int
	promises   map[string]promise
	tombs      map[string]tomb // replicas: deleted tokens, against stale replays
	entryDue   deadlines
	promiseDue deadlines
	tombDue    deadlines
	maxToken   uint64
	promiseTTL int64
	logging    bool
	log        []Record
}

type promise struct {
	tag       uint64
	expiresAt int64
}

type tomb struct {
	token uint64
	until int64
}

// NewTable returns an empty table whose promises live promiseTTL ns unless
// committed or aborted first.
func NewTable(promiseTTL int64) *Table {
	return &Table{
		store:      NewStore(),
		promises:   make(map[string]promise),
		tombs:      make(map[string]tomb),
		promiseTTL: promiseTTL,
	}
}

// Store returns the concurrent read view of the table.
func (t *Table) Store() *Store { return t.store }

// Len returns the number of entries held.
func (t *Table) Len() int { return t.size }

// MaxToken returns the highest fencing token this table has committed,
// installed or replayed. It never decreases.
func (t *Table) MaxToken() uint64 { return t.maxToken }

// ObserveToken raises MaxToken to at least token (a recovering master
// taking the counters of its peers).
func (t *Table) ObserveToken(token uint64) { t.observe(token) }

// SetLogging turns the replication log on or off (masters with replicas
// log). Turning it off drops what was logged.
func (t *Table) SetLogging(on bool) {
	t.logging = on
	if !on {
		t.log = nil
	}
}

// TakeLog returns the records committed since the last call and empties
// the log.
func (t *Table) TakeLog() []Record {
	l := t.log
	t.log = nil
	return l
}

// Get returns the key's entry.
func (t *Table) Get(key string) (*Entry, bool) { return t.store.Get(key) }

// Promise is phase one of Lock (expectAbsent) and Update (expected): it
// grants a promise tagged tag on key when no other live promise holds the
// key and the key's value is as expected. A repeated request with the tag
// of the live promise is granted again. It returns the table's MaxToken
// with the answer.
func (t *Table) Promise(now int64, key string, expectAbsent bool, expected []byte, tag uint64) (Status, uint64) {
	if key == "" || tag == 0 || (!expectAbsent && expected == nil) {
		return BadRequest, t.maxToken
	}
	if p, ok := t.livePromise(now, key); ok && p.tag != tag {
		return Locked, t.maxToken
	}
	e, held := t.store.Get(key)
	switch {
	case expectAbsent && held:
		return Mismatch, t.maxToken
	case !expectAbsent && !held:
		return NotFound, t.maxToken
	case !expectAbsent && !bytes.Equal(e.Value, expected):
		return Mismatch, t.maxToken
	}
	at := now + t.promiseTTL
	t.promises[key] = promise{tag: tag, expiresAt: at}
	t.promiseDue.push(deadline{at: at, key: key})
	return OK, t.maxToken
}

// Commit is phase two of Lock and Update: applied only while the promise
// tagged tag is live here, which it consumes. Lock stores value with
// expiry now+lease; Update replaces the value and keeps the expiry. A
// duplicate of an applied commit (same token and value) is acknowledged
// again. It returns the entry's token after the call.
func (t *Table) Commit(now int64, key string, tag uint64, op Op, value []byte, token uint64, lease int64) (Status, uint64) {
	if key == "" || value == nil || token == 0 || (op == OpLock && lease <= 0) || (op != OpLock && op != OpUpdate) {
		return BadRequest, 0
	}
	e, held := t.store.Get(key)
	p, live := t.livePromise(now, key)
	if !live || p.tag != tag {
		if held && e.Token == token && bytes.Equal(e.Value, value) {
			return OK, token
		}
		return NoPromise, 0
	}
	delete(t.promises, key)
	expires := now + lease
	if op == OpUpdate {
		if !held {
			return NotFound, 0
		}
		expires = e.ExpiresAt
	}
	t.put(key, &Entry{Value: value, Token: token, ExpiresAt: expires}, e)
	t.observe(token)
	t.record(op, key, value, token, expires)
	return OK, token
}

// Abort drops the promise tagged tag on key, if it is still there.
func (t *Table) Abort(key string, tag uint64) {
	if p, ok := t.promises[key]; ok && p.tag == tag {
		delete(t.promises, key)
	}
}

// Extend moves the key's expiry to now+lease, never earlier than it is,
// if it holds value and no promise is live on it: an older, shorter
// extension delivered late must not cut short a newer one the holder
// counts on. A key absent here is installed with tokenHint (a lagging or
// new master catching up) and answered Installed, or answered NotFound
// without a hint.
func (t *Table) Extend(now int64, key string, value []byte, lease int64, tokenHint uint64) (Status, uint64) {
	if key == "" || value == nil || lease <= 0 {
		return BadRequest, 0
	}
	if _, ok := t.livePromise(now, key); ok {
		return Locked, 0
	}
	e, held := t.store.Get(key)
	if held && !bytes.Equal(e.Value, value) {
		return Mismatch, e.Token
	}
	if !held && tokenHint == 0 {
		return NotFound, 0 // no token to install it with
	}
	status, token, expires := OK, tokenHint, now+lease
	if held {
		token, expires = e.Token, max(expires, e.ExpiresAt)
	} else {
		status = Installed
		t.observe(token)
	}
	t.put(key, &Entry{Value: value, Token: token, ExpiresAt: expires}, e)
	t.record(OpExtend, key, value, token, expires)
	return status, token
}

// Release deletes the key if it holds value (and token, unless token is
// 0) and no promise is live on it. An absent key answers NotFound: it is
// released already.
func (t *Table) Release(now int64, key string, value []byte, token uint64) (Status, uint64) {
	if key == "" || value == nil {
		return BadRequest, 0
	}
	if _, ok := t.livePromise(now, key); ok {
		return Locked, 0
	}
	e, held := t.store.Get(key)
	if !held {
		return NotFound, 0
	}
	if !bytes.Equal(e.Value, value) || (token != 0 && e.Token != token) {
		return Mismatch, e.Token
	}
	t.remove(key)
	t.record(OpRelease, key, value, e.Token, e.ExpiresAt)
	return OK, e.Token
}

func (t *Table) livePromise(now int64, key string) (promise, bool) {
	p, ok := t.promises[key]
	if ok && p.expiresAt <= now {
		delete(t.promises, key)
		return p, false
	}
	return p, ok
}

// put publishes e; prev is the entry it replaces, or nil.
func (t *Table) put(key string, e, prev *Entry) {
	if prev == nil {
		t.size++
	}
	t.store.set(key, e)
	if prev == nil || prev.ExpiresAt != e.ExpiresAt {
		t.entryDue.push(deadline{at: e.ExpiresAt, key: key})
	}
}

func (t *Table) remove(key string) {
	t.size--
	t.store.del(key)
}

func (t *Table) observe(token uint64) {
	if token > t.maxToken {
		t.maxToken = token
	}
}

func (t *Table) record(op Op, key string, value []byte, token uint64, expires int64) {
	if t.logging {
		t.log = append(t.log, Record{Op: op, Key: key, Value: value, Token: token, ExpiresAt: expires})
	}
}
