package clustertest

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// echo answers every StringValue request with the same value and reports
// each StringValue it receives on seen.
type echo struct {
	seen chan *wrapperspb.StringValue
}

func (e *echo) Receive(ctx actor.Context) {
	if m, ok := ctx.Message().(*wrapperspb.StringValue); ok {
		e.seen <- m
		if ctx.Sender() != nil {
			ctx.Respond(m)
		}
	}
}

// newSystem joins a system at addr or fails the test.
func newSystem(t *testing.T, n *Network, addr string) *actor.ActorSystem {
	t.Helper()
	sys, err := n.NewSystem(addr)
	require.NoError(t, err)

	return sys
}

// spawnEcho starts an echo actor named "echo" on sys and returns what it
// receives.
func spawnEcho(t *testing.T, sys *actor.ActorSystem) chan *wrapperspb.StringValue {
	t.Helper()
	seen := make(chan *wrapperspb.StringValue, 100)
	_, err := sys.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor {
		return &echo{seen: seen}
	}), "echo")
	require.NoError(t, err)

	return seen
}

// request asks the echo actor at addr from sys.
func request(t *testing.T, sys *actor.ActorSystem, addr, text string, timeout time.Duration) (string, error) {
	t.Helper()
	res, err := sys.Root.RequestFuture(actor.NewPID(addr, "echo"), wrapperspb.String(text), timeout).Result()
	if err != nil {
		return "", err
	}
	sv, ok := res.(*wrapperspb.StringValue)
	require.True(t, ok, "reply is %T", res)

	return sv.GetValue(), nil
}

// bubble runs f inside a synctest bubble with a fresh network that is shut
// down before the bubble ends.
func bubble(t *testing.T, f func(t *testing.T, n *Network)) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		n := New()
		defer n.Shutdown()
		f(t, n)
	})
}

func TestRequestReplyRealTime(t *testing.T) {
	n := New()
	defer n.Shutdown()
	sysA := newSystem(t, n, "a")
	seen := spawnEcho(t, newSystem(t, n, "b"))

	got, err := request(t, sysA, "b", "hello", 5*time.Second)
	require.NoError(t, err)
	require.Equal(t, "hello", got)
	require.Equal(t, "hello", (<-seen).GetValue())
	require.Equal(t, Stats{Delivered: 2}, n.Stats())
}

func TestRequestReplyInBubble(t *testing.T) {
	bubble(t, func(t *testing.T, n *Network) {
		sysA := newSystem(t, n, "a")
		spawnEcho(t, newSystem(t, n, "b"))

		got, err := request(t, sysA, "b", "hello", time.Second)
		require.NoError(t, err)
		require.Equal(t, "hello", got)
	})
}

func TestMessageIsCloned(t *testing.T) {
	bubble(t, func(t *testing.T, n *Network) {
		sysA := newSystem(t, n, "a")
		seen := spawnEcho(t, newSystem(t, n, "b"))

		sent := wrapperspb.String("payload")
		sysA.Root.Send(actor.NewPID("b", "echo"), sent)
		got := <-seen
		require.NotSame(t, sent, got)
		require.True(t, proto.Equal(sent, got))
	})
}

func TestNonProtoMessageIsDropped(t *testing.T) {
	bubble(t, func(t *testing.T, n *Network) {
		sysA := newSystem(t, n, "a")
		seen := spawnEcho(t, newSystem(t, n, "b"))

		sysA.Root.Send(actor.NewPID("b", "echo"), "not a proto message")
		synctest.Wait()
		require.Empty(t, seen)
		require.Equal(t, Stats{Dropped: 1}, n.Stats())
	})
}

func TestMissingActorOnLiveNodeIsDeadLetter(t *testing.T) {
	bubble(t, func(t *testing.T, n *Network) {
		sysA := newSystem(t, n, "a")
		newSystem(t, n, "b")

		_, err := sysA.Root.RequestFuture(actor.NewPID("b", "missing"), wrapperspb.String("x"), time.Minute).Result()
		require.ErrorIs(t, err, actor.ErrDeadLetter)
	})
}

func TestKillDropsMessages(t *testing.T) {
	bubble(t, func(t *testing.T, n *Network) {
		sysA := newSystem(t, n, "a")
		sysB := newSystem(t, n, "b")
		seen := spawnEcho(t, sysB)

		n.Kill("b")
		require.True(t, sysB.IsStopped())
		_, err := request(t, sysA, "b", "x", time.Second)
		require.ErrorIs(t, err, actor.ErrTimeout)
		require.Empty(t, seen)
		require.Equal(t, uint64(1), n.Stats().Dropped)

		// A killed node's actors can no longer reach the network either.
		sysB.Root.Send(actor.NewPID("a", "anything"), wrapperspb.String("x"))
		require.Equal(t, uint64(2), n.Stats().Dropped)
	})
}

func TestRemoveThenRestart(t *testing.T) {
	bubble(t, func(t *testing.T, n *Network) {
		sysA := newSystem(t, n, "a")
		old := newSystem(t, n, "b")
		spawnEcho(t, old)

		n.Remove("b")
		require.False(t, old.IsStopped(), "Remove must not shut the system down")
		_, err := request(t, sysA, "b", "x", time.Second)
		require.ErrorIs(t, err, actor.ErrTimeout)

		seen := spawnEcho(t, newSystem(t, n, "b"))
		got, err := request(t, sysA, "b", "again", time.Second)
		require.NoError(t, err)
		require.Equal(t, "again", got)
		require.Len(t, seen, 1)
		old.Shutdown()
	})
}

func TestNewSystemErrors(t *testing.T) {
	n := New()
	_, err := n.NewSystem("")
	require.Error(t, err)
	_, err = n.NewSystem("nonhost")
	require.Error(t, err)
	newSystem(t, n, "a")
	_, err = n.NewSystem("a")
	require.Error(t, err)

	n.Shutdown()
	n.Shutdown() // idempotent
	_, err = n.NewSystem("b")
	require.ErrorIs(t, err, ErrShutdown)
}

func TestShutdownToleratesStoppedSystems(t *testing.T) {
	n := New()
	sys := newSystem(t, n, "a")
	sys.Shutdown()
	n.Shutdown()
}

func TestShutdownOutlivesDeadLetterGoroutine(t *testing.T) {
	bubble(t, func(t *testing.T, n *Network) {
		sys := newSystem(t, n, "a")
		// A local dead letter without sender starts protoactor's throttle
		// goroutine; the system is gone before the deferred Shutdown.
		sys.Root.Send(actor.NewPID("a", "nobody"), wrapperspb.String("x"))
		n.Kill("a")
	})
}
