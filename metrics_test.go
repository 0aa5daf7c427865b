package locker_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/protolocker/locker"
)

// collect returns the metric named name from the reader.
func collect(t *testing.T, r *sdkmetric.ManualReader, name string) (metricdata.Metrics, bool) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, r.Collect(context.Background(), &rm))
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m, true
			}
		}
	}
	return metricdata.Metrics{}, false
}

// sumOf returns the value of a counter's point with the given attributes.
func sumOf(m metricdata.Metrics, attrs ...attribute.KeyValue) (int64, bool) {
	want := attribute.NewSet(attrs...)
	sum, ok := m.Data.(metricdata.Sum[int64])
	if !ok {
		return 0, false
	}
	for _, p := range sum.DataPoints {
		if matches(p.Attributes, want) {
			return p.Value, true
		}
	}
	return 0, false
}

// matches reports whether every attribute of want is in set.
func matches(set, want attribute.Set) bool {
	for _, kv := range want.ToSlice() {
		if v, ok := set.Value(kv.Key); !ok || v != kv.Value {
			return false
		}
	}
	return true
}

func TestMetricsCountRoundsByOutcome(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reader := sdkmetric.NewManualReader()
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
		c := newCluster(t, names("m", 3), nil, locker.Config{MeterProvider: mp})
		n := c.node("m1")
		_, err := n.Lock(t.Context(), "k", []byte("a"), time.Second)
		require.NoError(t, err)
		_, err = n.Lock(t.Context(), "k", []byte("b"), time.Second)
		require.ErrorIs(t, err, locker.ErrLocked)

		node := attribute.String("node", "m1")
		rounds, ok := collect(t, reader, "locker.rounds")
		require.True(t, ok, "locker.rounds is exported")
		v, ok := sumOf(rounds, node, attribute.String("op", "lock"), attribute.String("outcome", "ok"))
		assert.True(t, ok)
		assert.Equal(t, int64(1), v)
		v, ok = sumOf(rounds, node, attribute.String("op", "lock"), attribute.String("outcome", "locked"))
		assert.True(t, ok)
		assert.Equal(t, int64(1), v)

		dur, ok := collect(t, reader, "locker.round.duration")
		require.True(t, ok)
		h := dur.Data.(metricdata.Histogram[float64])
		var count uint64
		for _, p := range h.DataPoints {
			if matches(p.Attributes, attribute.NewSet(node, attribute.String("op", "lock"))) {
				count += p.Count
			}
		}
		assert.Equal(t, uint64(2), count, "both Locks are timed")

		synctest.Wait() // every node learned k
		keys, ok := collect(t, reader, "locker.keys")
		require.True(t, ok)
		g := keys.Data.(metricdata.Gauge[int64])
		require.Len(t, g.DataPoints, 3, "one point per node")
		for _, p := range g.DataPoints {
			v, _ := p.Attributes.Value("node")
			assert.Equal(t, int64(1), p.Value, "keys on %s", v.AsString())
		}
		require.NoError(t, mp.Shutdown(context.Background()))
	})
}

func TestMetricsCountSilentMastersAndRefusedVotes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reader := sdkmetric.NewManualReader()
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
		c := newCluster(t, names("m", 3), nil, locker.Config{MeterProvider: mp, W: 3, RoundTimeout: 20 * time.Millisecond})
		_, err := c.node("m2").Lock(t.Context(), "k", []byte("a"), time.Minute)
		require.NoError(t, err)
		c.net.Isolate("m3")
		_, err = c.node("m1").Lock(t.Context(), "k", []byte("b"), time.Second)
		require.ErrorIs(t, err, locker.ErrNoQuorum, "W = 3 with a master cut off")
		st := c.node("m1").Stats()
		assert.Equal(t, uint64(1), st.Calls)
		assert.Equal(t, uint64(1), st.Failed)
		assert.Positive(t, st.SilentMasters)
		silent, ok := collect(t, reader, "locker.masters.silent")
		require.True(t, ok)
		v, _ := sumOf(silent, attribute.String("node", "m1"))
		assert.Equal(t, int64(st.SilentMasters), v)

		refused, ok := collect(t, reader, "locker.votes.refused")
		require.True(t, ok)
		_, ok = sumOf(refused, attribute.String("node", "m2"), attribute.String("reason", "rejected"))
		assert.True(t, ok, "every reason is reported, zero or not")
		require.NoError(t, mp.Shutdown(context.Background()))
	})
}

func TestSummary(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, names("m", 3), names("r", 1), locker.Config{})
		n := c.node("m2")
		_, err := n.Lock(t.Context(), "k", []byte("a"), time.Minute)
		require.NoError(t, err)
		_, err = n.Lag(t.Context())
		require.NoError(t, err)
		synctest.Wait()
		s := n.Summary()
		assert.Equal(t, "m2", s.Address)
		assert.Equal(t, names("m", 3), s.View.Masters)
		assert.Equal(t, 2, s.View.W)
		assert.True(t, s.Master)
		assert.True(t, s.Voting)
		assert.Equal(t, 1, s.Held, "the probe is released")
		assert.GreaterOrEqual(t, s.Keys, 2, "k and the probe's free state")
		r := c.node("r1").Summary()
		assert.False(t, r.Master)
		assert.Equal(t, 1, r.Held)
	})
}

// Lag times a real probe: a write and a release through the masters.
func TestLagOnThreeNodes(t *testing.T) {
	c := newCluster(t, names("m", 3), nil, locker.Config{})
	for _, a := range names("m", 3) {
		lag, err := c.node(a).Lag(ctxFor(t, 5*time.Second))
		require.NoError(t, err)
		assert.Positive(t, lag)
		assert.Less(t, lag, time.Second)
	}
	_, err := c.node("m1").DirtyRead("k")
	assert.ErrorIs(t, err, locker.ErrNotFound)
}

func TestGetFindsTheNodeOfASystem(t *testing.T) {
	sys := actor.NewActorSystem(actor.WithLoggerFactory(discardLogger))
	defer sys.Shutdown()
	assert.Nil(t, locker.Get(sys))
	n, err := locker.Start(sys, locker.Config{})
	require.NoError(t, err)
	assert.Same(t, n, locker.Get(sys))
	found := make(chan *locker.Node, 1)
	pid := sys.Root.Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
		if _, ok := ctx.Message().(string); ok {
			found <- locker.Get(ctx.ActorSystem())
		}
	}))
	sys.Root.Send(pid, "who")
	assert.Same(t, n, <-found, "an actor finds it from its context")
	n.Stop()
	assert.Nil(t, locker.Get(sys), "gone after Stop")
}
