package lease

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ttl is the promise lifetime of the tables built by newTable.
const ttl = 100

func newTable() *Table { return NewTable(ttl) }

// lockKey runs a full Promise+Commit Lock and requires both phases to succeed.
func lockKey(t *testing.T, tb *Table, now int64, key, value string, tag, token uint64, lease int64) {
	t.Helper()
	st, _ := tb.Promise(now, key, true, nil, tag)
	require.Equal(t, OK, st, "promise %q", key)
	st, got := tb.Commit(now, key, tag, OpLock, []byte(value), token, lease)
	require.Equal(t, OK, st, "commit %q", key)
	require.Equal(t, token, got)
}

// requireEntry checks the published entry of key.
func requireEntry(t *testing.T, tb *Table, key, value string, token uint64, expiresAt int64) {
	t.Helper()
	e, ok := tb.Get(key)
	require.True(t, ok, "key %q absent", key)
	assert.Equal(t, value, string(e.Value), "value of %q", key)
	assert.Equal(t, token, e.Token, "token of %q", key)
	assert.Equal(t, expiresAt, e.ExpiresAt, "expiry of %q", key)
	se, ok := tb.Store().Get(key)
	require.True(t, ok)
	assert.Same(t, e, se, "Table.Get and Store.Get disagree")
}

func requireAbsent(t *testing.T, tb *Table, key string) {
	t.Helper()
	_, ok := tb.Get(key)
	require.False(t, ok, "key %q still present", key)
}

func TestStringers(t *testing.T) {
	for op, want := range map[Op]string{OpLock: "lock", OpUpdate: "update", OpExtend: "extend", OpRelease: "release", 0: "unknown", 99: "unknown"} {
		assert.Equal(t, want, op.String())
	}
	for s, want := range map[Status]string{OK: "ok", Locked: "locked", Mismatch: "mismatch", NotFound: "not found",
		NoPromise: "no promise", BadRequest: "bad request", Installed: "installed", 0: "unknown", 99: "unknown"} {
		assert.Equal(t, want, s.String())
	}
}

func TestNewTableEmpty(t *testing.T) {
	tb := newTable()
	assert.Equal(t, 0, tb.Len())
	assert.Equal(t, uint64(0), tb.MaxToken())
	_, ok := tb.NextDeadline()
	assert.False(t, ok)
	assert.Equal(t, 0, tb.Expire(1<<62))
	assert.NotNil(t, tb.Store())
	requireAbsent(t, tb, "k")
}

func TestPromiseGrantedOnAbsentKey(t *testing.T) {
	tb := newTable()
	st, max := tb.Promise(10, "k", true, nil, 7)
	assert.Equal(t, OK, st)
	assert.Equal(t, uint64(0), max)
	// A promise publishes nothing.
	requireAbsent(t, tb, "k")
	assert.Equal(t, 0, tb.Len())
}

func TestPromiseReturnsMaxToken(t *testing.T) {
	tb := newTable()
	lockKey(t, tb, 0, "a", "v", 1, 42, 1000)
	st, max := tb.Promise(0, "b", true, nil, 2)
	assert.Equal(t, OK, st)
	assert.Equal(t, uint64(42), max)
	// Refusals carry MaxToken too.
	st, max = tb.Promise(0, "b", true, nil, 3)
	assert.Equal(t, Locked, st)
	assert.Equal(t, uint64(42), max)
	st, max = tb.Promise(0, "", true, nil, 3)
	assert.Equal(t, BadRequest, st)
	assert.Equal(t, uint64(42), max)
}

func TestPromiseLockedByAnotherTag(t *testing.T) {
	tb := newTable()
	st, _ := tb.Promise(0, "k", true, nil, 1)
	require.Equal(t, OK, st)
	st, _ = tb.Promise(1, "k", true, nil, 2)
	assert.Equal(t, Locked, st)
	// Locked wins over the value checks: an update promise of another tag is
	// refused as Locked even though the key is absent.
	st, _ = tb.Promise(1, "k", false, []byte("x"), 2)
	assert.Equal(t, Locked, st)
	// Other keys are independent.
	st, _ = tb.Promise(1, "other", true, nil, 2)
	assert.Equal(t, OK, st)
}

