package lockercluster_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker"
)

// The latency of requests through Cluster.Request on the in-memory
// network, in real time: a warm grain (the PidCache answers), a first
// activation, and, for scale, one linearizable read of the store.
//
//	go test -run '^$' -bench . -benchtime 2000x ./cluster/
func BenchmarkRepeatRequest(b *testing.B) {
	for _, l := range lookups {
		b.Run(l.name, func(b *testing.B) {
			h := startWith(b, 3, l.new(3))
			for _, a := range addrs(3) {
				_, err := h.request(a, "warm")
				require.NoError(b, err)
			}
			b.ResetTimer()
			for i := range b.N {
				if _, err := h.request(addrs(3)[i%3], "warm"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkFirstActivation(b *testing.B) {
	for _, l := range lookups {
		b.Run(l.name, func(b *testing.B) {
			h := startWith(b, 3, l.new(3))
			_, err := h.request("n2:1", "warm-up")
			require.NoError(b, err)
			b.ResetTimer()
			for i := range b.N {
				if _, err := h.request("n2:1", fmt.Sprintf("new%d", i)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// storeNode is the store node of member n2 of three, and a context of a
// minute for its calls.
func storeNode(b *testing.B) (*locker.Node, context.Context) {
	h := startWith(b, 3, lookups[1].new(3))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	b.Cleanup(cancel)
	return h.lookupAt("n2:1").Node(), ctx
}

func BenchmarkStoreRead(b *testing.B) {
	n, ctx := storeNode(b)
	_, err := n.Lock(ctx, "k", []byte("v"), time.Second)
	require.NoError(b, err)
	b.ResetTimer()
	for range b.N {
		if _, err := n.Read(ctx, "k"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSessionLock takes a new key on a session per iteration: the
// store's part of a first activation.
func BenchmarkSessionLock(b *testing.B) {
	n, ctx := storeNode(b)
	s, err := n.NewSession(ctx, time.Second)
	require.NoError(b, err)
	defer s.Orphan()
	b.ResetTimer()
	for i := range b.N {
		if _, err := s.Lock(ctx, fmt.Sprintf("k%d", i), []byte("v")); err != nil {
			b.Fatal(err)
		}
	}
}
