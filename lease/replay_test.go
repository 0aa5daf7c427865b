package lease

import (
	"fmt"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// replay applies a write on the replica and requires OK.
func replay(t *testing.T, tb *Table, now int64, op Op, key, value string, token uint64, left int64) {
	t.Helper()
	require.Equal(t, OK, tb.Replay(now, op, key, []byte(value), token, left), "%v %q tok %d", op, key, token)
}

func TestReplayLockInstalls(t *testing.T) {
	tb := newTable()
	replay(t, tb, 100, OpLock, "k", "v", 5, 1000)
	requireEntry(t, tb, "k", "v", 5, 1100) // left counts from the replica's now
	assert.Equal(t, 1, tb.Len())
	assert.Equal(t, uint64(5), tb.MaxToken())
}

func TestReplayStaleLockIgnored(t *testing.T) {
	tb := newTable()
	replay(t, tb, 0, OpLock, "k", "new", 5, 1000)
	replay(t, tb, 10, OpLock, "k", "old", 3, 5000) // lower token: ignored
	requireEntry(t, tb, "k", "new", 5, 1000)
	replay(t, tb, 10, OpUpdate, "k", "old", 4, 5000) // lower token update: ignored
	requireEntry(t, tb, "k", "new", 5, 1000)
	replay(t, tb, 10, OpLock, "k", "new", 5, 5000) // same token lock: no change
	requireEntry(t, tb, "k", "new", 5, 1000)
	assert.Equal(t, uint64(5), tb.MaxToken())
	assert.Equal(t, 1, tb.Len())
}

func TestReplayNewerTokenReplaces(t *testing.T) {
	tb := newTable()
	replay(t, tb, 0, OpLock, "k", "v1", 5, 1000)
	replay(t, tb, 10, OpUpdate, "k", "v2", 6, 990)
	requireEntry(t, tb, "k", "v2", 6, 1000)
	replay(t, tb, 20, OpLock, "k", "v3", 9, 100)
	requireEntry(t, tb, "k", "v3", 9, 120)
	assert.Equal(t, uint64(9), tb.MaxToken())
	assert.Equal(t, 1, tb.Len())
	// The shortened expiry fires.
	assert.Equal(t, 1, tb.Expire(120))
	requireAbsent(t, tb, "k")
}

func TestReplayReleaseThenLateLockIgnoredUntilTombExpires(t *testing.T) {
	tb := newTable()
	replay(t, tb, 0, OpLock, "k", "v", 5, 1000)
	replay(t, tb, 10, OpRelease, "k", "v", 5, 990) // tomb until 1000
	requireAbsent(t, tb, "k")
	assert.Equal(t, 0, tb.Len())

	// Another master's late copy of the lock comes in: ignored.
	replay(t, tb, 20, OpLock, "k", "v", 5, 980)
	requireAbsent(t, tb, "k")
	replay(t, tb, 20, OpExtend, "k", "v", 5, 980)
	requireAbsent(t, tb, "k")
	replay(t, tb, 20, OpUpdate, "k", "v", 4, 980) // older still
	requireAbsent(t, tb, "k")

	tb.Expire(999)
	replay(t, tb, 999, OpLock, "k", "v", 5, 1)
	requireAbsent(t, tb, "k")
	assert.Contains(t, tb.tombs, "k")

	tb.Expire(1000) // the tomb is gone with the lease it guarded
	assert.NotContains(t, tb.tombs, "k")
	replay(t, tb, 1000, OpLock, "k", "v", 5, 1)
	requireEntry(t, tb, "k", "v", 5, 1001)
}

func TestReplayTombDoesNotBlockNewerToken(t *testing.T) {
	tb := newTable()
	replay(t, tb, 0, OpLock, "k", "v", 5, 1000)
	replay(t, tb, 10, OpRelease, "k", "v", 5, 990)
	replay(t, tb, 20, OpLock, "k", "w", 6, 500) // a new holder
	requireEntry(t, tb, "k", "w", 6, 520)
}

func TestReplayReleaseBeforeLock(t *testing.T) {
	// Masters' batches interleave: the release can arrive before the lock.
	tb := newTable()
	replay(t, tb, 0, OpRelease, "k", "v", 5, 1000)
	requireAbsent(t, tb, "k")
	assert.Equal(t, 0, tb.Len())
	assert.Equal(t, uint64(5), tb.MaxToken(), "a release is a token the replica has seen")
	replay(t, tb, 10, OpLock, "k", "v", 5, 990)
	requireAbsent(t, tb, "k")
	assert.Equal(t, 0, tb.Len())
}

func TestReplayExtendSameTokenMovesExpiry(t *testing.T) {
	tb := newTable()
	replay(t, tb, 0, OpLock, "k", "v", 5, 1000)
	replay(t, tb, 500, OpExtend, "k", "v", 5, 1000)
	requireEntry(t, tb, "k", "v", 5, 1500)
	// An extend may also move the expiry earlier (the master's later cut).
	replay(t, tb, 600, OpExtend, "k", "v", 5, 100)
	requireEntry(t, tb, "k", "v", 5, 700)
	assert.Equal(t, 0, tb.Expire(699))
	assert.Equal(t, 1, tb.Expire(700))
	requireAbsent(t, tb, "k")
}

func TestReplayExtendKeepsHeldValue(t *testing.T) {
	tb := newTable()
	replay(t, tb, 0, OpLock, "k", "v", 5, 1000)
	replay(t, tb, 10, OpExtend, "k", "other", 5, 1000)
	requireEntry(t, tb, "k", "v", 5, 1010)
}

func TestReplayExtendInstallsOrIgnores(t *testing.T) {
	tb := newTable()
	replay(t, tb, 0, OpExtend, "k", "v", 5, 1000)
	requireEntry(t, tb, "k", "v", 5, 1000)
	assert.Equal(t, uint64(5), tb.MaxToken())
	replay(t, tb, 10, OpExtend, "k", "old", 4, 5000) // older token: ignored
	requireEntry(t, tb, "k", "v", 5, 1000)
	replay(t, tb, 10, OpExtend, "k", "new", 6, 200) // newer token: installed
	requireEntry(t, tb, "k", "new", 6, 210)
	assert.Equal(t, 1, tb.Len())
}

func TestReplayReleaseOlderTokenDeletes(t *testing.T) {
	tb := newTable()
	replay(t, tb, 0, OpLock, "k", "v", 3, 1000)
	// A release of token 5 means the replica missed lock 5; the entry of
	// token 3 is older and goes.
	replay(t, tb, 10, OpRelease, "k", "w", 5, 500)
	requireAbsent(t, tb, "k")
	assert.Equal(t, 0, tb.Len())
	assert.Equal(t, uint64(5), tb.MaxToken())
}

func TestReplayReleaseOfOlderTokenKeepsNewerEntry(t *testing.T) {
	tb := newTable()
	replay(t, tb, 0, OpLock, "k", "v", 5, 1000)
	replay(t, tb, 10, OpRelease, "k", "v", 3, 500)
	requireEntry(t, tb, "k", "v", 5, 1000)
	replay(t, tb, 10, OpRelease, "k", "other", 5, 500) // same token, other value
	requireEntry(t, tb, "k", "v", 5, 1000)
	assert.Equal(t, 1, tb.Len())
}

func TestReplayLeftNonPositiveIgnored(t *testing.T) {
	for _, left := range []int64{0, -1, -1000} {
		t.Run(fmt.Sprint(left), func(t *testing.T) {
			tb := newTable()
			for _, op := range []Op{OpLock, OpUpdate, OpExtend} {
				replay(t, tb, 100, op, "k", "v", 5, left)
				requireAbsent(t, tb, "k")
			}
			assert.Equal(t, 0, tb.Len())
			assert.Equal(t, uint64(0), tb.MaxToken(), "an ignored write is not observed")
			_, ok := tb.NextDeadline()
			assert.False(t, ok)

			replay(t, tb, 100, OpLock, "held", "v", 5, 1000)
			replay(t, tb, 200, OpExtend, "held", "v", 5, left)
			requireEntry(t, tb, "held", "v", 5, 1100)
			replay(t, tb, 200, OpUpdate, "held", "w", 6, left)
			requireEntry(t, tb, "held", "v", 5, 1100)
		})
	}
}

func TestReplayReleaseWithNonPositiveLeftStillDeletes(t *testing.T) {
	tb := newTable()
	replay(t, tb, 0, OpLock, "k", "v", 5, 1000)
	replay(t, tb, 10, OpRelease, "k", "v", 5, -3)
	requireAbsent(t, tb, "k")
	tb.Expire(10) // its tomb (until now) goes at once
	assert.Empty(t, tb.tombs)
}

func TestReplayBadRequest(t *testing.T) {
	tb := newTable()
	assert.Equal(t, BadRequest, tb.Replay(0, OpLock, "", []byte("v"), 5, 10))
	assert.Equal(t, BadRequest, tb.Replay(0, OpLock, "k", nil, 5, 10))
	assert.Equal(t, BadRequest, tb.Replay(0, OpRelease, "k", nil, 5, 10))
	assert.Equal(t, BadRequest, tb.Replay(0, 0, "k", []byte("v"), 5, 10))
	assert.Equal(t, BadRequest, tb.Replay(0, 99, "k", []byte("v"), 5, 10))
	assert.Equal(t, 0, tb.Len())
	assert.Equal(t, uint64(0), tb.MaxToken())
	assert.Empty(t, tb.tombs)
}

func TestReplayIsNotLogged(t *testing.T) {
	tb := newTable()
	tb.SetLogging(true)
	replay(t, tb, 0, OpLock, "k", "v", 5, 1000)
	replay(t, tb, 0, OpRelease, "k", "v", 5, 1000)
	assert.Empty(t, tb.TakeLog())
}

// snapshot is a comparable view of a table's entries.
func snapshot(tb *Table) []string {
	var out []string
	tb.Store().Range(func(k string, e *Entry) bool {
		out = append(out, fmt.Sprintf("%s=%s/%d/%d", k, e.Value, e.Token, e.ExpiresAt))
		return true
	})
	sort.Strings(out)
	return out
}

func TestReplayDuplicatesFromTwoMastersIdempotent(t *testing.T) {
	type write struct {
		now   int64
		op    Op
		key   string
		value string
		token uint64
		left  int64
	}
	log := []write{
		{0, OpLock, "a", "v1", 1, 1000},
		{0, OpLock, "b", "x", 2, 1000},
		{10, OpUpdate, "a", "v2", 3, 990},
		{20, OpExtend, "a", "v2", 3, 1000},
		{30, OpRelease, "b", "x", 2, 970},
		{40, OpLock, "c", "y", 4, 500},
		{50, OpRelease, "c", "y", 4, 490},
		{60, OpLock, "c", "z", 5, 500},
	}
	once := newTable()
	for _, w := range log {
		replay(t, once, w.now, w.op, w.key, w.value, w.token, w.left)
	}
	want := snapshot(once)
	require.Equal(t, []string{"a=v2/3/1020", "c=z/5/560"}, want)

	// Master B repeats every write right after master A.
	twice := newTable()
	for _, w := range log {
		replay(t, twice, w.now, w.op, w.key, w.value, w.token, w.left)
		replay(t, twice, w.now, w.op, w.key, w.value, w.token, w.left)
	}
	assert.Equal(t, want, snapshot(twice))
	assert.Equal(t, once.MaxToken(), twice.MaxToken())
	assert.Equal(t, once.Len(), twice.Len())

	// Master B lags: its whole batch arrives after A's, at the same instants.
	lag := newTable()
	for _, w := range log {
		replay(t, lag, w.now, w.op, w.key, w.value, w.token, w.left)
	}
	for _, w := range log {
		replay(t, lag, 60, w.op, w.key, w.value, w.token, w.left-(60-w.now))
	}
	assert.Equal(t, want, snapshot(lag), "stale duplicates must not resurrect released keys or old values")
	assert.Equal(t, once.Len(), lag.Len())
}

func TestReplayMasterLogOnReplica(t *testing.T) {
	master := newTable()
	master.SetLogging(true)
	lockKey(t, master, 0, "a", "v1", 1, 1, 1000)
	lockKey(t, master, 0, "b", "x", 2, 2, 1000)
	st, _ := master.Promise(10, "a", false, []byte("v1"), 3)
	require.Equal(t, OK, st)
	st, _ = master.Commit(10, "a", 3, OpUpdate, []byte("v2"), 3, 0)
	require.Equal(t, OK, st)
	st, _ = master.Extend(20, "a", []byte("v2"), 2000, 0)
	require.Equal(t, OK, st)
	st, _ = master.Release(30, "b", []byte("x"), 0)
	require.Equal(t, OK, st)

	// The batch is cut at 40; the replica's clock reads 40 too.
	const cut = 40
	replica := newTable()
	for _, r := range master.TakeLog() {
		require.Equal(t, OK, replica.Replay(cut, r.Op, r.Key, r.Value, r.Token, r.ExpiresAt-cut))
	}
	assert.Equal(t, snapshot(master), snapshot(replica))
	assert.Equal(t, master.MaxToken(), replica.MaxToken())
	assert.Equal(t, master.Len(), replica.Len())
}

func TestReplayDuplicateReleaseKeepsTomb(t *testing.T) {
	tb := newTable()
	replay(t, tb, 0, OpLock, "k", "v", 5, 1000)
	replay(t, tb, 0, OpRelease, "k", "v", 5, 1000) // tomb until 1000
	// Another master's copy, cut later, says less lease was left: the tomb
	// keeps its first deadline.
	replay(t, tb, 10, OpRelease, "k", "v", 5, 10)
	tb.Expire(20)
	replay(t, tb, 30, OpLock, "k", "v", 5, 970)
	requireAbsent(t, tb, "k")
}

func TestReplayNewerTombNotExpiredByOlderDeadline(t *testing.T) {
	tb := newTable()
	replay(t, tb, 0, OpRelease, "k", "v", 5, 100)  // tomb 5 until 100
	replay(t, tb, 0, OpRelease, "k", "w", 7, 1000) // tomb 7 until 1000 replaces it
	tb.Expire(100)                                 // the stale deadline of tomb 5
	require.Contains(t, tb.tombs, "k")
	assert.Equal(t, uint64(7), tb.tombs["k"].token)
	replay(t, tb, 200, OpLock, "k", "w", 7, 800)
	requireAbsent(t, tb, "k")
	replay(t, tb, 200, OpLock, "k", "v", 6, 800)
	requireAbsent(t, tb, "k")
	tb.Expire(1000)
	assert.Empty(t, tb.tombs)
}