func TestPromiseSameTagRegranted(t *testing.T) {
	tb := newTable()
	st, _ := tb.Promise(0, "k", true, nil, 1)
	require.Equal(t, OK, st)
	st, _ = tb.Promise(50, "k", true, nil, 1)
	assert.Equal(t, OK, st)
	// The re-grant renews the promise: it now lives until 150, not 100.
	st, _ = tb.Promise(120, "k", true, nil, 2)
	assert.Equal(t, Locked, st)
	st, _ = tb.Promise(149, "k", true, nil, 2)
	assert.Equal(t, Locked, st)
	st, _ = tb.Promise(150, "k", true, nil, 2)
	assert.Equal(t, OK, st)
}

func TestPromiseMismatch(t *testing.T) {
	tb := newTable()
	lockKey(t, tb, 0, "k", "v1", 1, 1, 1000)
	st, _ := tb.Promise(1, "k", true, nil, 2)
	assert.Equal(t, Mismatch, st, "lock of a held key")
	st, _ = tb.Promise(1, "k", false, []byte("other"), 2)
	assert.Equal(t, Mismatch, st, "update expecting another value")
	st, _ = tb.Promise(1, "k", false, []byte{}, 2)
	assert.Equal(t, Mismatch, st, "update expecting the empty value")
	st, _ = tb.Promise(1, "k", false, []byte("v1"), 2)
	assert.Equal(t, OK, st, "update expecting the held value")
}

func TestPromiseRefusalGrantsNothing(t *testing.T) {
	tb := newTable()
	lockKey(t, tb, 0, "k", "v", 1, 1, 1000)
	st, _ := tb.Promise(1, "k", true, nil, 2)
	require.Equal(t, Mismatch, st)
	// No promise was left behind: another tag is not Locked out, and
	// Release (refused while a promise is live) succeeds.
	st, _ = tb.Promise(1, "k", false, []byte("v"), 3)
	require.Equal(t, OK, st)
	tb.Abort("k", 3)
	st, _ = tb.Release(1, "k", []byte("v"), 0)
	assert.Equal(t, OK, st)
}

func TestPromiseNotFound(t *testing.T) {
	tb := newTable()
	st, _ := tb.Promise(0, "k", false, []byte("v"), 1)
	assert.Equal(t, NotFound, st)
	st, _ = tb.Promise(0, "k", true, nil, 2)
	assert.Equal(t, OK, st, "the NotFound refusal left no promise")
}

func TestPromiseBadRequest(t *testing.T) {
	tb := newTable()
	lockKey(t, tb, 0, "k", "v", 1, 1, 1000)
	cases := []struct {
		name         string
		key          string
		expectAbsent bool
		expected     []byte
		tag          uint64
	}{
		{"empty key lock", "", true, nil, 1},
		{"empty key update", "", false, []byte("v"), 1},
		{"zero tag lock", "x", true, nil, 0},
		{"zero tag update", "k", false, []byte("v"), 0},
		{"nil expected for update", "k", false, nil, 2},
	}
	for _, c := range cases {
		st, _ := tb.Promise(0, c.key, c.expectAbsent, c.expected, c.tag)
		assert.Equal(t, BadRequest, st, c.name)
	}
	// None of them left a promise behind.
	st, _ := tb.Promise(0, "x", true, nil, 9)
	assert.Equal(t, OK, st)
	st, _ = tb.Promise(0, "k", false, []byte("v"), 9)
	assert.Equal(t, OK, st)
}

func TestPromiseExpiryLetsAnotherTagIn(t *testing.T) {
	tb := newTable()
	st, _ := tb.Promise(1000, "k", true, nil, 1)
	require.Equal(t, OK, st)
	st, _ = tb.Promise(1000+ttl-1, "k", true, nil, 2)
	assert.Equal(t, Locked, st, "1ns before the promise expires")
	st, _ = tb.Promise(1000+ttl, "k", true, nil, 2)
	assert.Equal(t, OK, st, "at the promise's expiry")
	// The old tag is now the one locked out.
	st, _ = tb.Promise(1000+ttl, "k", true, nil, 1)
	assert.Equal(t, Locked, st)
	st, _ = tb.Commit(1000+ttl, "k", 1, OpLock, []byte("v"), 1, 10)
	assert.Equal(t, NoPromise, st)
}

func TestAbort(t *testing.T) {
	tb := newTable()
	st, _ := tb.Promise(0, "k", true, nil, 1)
	require.Equal(t, OK, st)
	tb.Abort("k", 2) // another tag: no effect
	st, _ = tb.Promise(0, "k", true, nil, 2)
	assert.Equal(t, Locked, st)
	tb.Abort("k", 1)
	st, _ = tb.Commit(0, "k", 1, OpLock, []byte("v"), 1, 10)
	assert.Equal(t, NoPromise, st, "commit after abort")
	st, _ = tb.Promise(0, "k", true, nil, 2)
	assert.Equal(t, OK, st, "abort freed the key")
	tb.Abort("absent", 1) // no-op, no panic
	tb.Abort("", 0)
}

