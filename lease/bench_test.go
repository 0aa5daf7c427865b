package lease

import (
	"fmt"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/protolocker/locker/messages"
)

// BenchmarkStoreGetParallel reads held keys from every P at once: the
// lock-free DirtyRead hit path, which must not allocate.
func BenchmarkStoreGetParallel(b *testing.B) {
	const keys = 1024
	a := newAcceptor(b, func(c *Config) { c.MaxLease = 0 })
	names := make([]string, keys)
	for i := range names {
		names[i] = fmt.Sprintf("lease-%07d", i)
		mustAccept(b, a, 0, names[i], 1, held("0123456789abcdef", uint64(i+1), 1, 1<<60))
	}
	s := a.Store()
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

// BenchmarkAccept is the two-phase write of a fresh key on the acceptor:
// Prepare then Accept of a held state. The request messages are reused,
// so the allocations counted are the acceptor's (and its replies).
func BenchmarkAccept(b *testing.B) {
	a := newAcceptor(b, func(c *Config) { c.MaxLease = 0 })
	keys := make([]string, b.N)
	for i := range keys {
		keys[i] = "lease-" + strconv.Itoa(i)
	}
	prep := prepareMsg(a, "", 0)
	acc := acceptMsg(a, "", 0, held("0123456789abcdef", 0, 0, 1<<50), true)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		ballot := uint64(i + 1)
		prep.Key, prep.Ballot = keys[i], ballot
		if v, _ := a.Handle(int64(i), "m2", prep); v.(*messages.Vote).GetStatus() != statusOK {
			b.Fatal("prepare", v)
		}
		acc.Key, acc.Ballot, acc.State.Token, acc.State.Origin = keys[i], ballot, ballot, ballot
		if v, _ := a.Handle(int64(i), "m2", acc); v.(*messages.Vote).GetStatus() != statusOK {
			b.Fatal("accept", v)
		}
	}
}

// BenchmarkMemoryPerKey fills a fresh acceptor with 1,000,000 held keys
// (key "lease-%07d", a 16-byte value each) through Accept, and reports the
// live heap it holds per key, keys and values included, as B/key. Time
// advances 1ns per key and Expire runs every 1024 keys, as the owner
// would; a last Expire past TombstoneTTL retires the deadlines queued
// when the keys were created, so what is measured is the steady state of
// held keys. Run it with -benchtime 1x: every iteration refills.
func BenchmarkMemoryPerKey(b *testing.B) { benchmarkMemory(b, false) }

// BenchmarkMemoryPerAttachedKey is BenchmarkMemoryPerKey with every key
// attached to one session: what a master keeps per registry name.
func BenchmarkMemoryPerAttachedKey(b *testing.B) { benchmarkMemory(b, true) }

func benchmarkMemory(b *testing.B, attached bool) {
	const n = 1_000_000
	var perKey float64
	for range b.N {
		b.StopTimer()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		b.StartTimer()

		a := newAcceptor(b, func(c *Config) { c.MaxLease = 0 })
		msg := acceptMsg(a, "", 0, nil, true)
		const session = 1
		if attached {
			mustAccept(b, a, 0, SessionKey(session), n+1, held("owner", n+1, n+1, 1<<50))
		}
		for i := range n {
			value := make([]byte, 16) // each key owns its value
			value[0] = byte(i)
			ballot := uint64(i + 1)
			msg.Key, msg.Ballot = fmt.Sprintf("lease-%07d", i), ballot
			msg.State = &messages.State{Held: true, Value: value, Token: ballot, Origin: ballot, LeaseNs: 1 << 50}
			if attached {
				msg.State.LeaseNs, msg.State.Session = 0, session
			}
			if v, _ := a.Handle(int64(i), "m2", msg); v.(*messages.Vote).GetStatus() != statusOK {
				b.Fatal("accept", v)
			}
			if i%1024 == 0 {
				a.Expire(int64(i))
			}
		}
		a.Expire(n + ttl)

		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		if want := n + btoi(attached); a.Len() != want {
			b.Fatalf("Len() = %d, want %d", a.Len(), want)
		}
		if _, ok := a.Store().Get("lease-0999999"); !ok {
			b.Fatal("last key not published")
		}
		perKey = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / n
		runtime.KeepAlive(a)
		b.StartTimer()
	}
	b.ReportMetric(perKey, "B/key")
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
