//go:build !race

package remotetest

import (
	"context"
	"strconv"
	"testing"
	"time"

	locker "github.com/protolocker/locker"
)

// benchCluster starts three masters on loopback and returns the node of
// the first, the coordinator, after one Ping from each node has set up
// every connection.
func benchCluster(b *testing.B) *locker.Node {
	b.Helper()
	ms := startCluster(b, 3, locker.Config{})
	for _, m := range ms {
		if _, err := m.node.Ping(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	return ms[0].node
}

// BenchmarkRemoteLockRelease locks and releases a new key per iteration:
// two fan-outs for Lock (promise, commit), one for Release.
func BenchmarkRemoteLockRelease(b *testing.B) {
	n := benchCluster(b)
	ctx := context.Background()
	value := []byte("bench")
	b.ResetTimer()
	for i := range b.N {
		key := "k" + strconv.Itoa(i)
		if _, err := n.Lock(ctx, key, value, time.Minute); err != nil {
			b.Fatal(err)
		}
		if _, err := n.Release(ctx, key, value); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRemoteExtend extends one held key per iteration: one fan-out.
func BenchmarkRemoteExtend(b *testing.B) {
	n := benchCluster(b)
	ctx := context.Background()
	value := []byte("bench")
	if _, err := n.Lock(ctx, "held", value, time.Minute); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := n.ExtendLease(ctx, "held", value, time.Minute); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRemoteFloorOneFanout is one quorum fan-out with no work at the
// masters: the floor of a one-round write such as ExtendLease.
func BenchmarkRemoteFloorOneFanout(b *testing.B) {
	n := benchCluster(b)
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		if _, err := n.Ping(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRemoteFloorTwoFanouts is two fan-outs back to back: the floor
// of a two-phase write such as Lock.
func BenchmarkRemoteFloorTwoFanouts(b *testing.B) {
	n := benchCluster(b)
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		if _, err := n.Ping(ctx); err != nil {
			b.Fatal(err)
		}
		if _, err := n.Ping(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
