package lease

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
)

// BenchmarkStoreGetParallel reads existing keys from every P at once: the
// lock-free hit path.
func BenchmarkStoreGetParallel(b *testing.B) {
	const keys = 1024
	tb := newTable()
	names := make([]string, keys)
	for i := range names {
		names[i] = fmt.Sprintf("lease-%07d", i)
		if st, _ := tb.Promise(0, names[i], true, nil, 1); st != OK {
			b.Fatal(st)
		}
		if st, _ := tb.Commit(0, names[i], 1, OpLock, []byte("0123456789abcdef"), uint64(i+1), 1<<60); st != OK {
			b.Fatal(st)
		}
	}
	s := tb.Store()
	var misses atomic.Int64
	var seed atomic.Uint32
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(seed.Add(7919))
		for pb.Next() {
			if _, ok := s.Get(names[i%keys]); !ok {
				misses.Add(1)
			}
			i++
		}
	})
	if misses.Load() != 0 {
		b.Fatalf("%d misses on held keys", misses.Load())
	}
}

// BenchmarkLockRelease is one key's full cycle on the writer: Promise,
// Commit (lock) and Release.
func BenchmarkLockRelease(b *testing.B) {
	tb := newTable()
	value := []byte("0123456789abcdef")
	now := int64(0)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		now += 10
		tag := uint64(i + 1)
		if st, _ := tb.Promise(now, "k", true, nil, tag); st != OK {
			b.Fatal("promise", st)
		}
		if st, _ := tb.Commit(now, "k", tag, OpLock, value, tag, 1000); st != OK {
			b.Fatal("commit", st)
		}
		if st, _ := tb.Release(now, "k", value, 0); st != OK {
			b.Fatal("release", st)
		}
		if i%1024 == 0 {
			tb.Expire(now) // drop the stale deadlines, as the owner would
		}
	}
}

// BenchmarkMemoryPerLease fills a fresh table with 1,000,000 leases (key
// "lease-%07d", 16-byte value) through Promise+Commit in every iteration,
// and reports the live heap the table holds per lease, keys and values
// included. Time advances 1ns per lease and Expire runs every 1024 leases,
// as the owner would, so consumed promises' deadlines do not pile up.
func BenchmarkMemoryPerLease(b *testing.B) {
	const leases = 1_000_000
	var perLease float64
	b.ReportAllocs()
	for n := 0; n < b.N; n++ {
		b.StopTimer()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		b.StartTimer()

		tb := newTable()
		for i := range leases {
			now := int64(i)
			key := fmt.Sprintf("lease-%07d", i)
			value := make([]byte, 16) // each lease owns its value
			value[0] = byte(i)
			if st, _ := tb.Promise(now, key, true, nil, 1); st != OK {
				b.Fatal("promise", st)
			}
			if st, _ := tb.Commit(now, key, 1, OpLock, value, uint64(i+1), 1<<60); st != OK {
				b.Fatal("commit", st)
			}
			if i%1024 == 0 {
				tb.Expire(now)
			}
		}
		tb.Expire(leases + ttl)

		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		if tb.Len() != leases {
			b.Fatalf("Len() = %d", tb.Len())
		}
		perLease = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / leases
		runtime.KeepAlive(tb)
		b.StartTimer()
	}
	b.ReportMetric(perLease, "B/lease")
}
