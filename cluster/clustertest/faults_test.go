package clustertest

import (
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func TestCutAndHeal(t *testing.T) {
	bubble(t, func(t *testing.T, n *Network) {
		sysA := newSystem(t, n, "a")
		seen := spawnEcho(t, newSystem(t, n, "b"))

		n.Cut("a", "b")
		start := time.Now()
		_, err := request(t, sysA, "b", "x", time.Second)
		require.ErrorIs(t, err, actor.ErrTimeout)
		require.Equal(t, time.Second, time.Since(start))
		require.Empty(t, seen)

		n.Heal()
		got, err := request(t, sysA, "b", "y", time.Second)
		require.NoError(t, err)
		require.Equal(t, "y", got)
	})
}

func TestCutOneWayLosesOnlyReplies(t *testing.T) {
	bubble(t, func(t *testing.T, n *Network) {
		sysA := newSystem(t, n, "a")
		seen := spawnEcho(t, newSystem(t, n, "b"))

		n.CutOneWay("b", "a")
		_, err := request(t, sysA, "b", "x", time.Second)
		require.ErrorIs(t, err, actor.ErrTimeout)
		require.Equal(t, "x", (<-seen).GetValue(), "the request itself got through")
		require.Equal(t, Stats{Delivered: 1, Dropped: 1}, n.Stats())
	})
}

func TestIsolateIncludesLaterSystems(t *testing.T) {
	bubble(t, func(t *testing.T, n *Network) {
		sysA := newSystem(t, n, "a")
		spawnEcho(t, newSystem(t, n, "b"))
		spawnEcho(t, newSystem(t, n, "c"))

		n.Isolate("b")
		sysD := newSystem(t, n, "d")
		for _, from := range []*actor.ActorSystem{sysA, sysD} {
			_, err := request(t, from, "b", "x", time.Second)
			require.ErrorIs(t, err, actor.ErrTimeout)
			_, err = request(t, from, "c", "x", time.Second)
			require.NoError(t, err)
		}

		n.Heal()
		_, err := request(t, sysD, "b", "x", time.Second)
		require.NoError(t, err)
	})
}

func TestDropAll(t *testing.T) {
	bubble(t, func(t *testing.T, n *Network) {
		sysA := newSystem(t, n, "a")
		seen := spawnEcho(t, newSystem(t, n, "b"))

		n.Drop("a", "b", 1)
		_, err := request(t, sysA, "b", "x", time.Second)
		require.ErrorIs(t, err, actor.ErrTimeout)
		require.Empty(t, seen)
		require.Equal(t, Stats{Dropped: 1}, n.Stats())
	})
}

func TestDropIsSeeded(t *testing.T) {
	received := func(seed int64) int {
		var got int
		bubble(t, func(t *testing.T, n *Network) {
			n.Seed(seed)
			sysA := newSystem(t, n, "a")
			seen := spawnEcho(t, newSystem(t, n, "b"))
			n.Drop("a", "b", 0.5)
			for i := range 200 {
				sysA.Root.Send(actor.NewPID("b", "echo"), wrapperspb.String(fmt.Sprint(i)))
			}
			synctest.Wait()
			got = len(seen)
			require.Equal(t, Stats{Delivered: uint64(got), Dropped: uint64(200 - got)}, n.Stats())
		})

		return got
	}
	first := received(7)
	require.Greater(t, first, 50)
	require.Less(t, first, 150)
	require.Equal(t, first, received(7))
}

func TestDelay(t *testing.T) {
	bubble(t, func(t *testing.T, n *Network) {
		sysA := newSystem(t, n, "a")
		seen := spawnEcho(t, newSystem(t, n, "b"))

		n.Delay("a", "b", 5*time.Second)
		start := time.Now()
		got, err := request(t, sysA, "b", "slow", 10*time.Second)
		require.NoError(t, err)
		require.Equal(t, "slow", got)
		require.Equal(t, 5*time.Second, time.Since(start))
		<-seen

		// Shorter than the delay: the request times out, then arrives anyway
		// and its reply goes to a future that no longer exists.
		_, err = request(t, sysA, "b", "late", time.Second)
		require.ErrorIs(t, err, actor.ErrTimeout)
		require.Equal(t, "late", (<-seen).GetValue())
		require.Equal(t, 10*time.Second, time.Since(start))
	})
}

func TestDelayedMessageDoesNotReachRestartedNode(t *testing.T) {
	bubble(t, func(t *testing.T, n *Network) {
		sysA := newSystem(t, n, "a")
		spawnEcho(t, newSystem(t, n, "b"))

		n.Delay("a", "b", 5*time.Second)
		sysA.Root.Send(actor.NewPID("b", "echo"), wrapperspb.String("old"))
		n.Kill("b")
		seen := spawnEcho(t, newSystem(t, n, "b"))
		time.Sleep(10 * time.Second)
		require.Empty(t, seen)
		require.Equal(t, Stats{Dropped: 1}, n.Stats())
	})
}

func TestShutdownCancelsDelayedDeliveries(t *testing.T) {
	n := New()
	sysA := newSystem(t, n, "a")
	seen := spawnEcho(t, newSystem(t, n, "b"))

	n.Delay("a", "b", time.Hour)
	sysA.Root.Send(actor.NewPID("b", "echo"), wrapperspb.String("never"))
	n.Shutdown()
	require.Empty(t, seen)
	require.Equal(t, Stats{Dropped: 1}, n.Stats())
}

func TestDuplicate(t *testing.T) {
	bubble(t, func(t *testing.T, n *Network) {
		sysA := newSystem(t, n, "a")
		seen := spawnEcho(t, newSystem(t, n, "b"))

		n.Duplicate("a", "b", 1)
		sysA.Root.Send(actor.NewPID("b", "echo"), wrapperspb.String("twice"))
		synctest.Wait()
		require.Len(t, seen, 2)
		first, second := <-seen, <-seen
		require.NotSame(t, first, second)
		require.Equal(t, "twice", second.GetValue())
		require.Equal(t, Stats{Delivered: 2, Duplicated: 1}, n.Stats())
	})
}

// TestChaos runs many concurrent requests over lossy, duplicating, delaying
// links, mainly for the race detector.
func TestChaos(t *testing.T) {
	bubble(t, func(t *testing.T, n *Network) {
		addrs := []string{"a", "b", "c"}
		systems := make(map[string]*actor.ActorSystem)
		for _, addr := range addrs {
			systems[addr] = newSystem(t, n, addr)
			spawnEcho(t, systems[addr])
		}
		for _, from := range addrs {
			for _, to := range addrs {
				n.Drop(from, to, 0.1)
				n.Duplicate(from, to, 0.3)
				n.Delay(from, to, 10*time.Millisecond)
			}
		}
		// echo's channel must not fill up: drain them all.
		var wg sync.WaitGroup
		for _, from := range addrs {
			for _, to := range addrs {
				if from == to {
					continue
				}
				wg.Go(func() {
					for i := range 20 {
						got, err := request(t, systems[from], to, fmt.Sprint(i), time.Second)
						if err == nil {
							require.Equal(t, fmt.Sprint(i), got)
						}
					}
				})
			}
		}
		wg.Wait()
		require.NotZero(t, n.Stats().Delivered)
		require.NotZero(t, n.Stats().Dropped)
		require.NotZero(t, n.Stats().Duplicated)
	})
}
