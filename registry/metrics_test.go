package registry_test

import (
	"context"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/protolocker/locker"
	"github.com/protolocker/locker/cluster/clustertest"
	"github.com/protolocker/locker/registry"
)

func TestRegistryMetrics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reader := sdkmetric.NewManualReader()
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
		defer func() { _ = mp.Shutdown(context.Background()) }()
		net := clustertest.New()
		defer net.Shutdown()
		sys, err := net.NewSystem("m1")
		require.NoError(t, err)
		node, err := locker.Start(sys, locker.Config{MeterProvider: mp})
		require.NoError(t, err)
		defer node.Stop()
		r := registry.New(node, registry.WithLease(300*time.Millisecond))
		defer r.Close()
		props := actor.PropsFromFunc(func(actor.Context) {}, r.PropsOption())
		for _, name := range []string{"a", "b", "c"} {
			_, err := sys.Root.SpawnNamed(props, name)
			require.NoError(t, err)
		}
		var rm metricdata.ResourceMetrics
		require.NoError(t, reader.Collect(context.Background(), &rm))
		got := map[string]int64{}
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				switch d := m.Data.(type) {
				case metricdata.Gauge[int64]:
					for _, p := range d.DataPoints {
						if v, ok := p.Attributes.Value("node"); ok && v.AsString() == "m1" {
							got[m.Name] = p.Value
						}
					}
				}
			}
		}
		assert.Equal(t, int64(3), got["locker.registry.names"])
	})
}

func TestRegistryMetricsCountNamesLost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reader := sdkmetric.NewManualReader()
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
		defer func() { _ = mp.Shutdown(context.Background()) }()
		w := newWorldWith(t, 3, locker.Config{RequestTimeout: time.Second, MeterProvider: mp}, registry.WithLease(lease))
		reg, sys := w.reg["n1"], w.sys["n1"]
		for i := range 5 {
			_, err := sys.Root.SpawnNamed(actor.PropsFromFunc(func(actor.Context) {}, reg.PropsOption()), fmt.Sprintf("x%d", i))
			require.NoError(t, err)
		}
		w.net.Isolate("n1")
		time.Sleep(lease)
		synctest.Wait()
		var rm metricdata.ResourceMetrics
		require.NoError(t, reader.Collect(context.Background(), &rm))
		var lost int64
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				if s, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == "locker.registry.leases_lost" {
					for _, p := range s.DataPoints {
						if v, _ := p.Attributes.Value("node"); v.AsString() == "n1" {
							lost += p.Value
						}
					}
				}
			}
		}
		assert.Equal(t, int64(5), lost)
	})
}