func TestCommitLockApplies(t *testing.T) {
	tb := newTable()
	st, _ := tb.Promise(100, "k", true, nil, 1)
	require.Equal(t, OK, st)
	st, tok := tb.Commit(150, "k", 1, OpLock, []byte("v"), 5, 1000)
	require.Equal(t, OK, st)
	assert.Equal(t, uint64(5), tok)
	requireEntry(t, tb, "k", "v", 5, 150+1000) // expiry counts from the commit's now
	assert.Equal(t, 1, tb.Len())
	assert.Equal(t, uint64(5), tb.MaxToken())
	// The promise was consumed: Release, refused under a live promise, works.
	st, _ = tb.Release(151, "k", []byte("v"), 0)
	assert.Equal(t, OK, st)
}

func TestCommitConsumesPromise(t *testing.T) {
	tb := newTable()
	st, _ := tb.Promise(0, "k", true, nil, 1)
	require.Equal(t, OK, st)
	st, _ = tb.Commit(0, "k", 1, OpLock, []byte("v"), 5, 1000)
	require.Equal(t, OK, st)
	// A second commit of the same tag with another write has no promise.
	st, tok := tb.Commit(0, "k", 1, OpUpdate, []byte("w"), 6, 0)
	assert.Equal(t, NoPromise, st)
	assert.Equal(t, uint64(0), tok)
	requireEntry(t, tb, "k", "v", 5, 1000)
	// And another tag may promise right away.
	st, _ = tb.Promise(0, "k", false, []byte("v"), 2)
	assert.Equal(t, OK, st)
}

func TestCommitWithoutPromise(t *testing.T) {
	tb := newTable()
	st, tok := tb.Commit(0, "k", 1, OpLock, []byte("v"), 5, 1000)
	assert.Equal(t, NoPromise, st)
	assert.Equal(t, uint64(0), tok)
	requireAbsent(t, tb, "k")
	assert.Equal(t, 0, tb.Len())
	assert.Equal(t, uint64(0), tb.MaxToken())
}

func TestCommitWrongTag(t *testing.T) {
	tb := newTable()
	st, _ := tb.Promise(0, "k", true, nil, 1)
	require.Equal(t, OK, st)
	st, _ = tb.Commit(0, "k", 2, OpLock, []byte("v"), 5, 1000)
	assert.Equal(t, NoPromise, st)
	requireAbsent(t, tb, "k")
	// The live promise of tag 1 survived the foreign commit.
	st, _ = tb.Commit(0, "k", 1, OpLock, []byte("v"), 5, 1000)
	assert.Equal(t, OK, st)
}

func TestCommitDuplicateAcknowledged(t *testing.T) {
	tb := newTable()
	tb.SetLogging(true)
	lockKey(t, tb, 0, "k", "v", 1, 5, 1000)
	require.Len(t, tb.TakeLog(), 1)
	st, tok := tb.Commit(10, "k", 1, OpLock, []byte("v"), 5, 1000)
	assert.Equal(t, OK, st)
	assert.Equal(t, uint64(5), tok)
	requireEntry(t, tb, "k", "v", 5, 1000) // not re-applied: expiry unchanged
	assert.Empty(t, tb.TakeLog(), "a duplicate is not logged again")
	// Same token, other value: not a duplicate.
	st, _ = tb.Commit(10, "k", 1, OpLock, []byte("w"), 5, 1000)
	assert.Equal(t, NoPromise, st)
	// Same value, other token: not a duplicate.
	st, _ = tb.Commit(10, "k", 1, OpLock, []byte("v"), 6, 1000)
	assert.Equal(t, NoPromise, st)
	requireEntry(t, tb, "k", "v", 5, 1000)
	// A duplicate arriving after the promise expired is still acknowledged.
	st, _ = tb.Commit(5000, "k", 1, OpLock, []byte("v"), 5, 1000)
	assert.Equal(t, OK, st)
}

