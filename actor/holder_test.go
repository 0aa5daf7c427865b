package actor

import (
	"log/slog"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/protolocker/locker/internal/view"
	"github.com/protolocker/locker/messages"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fixture is a running holder, the only master of its view.
type fixture struct {
	sys     *protoactor.ActorSystem
	h       *Holder
	pid     *protoactor.PID
	view    view.View
	members *view.Membership
	host    *fakeHost
}

func newSystem() *protoactor.ActorSystem {
	return protoactor.NewActorSystem(protoactor.WithLoggerFactory(func(*protoactor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
}

// spawn starts a voting holder as the only master of a fresh system;
// edit changes its config first.
func spawn(t *testing.T, edit ...func(*Config)) *fixture {
	t.Helper()
	sys := newSystem()
	v, err := view.NewView(1, []string{sys.Address()}, nil, 0)
	require.NoError(t, err)
	f := &fixture{sys: sys, view: v, members: view.NewMembership(v), host: &fakeHost{}}
	cfg := Config{Members: f.members, ReplicationInterval: time.Second, MaxLease: time.Minute,
		TombstoneTTL: time.Minute, Voting: true, Host: f.host}
	for _, e := range edit {
		e(&cfg)
	}
	f.h = New(sys.Address(), cfg)
	f.pid, err = f.h.Spawn(sys)
	require.NoError(t, err)
	t.Cleanup(func() {
		Unregister(sys)
		require.NoError(t, sys.Root.StopFuture(f.pid).Wait())
		sys.Shutdown()
	})
	return f
}

func ask[T any](t *testing.T, f *fixture, msg any) T {
	t.Helper()
	r, err := f.sys.Root.RequestFuture(f.pid, msg, time.Second).Result()
	require.NoError(t, err)
	reply, ok := r.(T)
	require.True(t, ok, "reply %T", r)
	f.sync(t) // the holder publishes its state after it replies
	return reply
}

// sync waits until the holder handled everything sent before.
func (f *fixture) sync(t *testing.T) {
	t.Helper()
	_, err := f.sys.Root.RequestFuture(f.pid, &messages.Ping{}, time.Second).Result()
	require.NoError(t, err)
}

func (f *fixture) prepare(key string, b uint64) *messages.Prepare {
	return &messages.Prepare{ReqId: 1, Key: key, Ballot: b, ViewVersion: f.view.Version, ViewHash: f.view.Hash()}
}

func (f *fixture) accept(key string, b uint64, st *messages.State) *messages.Accept {
	return &messages.Accept{ReqId: 2, Key: key, Ballot: b, State: st, Next: true, ViewVersion: f.view.Version, ViewHash: f.view.Hash()}
}

func held(value string, token uint64, lease time.Duration) *messages.State {
	return &messages.State{Held: true, Value: []byte(value), Token: token, Origin: token, LeaseNs: int64(lease)}
}

// fakeHost records what the holder tells its node.
type fakeHost struct {
	mu       sync.Mutex
	observed []observation
	heard    []string
	maintain []maintenance
}

type observation struct {
	key    string
	ballot uint64
}

type maintenance struct{ voting, sealed bool }

func (h *fakeHost) Observed(key string, b uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.observed = append(h.observed, observation{key, b})
}

func (h *fakeHost) Heard(addr string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.heard = append(h.heard, addr)
}

func (h *fakeHost) Maintain(_, _ []string, voting, sealed bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.maintain = append(h.maintain, maintenance{voting, sealed})
}

func (h *fakeHost) calls() ([]observation, []string, []maintenance) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]observation(nil), h.observed...), append([]string(nil), h.heard...), append([]maintenance(nil), h.maintain...)
}

func TestHolderAcceptsAndExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := spawn(t)
		p := ask[*messages.Vote](t, f, &messages.Prepare{ReqId: 7, Key: "k", Ballot: 10, ViewVersion: f.view.Version, ViewHash: f.view.Hash()})
		assert.Equal(t, messages.Status_STATUS_OK, p.GetStatus())
		assert.Equal(t, uint64(7), p.GetReqId())
		assert.Zero(t, p.GetAccepted())
		assert.Nil(t, p.GetState(), "nothing accepted yet")

		a := ask[*messages.Vote](t, f, f.accept("k", 10, held("v", 10, 100*time.Millisecond)))
		assert.Equal(t, messages.Status_STATUS_OK, a.GetStatus())
		assert.Equal(t, uint64(10), a.GetAccepted())
		e, ok := f.h.Store().Get("k")
		require.True(t, ok)
		assert.Equal(t, []byte("v"), e.Value)
		assert.Equal(t, uint64(10), e.Token)

		r := ask[*messages.Vote](t, f, &messages.ReadRequest{ReqId: 3, Key: "k", ViewVersion: f.view.Version, ViewHash: f.view.Hash()})
		assert.Equal(t, messages.Status_STATUS_OK, r.GetStatus())
		assert.Equal(t, uint64(10), r.GetAccepted())
		assert.True(t, r.GetState().GetHeld())
		assert.Equal(t, []byte("v"), r.GetState().GetValue())
		assert.Equal(t, int64(100*time.Millisecond), r.GetState().GetLeaseNs())

		time.Sleep(100*time.Millisecond - time.Microsecond)
		synctest.Wait()
		_, ok = f.h.Store().Get("k")
		assert.True(t, ok, "held until its lease ends")
		time.Sleep(time.Millisecond)
		synctest.Wait()
		_, ok = f.h.Store().Get("k")
		assert.False(t, ok, "expired by the timer, within the 1ms tick")
		assert.Equal(t, uint64(1), f.h.Stats().Expired)

		r = ask[*messages.Vote](t, f, &messages.ReadRequest{ReqId: 4, Key: "k", ViewVersion: f.view.Version, ViewHash: f.view.Hash()})
		assert.Equal(t, uint64(10), r.GetAccepted(), "an expired state is still reported")
		assert.True(t, r.GetState().GetHeld())
		assert.Zero(t, r.GetState().GetLeaseNs(), "with nothing left")
		assert.Equal(t, 1, f.h.Stats().Keys)
	})
}

