package lease

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker/internal/view"
	"github.com/protolocker/locker/messages"
)

// The acceptor under test is m1 of a three-master view (W = 2) with one
// replica, incarnation selfInc, leases of at most maxLease and tombstones
// kept ttl.
const (
	self     = "m1"
	selfInc  = 7
	maxLease = 1_000
	ttl      = 10_000
)

var (
	statusOK         = messages.Status_STATUS_OK
	statusRejected   = messages.Status_STATUS_REJECTED
	statusWrongView  = messages.Status_STATUS_WRONG_VIEW
	statusBadRequest = messages.Status_STATUS_BAD_REQUEST
	statusNotReady   = messages.Status_STATUS_NOT_READY
	statusSealed     = messages.Status_STATUS_SEALED
)

// mkView returns a view of version with the given masters, replica r1 and
// a majority quorum.
func mkView(t testing.TB, version uint64, masters ...string) view.View {
	t.Helper()
	if len(masters) == 0 {
		masters = []string{"m1", "m2", "m3"}
	}
	v, err := view.NewView(version, masters, []string{"r1"}, 0)
	require.NoError(t, err)
	return v
}

// newAcceptor returns a voting m1 in view 1; opts adjust its Config.
func newAcceptor(t testing.TB, opts ...func(*Config)) *Acceptor {
	t.Helper()
	cfg := Config{Self: self, View: mkView(t, 1), Incarnation: selfInc, MaxLease: maxLease,
		TombstoneTTL: ttl, Voting: true}
	for _, o := range opts {
		o(&cfg)
	}
	return New(cfg)
}

func notVoting(c *Config) { c.Voting = false }

func held(value string, token, origin uint64, lease int64) *messages.State {
	return &messages.State{Held: true, Value: []byte(value), Token: token, Origin: origin, LeaseNs: lease}
}

func free(origin uint64) *messages.State { return &messages.State{Origin: origin} }

// Key votes stamped with the acceptor's own view.

func prepareMsg(a *Acceptor, key string, b uint64) *messages.Prepare {
	return &messages.Prepare{ReqId: 1, Key: key, Ballot: b, ViewVersion: a.View().Version, ViewHash: a.View().Hash()}
}

func acceptMsg(a *Acceptor, key string, b uint64, st *messages.State, next bool) *messages.Accept {
	return &messages.Accept{ReqId: 2, Key: key, Ballot: b, State: st, Next: next,
		ViewVersion: a.View().Version, ViewHash: a.View().Hash()}
}

func readMsg(a *Acceptor, key string) *messages.ReadRequest {
	return &messages.ReadRequest{ReqId: 3, Key: key, ViewVersion: a.View().Version, ViewHash: a.View().Hash()}
}

// handle sends msg from m2 and returns the reply as an R.
func handle[R any](t testing.TB, a *Acceptor, now int64, msg any) R {
	t.Helper()
	reply, known := a.Handle(now, "m2", msg)
	require.True(t, known, "%T is handled", msg)
	r, ok := reply.(R)
	require.True(t, ok, "reply to %T is %T", msg, reply)
	return r
}

func prepare(t testing.TB, a *Acceptor, now int64, key string, b uint64) *messages.Vote {
	t.Helper()
	return handle[*messages.Vote](t, a, now, prepareMsg(a, key, b))
}

func accept(t testing.TB, a *Acceptor, now int64, key string, b uint64, st *messages.State, next bool) *messages.Vote {
	t.Helper()
	return handle[*messages.Vote](t, a, now, acceptMsg(a, key, b, st, next))
}

func read(t testing.TB, a *Acceptor, now int64, key string) *messages.Vote {
	t.Helper()
	return handle[*messages.Vote](t, a, now, readMsg(a, key))
}

// mustAccept makes st the key's accepted state at ballot b.
func mustAccept(t testing.TB, a *Acceptor, now int64, key string, b uint64, st *messages.State) {
	t.Helper()
	v := accept(t, a, now, key, b, st, false)
	require.Equal(t, statusOK, v.GetStatus(), "accept %q at %d: %v", key, b, v)
}

func learned(key string, b uint64, st *messages.State, chosen bool) *messages.Learned {
	return &messages.Learned{Key: key, Ballot: b, State: st, Chosen: chosen}
}

// learn sends one Learn without a req_id.
func learn(t testing.TB, a *Acceptor, now int64, entries ...*messages.Learned) {
	t.Helper()
	reply, known := a.Handle(now, "m2", &messages.Learn{Entries: entries})
	require.True(t, known)
	require.Nil(t, reply)
}

// syncReply is a reply of a master of incarnation 99 in the acceptor's view.
func syncReply(a *Acceptor, last uint64, entries ...*messages.Learned) *messages.SyncReply {
	return &messages.SyncReply{Status: statusOK, Incarnation: 99, Last: last, Entries: entries,
		ViewVersion: a.View().Version}
}

// seal seals the acceptor for the next version at view ballot b.
func seal(t testing.TB, a *Acceptor, now int64, b uint64) *messages.SealReply {
	t.Helper()
	return handle[*messages.SealReply](t, a, now, &messages.Seal{ReqId: 4, Version: a.View().Version + 1, Ballot: b})
}

// ballots returns a key's accepted and promised ballots.
func ballots(a *Acceptor, key string) (accepted, promised uint64) {
	accepted, _ = a.State(0, key)
	promised, _ = a.Promise(key)
	return accepted, promised
}

// published returns the key's Store entry, or nil.
func published(a *Acceptor, key string) *Entry {
	e, _ := a.Store().Get(key)
	return e
}