func TestCommitAfterPromiseExpiry(t *testing.T) {
	tb := newTable()
	st, _ := tb.Promise(0, "k", true, nil, 1)
	require.Equal(t, OK, st)
	st, _ = tb.Commit(ttl, "k", 1, OpLock, []byte("v"), 5, 1000)
	assert.Equal(t, NoPromise, st, "commit exactly at the promise's expiry")
	requireAbsent(t, tb, "k")

	st, _ = tb.Promise(ttl, "k", true, nil, 1)
	require.Equal(t, OK, st)
	st, _ = tb.Commit(2*ttl-1, "k", 1, OpLock, []byte("v"), 5, 1000)
	assert.Equal(t, OK, st, "commit 1ns before the promise's expiry")
}

func TestCommitBadRequest(t *testing.T) {
	tb := newTable()
	st, _ := tb.Promise(0, "k", true, nil, 1)
	require.Equal(t, OK, st)
	cases := []struct {
		name  string
		key   string
		op    Op
		value []byte
		token uint64
		lease int64
	}{
		{"empty key", "", OpLock, []byte("v"), 1, 10},
		{"nil value", "k", OpLock, nil, 1, 10},
		{"nil value update", "k", OpUpdate, nil, 1, 10},
		{"zero token", "k", OpLock, []byte("v"), 0, 10},
		{"zero lease", "k", OpLock, []byte("v"), 1, 0},
		{"negative lease", "k", OpLock, []byte("v"), 1, -1},
		{"op extend", "k", OpExtend, []byte("v"), 1, 10},
		{"op release", "k", OpRelease, []byte("v"), 1, 10},
		{"op zero", "k", 0, []byte("v"), 1, 10},
		{"op unknown", "k", 99, []byte("v"), 1, 10},
	}
	for _, c := range cases {
		st, tok := tb.Commit(0, c.key, 1, c.op, c.value, c.token, c.lease)
		assert.Equal(t, BadRequest, st, c.name)
		assert.Equal(t, uint64(0), tok, c.name)
	}
	// None of them consumed the promise.
	st, _ = tb.Commit(0, "k", 1, OpLock, []byte{}, 1, 10)
	assert.Equal(t, OK, st, "an empty non-nil value is a value")
	requireEntry(t, tb, "k", "", 1, 10)
}

func TestCommitUpdateKeepsExpiry(t *testing.T) {
	tb := newTable()
	lockKey(t, tb, 0, "k", "v1", 1, 1, 1000)
	st, _ := tb.Promise(500, "k", false, []byte("v1"), 2)
	require.Equal(t, OK, st)
	// lease is ignored by Update, even when it is 0.
	st, tok := tb.Commit(500, "k", 2, OpUpdate, []byte("v2"), 2, 0)
	require.Equal(t, OK, st)
	assert.Equal(t, uint64(2), tok)
	requireEntry(t, tb, "k", "v2", 2, 1000)
	assert.Equal(t, 1, tb.Len())
	assert.Equal(t, uint64(2), tb.MaxToken())
	// The kept expiry still fires.
	assert.Equal(t, 0, tb.Expire(999))
	assert.Equal(t, 1, tb.Expire(1000))
	requireAbsent(t, tb, "k")
}

func TestCommitUpdateOfVanishedKeyIsNotFound(t *testing.T) {
	tb := newTable()
	lockKey(t, tb, 0, "k", "v", 1, 1, 50)
	st, _ := tb.Promise(10, "k", false, []byte("v"), 2)
	require.Equal(t, OK, st)
	require.Equal(t, 1, tb.Expire(50)) // the key expires under the promise
	st, tok := tb.Commit(60, "k", 2, OpUpdate, []byte("w"), 2, 0)
	assert.Equal(t, NotFound, st)
	assert.Equal(t, uint64(0), tok)
	requireAbsent(t, tb, "k")
	assert.Equal(t, 0, tb.Len())
	assert.Equal(t, uint64(1), tb.MaxToken())
	// The promise was consumed.
	st, _ = tb.Promise(60, "k", true, nil, 3)
	assert.Equal(t, OK, st)
}

func TestMaxTokenNeverDecreases(t *testing.T) {
	tb := newTable()
	lockKey(t, tb, 0, "a", "v", 1, 10, 1000)
	assert.Equal(t, uint64(10), tb.MaxToken())
	lockKey(t, tb, 0, "b", "v", 2, 5, 1000) // a lower token elsewhere
	assert.Equal(t, uint64(10), tb.MaxToken())
	st, _ := tb.Release(0, "a", []byte("v"), 0)
	require.Equal(t, OK, st)
	assert.Equal(t, uint64(10), tb.MaxToken(), "release keeps MaxToken")
	tb.Expire(5000)
	assert.Equal(t, 0, tb.Len())
	assert.Equal(t, uint64(10), tb.MaxToken(), "expiry keeps MaxToken")
	st, _ = tb.Extend(5000, "c", []byte("v"), 10, 3)
	require.Equal(t, Installed, st)
	assert.Equal(t, uint64(10), tb.MaxToken(), "a lower hint keeps MaxToken")
	st, _ = tb.Extend(5000, "d", []byte("v"), 10, 20)
	require.Equal(t, Installed, st)
	assert.Equal(t, uint64(20), tb.MaxToken(), "a higher hint raises MaxToken")
}