func TestHolderLearnsAndServesSync(t *testing.T) {
	f := spawn(t)
	learn := &messages.Learn{ReqId: 5, Entries: []*messages.Learned{
		{Key: "a", Ballot: 3, State: held("x", 3, time.Minute), Chosen: true},
		{Key: "b", Ballot: 4, State: &messages.State{Origin: 4}, Chosen: true},
	}}
	ack := ask[*messages.LearnAck](t, f, learn)
	assert.Equal(t, uint64(5), ack.GetReqId())
	e, ok := f.h.Store().Get("a")
	require.True(t, ok)
	assert.Equal(t, []byte("x"), e.Value)
	_, ok = f.h.Store().Get("b")
	assert.False(t, ok, "a free state is not published")

	f.sys.Root.Send(f.pid, &messages.Learn{Entries: []*messages.Learned{{Key: "c", Ballot: 5, State: held("y", 5, time.Minute), Chosen: true}}})
	f.sync(t) // no LearnAck without a req_id: the Pong is the next reply
	_, ok = f.h.Store().Get("c")
	assert.True(t, ok)
	assert.Equal(t, 3, f.h.Stats().Keys)

	s := ask[*messages.SyncReply](t, f, &messages.SyncRequest{ReqId: 6, Limit: 10, ViewVersion: f.view.Version})
	assert.Equal(t, messages.Status_STATUS_OK, s.GetStatus())
	assert.Equal(t, uint64(6), s.GetReqId())
	assert.NotZero(t, s.GetIncarnation())
	assert.False(t, s.GetMore())
	var keys []string
	for _, l := range s.GetEntries() {
		keys = append(keys, l.GetKey())
		assert.True(t, l.GetChosen(), l.GetKey())
	}
	assert.Equal(t, []string{"a", "b", "c"}, keys)
}

func TestHolderAnswersPing(t *testing.T) {
	f := spawn(t)
	assert.Equal(t, uint64(9), ask[*messages.Pong](t, f, &messages.Ping{ReqId: 9}).GetReqId())
	assert.Zero(t, f.h.Stats().Requests, "a ping is not a protocol request")
}

func TestOneHolderPerSystem(t *testing.T) {
	f := spawn(t)
	_, err := New(f.sys.Address(), Config{Members: view.NewMembership(f.view), ReplicationInterval: time.Second}).Spawn(f.sys)
	require.Error(t, err, "one holder per system")
	f.sync(t) // the first one still answers under its name
	r, err := f.sys.Root.RequestFuture(f.sys.NewLocalPID(Name), &messages.Ping{ReqId: 2}, time.Second).Result()
	require.NoError(t, err)
	assert.Equal(t, &messages.Pong{ReqId: 2}, r)
}

func TestHolderRefusesOtherViews(t *testing.T) {
	f := spawn(t)
	for _, msg := range []any{
		&messages.Prepare{ReqId: 1, Key: "k", Ballot: 1, ViewVersion: 9, ViewHash: f.view.Hash()},
		&messages.Accept{ReqId: 1, Key: "k", Ballot: 1, State: held("v", 1, time.Second), ViewVersion: f.view.Version, ViewHash: 1},
		&messages.ReadRequest{ReqId: 1, Key: "k"},
	} {
		v := ask[*messages.Vote](t, f, msg)
		assert.Equal(t, messages.Status_STATUS_WRONG_VIEW, v.GetStatus(), "%T", msg)
		assert.Equal(t, f.view.Version, v.GetView().GetVersion(), "%T", msg)
		assert.Equal(t, f.view.Masters, v.GetView().GetMasters(), "%T", msg)
	}
	assert.Equal(t, uint64(3), f.h.Stats().WrongView)
	assert.Zero(t, f.h.Stats().Keys)
}

