package actor

import (
	"log/slog"
	"testing"
	"testing/synctest"
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/protolocker/locker/cluster"
	"github.com/protolocker/locker/messages"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// spawn starts a holder as the only master of a fresh system.
func spawn(t *testing.T) (*protoactor.ActorSystem, *Holder, *protoactor.PID, cluster.View) {
	t.Helper()
	sys := protoactor.NewActorSystem(protoactor.WithLoggerFactory(func(*protoactor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
	view, err := cluster.NewView(1, []string{sys.Address()}, nil, 0)
	require.NoError(t, err)
	h := New(Config{Members: cluster.NewMembership(view), PromiseTTL: time.Second, ReplicationInterval: time.Second})
	pid, err := h.Spawn(sys)
	require.NoError(t, err)
	_, err = New(Config{Members: cluster.NewMembership(view)}).Spawn(sys)
	require.Error(t, err, "one holder per system")
	t.Cleanup(func() {
		Unregister(sys)
		require.NoError(t, sys.Root.StopFuture(pid).Wait())
		sys.Shutdown()
	})
	return sys, h, pid, view
}

func ask[T any](t *testing.T, sys *protoactor.ActorSystem, pid *protoactor.PID, msg any) T {
	t.Helper()
	r, err := sys.Root.RequestFuture(pid, msg, time.Second).Result()
	require.NoError(t, err)
	reply, ok := r.(T)
	require.True(t, ok, "reply %T", r)
	return reply
}

func TestHolderLocksAndExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sys, h, pid, view := spawn(t)
		p := ask[*messages.PromiseReply](t, sys, pid, &messages.PromiseRequest{
			ReqId: 7, Key: "k", ExpectAbsent: true, Tag: 9, ViewVersion: view.Version, ViewHash: view.Hash()})
		assert.Equal(t, messages.Status_STATUS_OK, p.GetStatus())
		assert.Equal(t, uint64(7), p.GetReqId())
		c := ask[*messages.CommitReply](t, sys, pid, &messages.CommitRequest{
			ReqId: 8, Key: "k", Tag: 9, Op: messages.Op_OP_LOCK, Value: []byte("v"), Token: 1, LeaseNs: int64(100 * time.Millisecond)})
		assert.Equal(t, messages.Status_STATUS_OK, c.GetStatus())
		e, ok := h.Store().Get("k")
		require.True(t, ok)
		assert.Equal(t, []byte("v"), e.Value)

		time.Sleep(100*time.Millisecond + time.Millisecond)
		synctest.Wait()
		_, ok = h.Store().Get("k")
		assert.False(t, ok, "expired by the timer, within the 1ms tick")
		assert.Equal(t, uint64(1), h.Stats().Expired)
		r := ask[*messages.ReadReply](t, sys, pid, &messages.ReadRequest{ReqId: 1, Key: "k"})
		assert.Equal(t, messages.Status_STATUS_NOT_FOUND, r.GetStatus())
	})
}

func TestHolderRefusesOtherViewsAndCountsJunk(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sys, h, pid, view := spawn(t)
		p := ask[*messages.PromiseReply](t, sys, pid, &messages.PromiseRequest{ReqId: 1, Key: "k", Tag: 1, ExpectAbsent: true, ViewVersion: 9})
		assert.Equal(t, messages.Status_STATUS_WRONG_VIEW, p.GetStatus())
		assert.Equal(t, view.Version, p.GetView().GetVersion())

		sys.Root.Send(pid, "junk")
		sys.Root.Send(pid, &messages.ViewUpdate{View: &messages.View{Version: 5}}) // invalid: no masters
		ask[*messages.Pong](t, sys, pid, &messages.Ping{ReqId: 3})
		s := h.Stats()
		assert.Equal(t, uint64(1), s.Unknown)
		assert.Equal(t, uint64(1), s.BadRequests)
		assert.Equal(t, uint64(1), s.WrongView)

		next, err := cluster.NewView(2, view.Masters, nil, 0)
		require.NoError(t, err)
		ack := ask[*messages.ViewAck](t, sys, pid, &messages.ViewUpdate{ReqId: 4, View: next.Proto()})
		assert.Equal(t, uint64(2), ack.GetVersion())
	})
}