func TestExtendExtends(t *testing.T) {
	tb := newTable()
	lockKey(t, tb, 0, "k", "v", 1, 7, 1000)
	st, tok := tb.Extend(900, "k", []byte("v"), 1000, 99)
	assert.Equal(t, OK, st)
	assert.Equal(t, uint64(7), tok, "extend keeps the held token, not the hint")
	requireEntry(t, tb, "k", "v", 7, 1900)
	assert.Equal(t, uint64(7), tb.MaxToken(), "the hint of a held key is ignored")
	assert.Equal(t, 1, tb.Len())
}

func TestExtendMismatch(t *testing.T) {
	tb := newTable()
	lockKey(t, tb, 0, "k", "v", 1, 7, 1000)
	st, tok := tb.Extend(10, "k", []byte("w"), 5000, 0)
	assert.Equal(t, Mismatch, st)
	assert.Equal(t, uint64(7), tok, "mismatch reports the holder's token")
	requireEntry(t, tb, "k", "v", 7, 1000)
}

func TestExtendLockedWhilePromiseLive(t *testing.T) {
	tb := newTable()
	lockKey(t, tb, 0, "k", "v", 1, 7, 1000)
	st, _ := tb.Promise(10, "k", false, []byte("v"), 2)
	require.Equal(t, OK, st)
	st, tok := tb.Extend(10+ttl-1, "k", []byte("v"), 5000, 0)
	assert.Equal(t, Locked, st)
	assert.Equal(t, uint64(0), tok)
	requireEntry(t, tb, "k", "v", 7, 1000)
	// Locked even for a key that is absent here.
	st, _ = tb.Promise(10, "absent", true, nil, 3)
	require.Equal(t, OK, st)
	st, _ = tb.Extend(10, "absent", []byte("v"), 5000, 4)
	assert.Equal(t, Locked, st)
	requireAbsent(t, tb, "absent")
	// Once the promise expires, extend works again.
	st, _ = tb.Extend(10+ttl, "k", []byte("v"), 5000, 0)
	assert.Equal(t, OK, st)
	requireEntry(t, tb, "k", "v", 7, 10+ttl+5000)
}

func TestExtendInstallsAbsentKey(t *testing.T) {
	tb := newTable()
	lockKey(t, tb, 0, "other", "v", 1, 3, 1000)
	st, tok := tb.Extend(100, "k", []byte("v"), 500, 40)
	assert.Equal(t, Installed, st)
	assert.Equal(t, uint64(40), tok)
	requireEntry(t, tb, "k", "v", 40, 600)
	assert.Equal(t, 2, tb.Len())
	assert.Equal(t, uint64(40), tb.MaxToken())
	// The installed entry expires like any other.
	assert.Equal(t, 0, tb.Expire(599))
	assert.Equal(t, 1, tb.Expire(600))
	requireAbsent(t, tb, "k")
	assert.Equal(t, 1, tb.Len())
}

func TestExtendBadRequest(t *testing.T) {
	tb := newTable()
	lockKey(t, tb, 0, "k", "v", 1, 1, 1000)
	for name, f := range map[string]func() (Status, uint64){
		"empty key":      func() (Status, uint64) { return tb.Extend(0, "", []byte("v"), 10, 1) },
		"nil value":      func() (Status, uint64) { return tb.Extend(0, "k", nil, 10, 1) },
		"zero lease":     func() (Status, uint64) { return tb.Extend(0, "k", []byte("v"), 0, 1) },
		"negative lease": func() (Status, uint64) { return tb.Extend(0, "k", []byte("v"), -5, 1) },
	} {
		st, tok := f()
		assert.Equal(t, BadRequest, st, name)
		assert.Equal(t, uint64(0), tok, name)
	}
	requireEntry(t, tb, "k", "v", 1, 1000)
}