func TestNonVotingHolderIsNotReady(t *testing.T) {
	f := spawn(t, func(c *Config) { c.Voting = false })
	assert.False(t, f.h.Voting())
	assert.False(t, f.h.Sealed())
	v := ask[*messages.Vote](t, f, f.prepare("k", 1))
	assert.Equal(t, messages.Status_STATUS_NOT_READY, v.GetStatus())
	v = ask[*messages.Vote](t, f, f.accept("k", 1, held("v", 1, time.Second)))
	assert.Equal(t, messages.Status_STATUS_NOT_READY, v.GetStatus())
	_, ok := f.h.Store().Get("k")
	assert.False(t, ok)
}

func TestHolderSealed(t *testing.T) {
	f := spawn(t)
	assert.True(t, f.h.Voting())
	assert.False(t, f.h.Sealed())
	s := ask[*messages.SealReply](t, f, &messages.Seal{ReqId: 1, Version: f.view.Version + 1, Ballot: 5})
	assert.Equal(t, messages.Status_STATUS_OK, s.GetStatus())
	assert.True(t, s.GetVoting())
	assert.True(t, f.h.Sealed())
	assert.True(t, f.h.Voting(), "sealed, its memory is still complete")
	v := ask[*messages.Vote](t, f, f.prepare("k", 1))
	assert.Equal(t, messages.Status_STATUS_SEALED, v.GetStatus())

	s = ask[*messages.SealReply](t, f, &messages.Seal{ReqId: 2, Version: f.view.Version + 1, Ballot: 5})
	assert.Equal(t, messages.Status_STATUS_REJECTED, s.GetStatus(), "the same view ballot again")
	assert.Equal(t, uint64(5), s.GetPromised())
}

func TestHolderPublishesItsView(t *testing.T) {
	f := spawn(t)
	next, err := view.NewView(2, f.view.Masters, []string{"r"}, 0)
	require.NoError(t, err)
	ack := ask[*messages.ViewAck](t, f, &messages.ViewCommit{ReqId: 1, View: next.Proto()})
	assert.Equal(t, uint64(2), ack.GetVersion())
	assert.True(t, ack.GetVoting())
	assert.Equal(t, next.Version, f.members.Load().Version, "published to the node")
	assert.Equal(t, []string{"r"}, f.members.Load().Replicas)

	v := ask[*messages.Vote](t, f, f.prepare("k", 1))
	assert.Equal(t, messages.Status_STATUS_WRONG_VIEW, v.GetStatus(), "the old view")
	assert.Equal(t, uint64(2), v.GetView().GetVersion())
	v = ask[*messages.Vote](t, f, &messages.Prepare{ReqId: 1, Key: "k", Ballot: 1, ViewVersion: next.Version, ViewHash: next.Hash()})
	assert.Equal(t, messages.Status_STATUS_OK, v.GetStatus(), "the new view")

	later, err := view.NewView(3, f.view.Masters, nil, 0)
	require.NoError(t, err)
	f.sys.Root.Send(f.pid, AdoptView{View: later})
	f.sync(t)
	assert.Equal(t, uint64(3), f.members.Load().Version)
	f.sys.Root.Send(f.pid, AdoptView{View: next})
	f.sync(t)
	assert.Equal(t, uint64(3), f.members.Load().Version, "never an older view")
}

func TestHolderTellsItsHost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := spawn(t)
		ask[*messages.Vote](t, f, f.accept("k", 10, held("v", 10, time.Second)))
		ask[*messages.LearnAck](t, f, &messages.Learn{ReqId: 1, Entries: []*messages.Learned{
			{Key: "a", Ballot: 11, State: held("x", 11, time.Second), Chosen: true},
			{Key: "b", Ballot: 12, State: &messages.State{Origin: 12}, Chosen: true},
		}})
		f.sys.Root.RequestWithCustomSender(f.pid, f.prepare("p", 13), protoactor.NewPID("peer:1", "sink"))
		f.sync(t)
		observed, heard, _ := f.host.calls()
		assert.Equal(t, []observation{{"k", 10}, {"a", 11}, {"b", 12}}, observed)
		assert.Equal(t, []string{f.sys.Address(), f.sys.Address(), "peer:1"}, heard)

		time.Sleep(2*time.Second + time.Second/2)
		synctest.Wait()
		_, _, maintain := f.host.calls()
		assert.Equal(t, []maintenance{{voting: true}, {voting: true}}, maintain, "every ReplicationInterval")

		ask[*messages.SealReply](t, f, &messages.Seal{ReqId: 1, Version: f.view.Version + 1, Ballot: 1})
		time.Sleep(time.Second)
		synctest.Wait()
		_, _, maintain = f.host.calls()
		require.Len(t, maintain, 3)
		assert.Equal(t, maintenance{voting: true, sealed: true}, maintain[2])
	})
}

