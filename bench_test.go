package locker_test

import (
	"context"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/protolocker/locker"
)

// benchCluster is three masters on the in-memory network, in real time.
func benchCluster(b *testing.B) *testCluster {
	b.Helper()
	return newCluster(b, names("m", 3), nil, locker.Config{})
}

func BenchmarkDirtyReadParallel(b *testing.B) {
	sys := actor.NewActorSystem(actor.WithLoggerFactory(discardLogger))
	n, err := locker.Start(sys, locker.Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { n.Stop(); sys.Shutdown() })
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = "key-" + strconv.Itoa(i)
		if _, err := n.Lock(context.Background(), keys[i], []byte("value"), time.Minute); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := n.DirtyRead(keys[i&1023]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

// The floor: one request fan-out to the three lease-holders, done when two
// answered; a Lock costs two such rounds, ExtendLease and Release one.
func BenchmarkFloorOneFanout(b *testing.B) {
	n := benchCluster(b).node("m1")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := n.Ping(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFloorTwoFanouts(b *testing.B) {
	n := benchCluster(b).node("m1")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := n.Ping(ctx); err != nil {
			b.Fatal(err)
		}
		if _, err := n.Ping(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLock runs sequential Locks of new keys on a 3-master in-memory
// cluster: with the default (no-op) meter provider, and with an SDK
// provider whose reader is collected, to price the instrumentation.
func BenchmarkLock(b *testing.B) {
	b.Run("noop", func(b *testing.B) { benchmarkLock(b, benchCluster(b).node("m1")) })
	b.Run("sdk", func(b *testing.B) {
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
		b.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
		c := newCluster(b, names("m", 3), nil, locker.Config{MeterProvider: mp})
		benchmarkLock(b, c.node("m1"))
	})
}

func benchmarkLock(b *testing.B, n *locker.Node) {
	ctx := context.Background()
	value := []byte("holder")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := n.Lock(ctx, "k"+strconv.Itoa(i), value, time.Minute); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkLockRelease(b *testing.B) {
	n := benchCluster(b).node("m1")
	ctx := context.Background()
	value := []byte("holder")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := n.Lock(ctx, "k", value, time.Minute); err != nil {
			b.Fatal(err)
		}
		if _, err := n.Release(ctx, "k", value); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkExtendLease(b *testing.B) {
	n := benchCluster(b).node("m1")
	ctx := context.Background()
	value := []byte("holder")
	if _, err := n.Lock(ctx, "k", value, time.Minute); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := n.ExtendLease(ctx, "k", value, time.Minute); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLockReleaseParallel is the harness's 64-client throughput
// row on the in-memory network: 64 goroutines of a client node (a
// replica) each Lock and Release keys of their own.
//
//	go test -run '^$' -bench BenchmarkLockReleaseParallel -benchtime 3s .
func BenchmarkLockReleaseParallel(b *testing.B) {
	c := newCluster(b, names("m", 3), names("r", 1), locker.Config{})
	n := c.node("r1")
	ctx := context.Background()
	value := []byte("holder")
	var clients atomic.Int64
	b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	delivered := c.net.Stats().Delivered
	b.RunParallel(func(pb *testing.PB) {
		key := "k" + strconv.FormatInt(clients.Add(1), 10)
		for pb.Next() {
			if _, err := n.Lock(ctx, key, value, time.Minute); err != nil {
				b.Error(err)
				return
			}
			if _, err := n.Release(ctx, key, value); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
	b.ReportMetric(float64(c.net.Stats().Delivered-delivered)/float64(b.N), "msgs/pair")
}