func TestReleaseOK(t *testing.T) {
	tb := newTable()
	lockKey(t, tb, 0, "k", "v", 1, 7, 1000)
	lockKey(t, tb, 0, "j", "v", 2, 8, 1000)
	st, tok := tb.Release(10, "k", []byte("v"), 0)
	assert.Equal(t, OK, st)
	assert.Equal(t, uint64(7), tok)
	requireAbsent(t, tb, "k")
	assert.Equal(t, 1, tb.Len())
	// Released already: NotFound.
	st, tok = tb.Release(10, "k", []byte("v"), 0)
	assert.Equal(t, NotFound, st)
	assert.Equal(t, uint64(0), tok)
	// The stale deadline of the released key is harmless.
	assert.Equal(t, 1, tb.Expire(1000), "only j is counted")
	assert.Equal(t, 0, tb.Len())
}

func TestReleaseNotFound(t *testing.T) {
	tb := newTable()
	st, tok := tb.Release(0, "k", []byte("v"), 0)
	assert.Equal(t, NotFound, st)
	assert.Equal(t, uint64(0), tok)
	assert.Equal(t, 0, tb.Len())
}

func TestReleaseMismatch(t *testing.T) {
	tb := newTable()
	lockKey(t, tb, 0, "k", "v", 1, 7, 1000)
	st, tok := tb.Release(10, "k", []byte("w"), 0)
	assert.Equal(t, Mismatch, st)
	assert.Equal(t, uint64(7), tok)
	requireEntry(t, tb, "k", "v", 7, 1000)
	st, _ = tb.Release(10, "k", []byte{}, 0)
	assert.Equal(t, Mismatch, st)
}

func TestReleaseLocked(t *testing.T) {
	tb := newTable()
	lockKey(t, tb, 0, "k", "v", 1, 7, 1000)
	st, _ := tb.Promise(10, "k", false, []byte("v"), 2)
	require.Equal(t, OK, st)
	st, tok := tb.Release(20, "k", []byte("v"), 0)
	assert.Equal(t, Locked, st)
	assert.Equal(t, uint64(0), tok)
	requireEntry(t, tb, "k", "v", 7, 1000)
	// Locked also on an absent key under a lock promise.
	st, _ = tb.Promise(10, "absent", true, nil, 3)
	require.Equal(t, OK, st)
	st, _ = tb.Release(20, "absent", []byte("v"), 0)
	assert.Equal(t, Locked, st)
	tb.Abort("k", 2)
	st, _ = tb.Release(20, "k", []byte("v"), 0)
	assert.Equal(t, OK, st)
}

func TestReleaseBadRequest(t *testing.T) {
	tb := newTable()
	lockKey(t, tb, 0, "k", "v", 1, 7, 1000)
	st, _ := tb.Release(0, "", []byte("v"), 0)
	assert.Equal(t, BadRequest, st)
	st, _ = tb.Release(0, "k", nil, 0)
	assert.Equal(t, BadRequest, st)
	requireEntry(t, tb, "k", "v", 7, 1000)
}

func TestExpireExactlyAtExpiresAt(t *testing.T) {
	tb := newTable()
	lockKey(t, tb, 0, "k", "v", 1, 1, 1000)
	assert.Equal(t, 0, tb.Expire(999), "1ns before ExpiresAt")
	requireEntry(t, tb, "k", "v", 1, 1000)
	assert.Equal(t, 1, tb.Len())
	assert.Equal(t, 1, tb.Expire(1000), "at ExpiresAt")
	requireAbsent(t, tb, "k")
	assert.Equal(t, 0, tb.Len())
	assert.Equal(t, 0, tb.Expire(1000), "idempotent")
}

func TestExpireSeveralKeysInOrder(t *testing.T) {
	tb := newTable()
	leases := map[string]int64{"c": 300, "a": 100, "e": 500, "b": 200, "d": 400}
	tag := uint64(1)
	for k, l := range leases {
		lockKey(t, tb, 0, k, "v", tag, tag, l)
		tag++
	}
	require.Equal(t, 5, tb.Len())
	order := []string{"a", "b", "c", "d", "e"}
	for i, k := range order {
		at := leases[k]
		next, ok := tb.NextDeadline()
		require.True(t, ok)
		assert.Equal(t, at, next, "next deadline before %q expires", k)
		assert.Equal(t, 0, tb.Expire(at-1))
		assert.Equal(t, 1, tb.Expire(at), "expiring %q", k)
		requireAbsent(t, tb, k)
		for _, later := range order[i+1:] {
			_, ok := tb.Get(later)
			assert.True(t, ok, "%q expired early", later)
		}
		assert.Equal(t, len(order)-i-1, tb.Len())
	}
	_, ok := tb.NextDeadline()
	assert.False(t, ok)
}