func TestNonVotingHolderAsksForMaintenance(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := spawn(t, func(c *Config) { c.Voting = false; c.ReplicationInterval = 10 * time.Millisecond })
		time.Sleep(15 * time.Millisecond)
		synctest.Wait()
		_, _, maintain := f.host.calls()
		assert.Equal(t, []maintenance{{voting: false}}, maintain)
	})
}

func TestHolderCountsJunk(t *testing.T) {
	f := spawn(t)
	f.sys.Root.Send(f.pid, "junk")
	f.sys.Root.Send(f.pid, &messages.Vote{ReqId: 1}) // a reply sent to the wrong place
	for _, msg := range []any{
		f.prepare("", 1),  // no key
		f.prepare("k", 0), // no ballot
		f.accept("k", 1, nil),
		f.accept("k", 1, held("v", 1, 2*time.Minute)), // above MaxLease
		f.accept("k", 1, held("v", 1, 0)),             // no lease
	} {
		assert.Equal(t, messages.Status_STATUS_BAD_REQUEST, ask[*messages.Vote](t, f, msg).GetStatus(), "%v", msg)
	}
	va := ask[*messages.ViewAccepted](t, f, &messages.ViewAccept{ReqId: 1, Ballot: 1, View: &messages.View{Version: 2}}) // no masters
	assert.Equal(t, messages.Status_STATUS_BAD_REQUEST, va.GetStatus())
	s := f.h.Stats()
	assert.Equal(t, uint64(2), s.Unknown)
	assert.Equal(t, uint64(6), s.BadRequests)
	assert.Equal(t, uint64(6), s.Requests)
	assert.Zero(t, s.Keys)
	assert.Zero(t, s.Panics)

	for _, k := range []string{"a", "b", "c"} {
		ask[*messages.Vote](t, f, f.prepare(k, 1))
	}
	assert.Equal(t, 3, f.h.Stats().Keys)
}

// Learned states riding in a Batch are applied before its requests, as
// a Learn sent just before would be: an accept at a lower ballot than a
// state learned in the same Batch is refused.
func TestHolderAppliesABatchsLearnedFirst(t *testing.T) {
	f := spawn(t)
	b := &messages.Batch{
		Learned: []*messages.Learned{{Key: "k", Ballot: 5, State: held("x", 5, time.Minute), Chosen: true}},
		Accepts: []*messages.Accept{f.accept("k", 3, held("y", 3, time.Minute))},
	}
	vs := ask[*messages.Votes](t, f, b)
	require.Len(t, vs.GetVotes(), 1)
	assert.Equal(t, messages.Status_STATUS_REJECTED, vs.GetVotes()[0].GetStatus())
	e, ok := f.h.Store().Get("k")
	require.True(t, ok)
	assert.Equal(t, []byte("x"), e.Value, "the learned state holds the key")
	assert.Equal(t, uint64(2), f.h.Stats().Requests)
}

func TestHolderAnswersABatchInOneVotes(t *testing.T) {
	f := spawn(t)
	b := &messages.Batch{
		Prepares: []*messages.Prepare{f.prepare("a", 1), f.prepare("b", 1)},
		Accepts:  []*messages.Accept{f.accept("c", 1, held("v", 1, time.Second))},
		Reads:    []*messages.ReadRequest{{ReqId: 9, Key: ""}},
	}
	b.Prepares[1].ReqId, b.Accepts[0].ReqId = 7, 8
	vs := ask[*messages.Votes](t, f, b)
	require.Len(t, vs.GetVotes(), 4)
	byID := map[uint64]messages.Status{}
	for _, v := range vs.GetVotes() {
		byID[v.GetReqId()] = v.GetStatus()
	}
	assert.Equal(t, messages.Status_STATUS_OK, byID[b.Prepares[0].GetReqId()])
	assert.Equal(t, messages.Status_STATUS_OK, byID[7])
	assert.Equal(t, messages.Status_STATUS_OK, byID[8])
	assert.Equal(t, messages.Status_STATUS_WRONG_VIEW, byID[9], "each request is checked alone")
	_, ok := f.h.Store().Get("c")
	assert.True(t, ok)
	assert.Equal(t, uint64(4), f.h.Stats().Requests)
}