func TestExpireManyAtOnce(t *testing.T) {
	tb := newTable()
	for i := range 10 {
		lockKey(t, tb, 0, string(rune('a'+i)), "v", uint64(i+1), uint64(i+1), int64(100+i))
	}
	assert.Equal(t, 10, tb.Expire(1<<40))
	assert.Equal(t, 0, tb.Len())
}

func TestExpireExtendedKeyNotExpiredByStaleDeadline(t *testing.T) {
	tb := newTable()
	lockKey(t, tb, 0, "k", "v", 1, 1, 100)
	st, _ := tb.Extend(50, "k", []byte("v"), 100, 0) // now expires at 150
	require.Equal(t, OK, st)
	assert.Equal(t, 0, tb.Expire(100), "stale deadline at 100")
	requireEntry(t, tb, "k", "v", 1, 150)
	next, ok := tb.NextDeadline()
	require.True(t, ok)
	assert.Equal(t, int64(150), next)
	assert.Equal(t, 0, tb.Expire(149))
	assert.Equal(t, 1, tb.Expire(150))
	requireAbsent(t, tb, "k")
}

// A late, shorter extension never moves the expiry earlier: the holder
// counts on the newer, longer one.
func TestExtendNeverShortens(t *testing.T) {
	tb := newTable()
	lockKey(t, tb, 0, "k", "v", 1, 1, 1000)
	st, _ := tb.Extend(10, "k", []byte("v"), 50, 0)
	require.Equal(t, OK, st)
	requireEntry(t, tb, "k", "v", 1, 1000)
	assert.Equal(t, 0, tb.Expire(999))
	st, _ = tb.Extend(20, "k", []byte("v"), 2000, 0)
	require.Equal(t, OK, st)
	requireEntry(t, tb, "k", "v", 1, 2020)
	assert.Equal(t, 1, tb.Expire(2020))
	requireAbsent(t, tb, "k")
}

// A release with a token deletes only the entry of that token.
func TestReleaseByToken(t *testing.T) {
	tb := newTable()
	lockKey(t, tb, 0, "k", "v", 1, 5, 1000)
	st, tok := tb.Release(10, "k", []byte("v"), 4)
	assert.Equal(t, Mismatch, st, "same value, another token")
	assert.Equal(t, uint64(5), tok)
	st, _ = tb.Release(10, "k", []byte("v"), 5)
	assert.Equal(t, OK, st)
	requireAbsent(t, tb, "k")
}

func TestExpireReacquiredKeyNotExpiredByOldDeadline(t *testing.T) {
	tb := newTable()
	lockKey(t, tb, 0, "k", "v1", 1, 1, 100)
	st, _ := tb.Release(10, "k", []byte("v1"), 0)
	require.Equal(t, OK, st)
	lockKey(t, tb, 20, "k", "v2", 2, 2, 1000)
	assert.Equal(t, 0, tb.Expire(100))
	requireEntry(t, tb, "k", "v2", 2, 1020)
}

func TestExpireDropsDuePromises(t *testing.T) {
	tb := newTable()
	st, _ := tb.Promise(0, "a", true, nil, 1)
	require.Equal(t, OK, st)
	st, _ = tb.Promise(50, "b", true, nil, 1)
	require.Equal(t, OK, st)
	require.Len(t, tb.promises, 2)
	assert.Equal(t, 0, tb.Expire(ttl), "promises are not counted")
	assert.Len(t, tb.promises, 1, "a's promise dropped at its expiry")
	assert.Contains(t, tb.promises, "b")
	tb.Expire(50 + ttl)
	assert.Empty(t, tb.promises)
	_, ok := tb.NextDeadline()
	assert.False(t, ok)
}

func TestExpireKeepsRenewedPromise(t *testing.T) {
	tb := newTable()
	st, _ := tb.Promise(0, "k", true, nil, 1)
	require.Equal(t, OK, st)
	st, _ = tb.Promise(50, "k", true, nil, 1) // renewed to 150
	require.Equal(t, OK, st)
	tb.Expire(ttl)
	st, _ = tb.Commit(ttl, "k", 1, OpLock, []byte("v"), 1, 10)
	assert.Equal(t, OK, st, "the renewed promise survived its stale deadline")
}

func TestNextDeadline(t *testing.T) {
	tb := newTable()
	_, ok := tb.NextDeadline()
	require.False(t, ok)

	st, _ := tb.Promise(1000, "p", true, nil, 1) // promise due at 1100
	require.Equal(t, OK, st)
	next, ok := tb.NextDeadline()
	require.True(t, ok)
	assert.Equal(t, int64(1000+ttl), next)

	lockKey(t, tb, 1000, "k", "v", 2, 1, 50) // entry due at 1050
	next, _ = tb.NextDeadline()
	assert.Equal(t, int64(1050), next)

	// A replica tombstone due at 1020.
	require.Equal(t, OK, tb.Replay(1000, OpRelease, "t", []byte("v"), 9, 20))
	next, _ = tb.NextDeadline()
	assert.Equal(t, int64(1020), next)

	tb.Expire(1020)
	next, _ = tb.NextDeadline()
	assert.Equal(t, int64(1050), next)
	tb.Expire(1050)
	next, _ = tb.NextDeadline()
	assert.Equal(t, int64(1100), next)
	tb.Expire(1100)
	_, ok = tb.NextDeadline()
	assert.False(t, ok)
}

func TestLen(t *testing.T) {
	tb := newTable()
	for i := range 5 {
		lockKey(t, tb, 0, string(rune('a'+i)), "v", uint64(i+1), uint64(i+1), 1000)
		assert.Equal(t, i+1, tb.Len())
	}
	// Update and Extend of held keys do not change Len.
	st, _ := tb.Promise(0, "a", false, []byte("v"), 9)
	require.Equal(t, OK, st)
	st, _ = tb.Commit(0, "a", 9, OpUpdate, []byte("w"), 9, 0)
	require.Equal(t, OK, st)
	st, _ = tb.Extend(0, "b", []byte("v"), 10, 0)
	require.Equal(t, OK, st)
	assert.Equal(t, 5, tb.Len())
	st, _ = tb.Release(0, "c", []byte("v"), 0)
	require.Equal(t, OK, st)
	assert.Equal(t, 4, tb.Len())
	assert.Equal(t, countStore(tb.Store()), tb.Len())
}

func countStore(s *Store) int {
	n := 0
	s.Range(func(string, *Entry) bool { n++; return true })
	return n
}

func TestLogging(t *testing.T) {
	tb := newTable()
	lockKey(t, tb, 0, "pre", "v", 1, 1, 1000)
	assert.Nil(t, tb.TakeLog(), "logging is off by default")

	tb.SetLogging(true)
	lockKey(t, tb, 10, "k", "v1", 2, 2, 1000)
	st, _ := tb.Promise(20, "k", false, []byte("v1"), 3)
	require.Equal(t, OK, st)
	st, _ = tb.Commit(20, "k", 3, OpUpdate, []byte("v2"), 3, 0)
	require.Equal(t, OK, st)
	st, _ = tb.Extend(30, "k", []byte("v2"), 500, 0)
	require.Equal(t, OK, st)
	st, _ = tb.Extend(30, "new", []byte("n"), 500, 8)
	require.Equal(t, Installed, st)
	// Refusals are not logged.
	st, _ = tb.Release(40, "k", []byte("wrong"), 0)
	require.Equal(t, Mismatch, st)
	st, _ = tb.Extend(40, "k", []byte("wrong"), 500, 0)
	require.Equal(t, Mismatch, st)
	st, _ = tb.Commit(40, "nokey", 5, OpLock, []byte("v"), 9, 10)
	require.Equal(t, NoPromise, st)
	st, _ = tb.Release(40, "k", []byte("v2"), 0)
	require.Equal(t, OK, st)
	tb.Expire(10000) // expiry is not a committed write

	want := []Record{
		{Op: OpLock, Key: "k", Value: []byte("v1"), Token: 2, ExpiresAt: 1010},
		{Op: OpUpdate, Key: "k", Value: []byte("v2"), Token: 3, ExpiresAt: 1010},
		{Op: OpExtend, Key: "k", Value: []byte("v2"), Token: 3, ExpiresAt: 1010},
		{Op: OpExtend, Key: "new", Value: []byte("n"), Token: 8, ExpiresAt: 530},
		{Op: OpRelease, Key: "k", Value: []byte("v2"), Token: 3, ExpiresAt: 1010},
	}
	assert.Equal(t, want, tb.TakeLog())
	assert.Nil(t, tb.TakeLog(), "TakeLog empties the log")

	lockKey(t, tb, 20000, "x", "v", 4, 10, 10)
	tb.SetLogging(false)
	assert.Nil(t, tb.TakeLog(), "turning logging off drops the log")
	lockKey(t, tb, 20000, "y", "v", 4, 11, 10)
	assert.Nil(t, tb.TakeLog())
}
