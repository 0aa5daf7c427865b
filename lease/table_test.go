package lease

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// The table agrees with a map under random puts and deletes, through
// rehashes and tombstones.
func TestTableMatchesAMap(t *testing.T) {
	tb, model := newTable(), map[string]*record{}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 200_000 {
		k := fmt.Sprintf("k%d", rng.IntN(5000))
		switch r := tb.get(k); {
		case r == nil && rng.IntN(3) > 0:
			r = &record{key: k}
			tb.put(r)
			model[k] = r
		case r != nil && rng.IntN(2) == 0:
			tb.del(k)
			delete(model, k)
		}
		if i%10_000 == 0 {
			require.Equal(t, len(model), tb.len())
			n := 0
			tb.each(func(r *record) bool {
				require.Same(t, model[r.key], r)
				n++
				return true
			})
			require.Equal(t, len(model), n)
		}
	}
	for k, r := range model {
		require.Same(t, r, tb.get(k))
	}
	require.Nil(t, tb.get("absent"))
}

// Deleting from each, as an install's final page does, visits every
// record once.
func TestTableDeleteWhileIterating(t *testing.T) {
	tb := newTable()
	for i := range 1000 {
		tb.put(&record{key: fmt.Sprint(i)})
	}
	seen := 0
	tb.each(func(r *record) bool {
		seen++
		tb.del(r.key)
		return true
	})
	require.Equal(t, 1000, seen)
	require.Zero(t, tb.len())
	tb.each(func(*record) bool { t.Fatal("a record is left"); return false })
}

// Readers probing while the writer adds, publishes, unpublishes and
// deletes keys (go test -race) see every key that stays, and never a
// key the writer deleted before they looked.
func TestTableConcurrentReaders(t *testing.T) {
	s := NewStore()
	const stable = 512
	for i := range stable {
		s.setKey(fmt.Sprintf("stable-%d", i), &Entry{Token: uint64(i + 1)})
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	var misses atomic.Int64
	for g := range 4 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 9))
			for !stop.Load() {
				i := rng.IntN(stable)
				if e, ok := s.Get(fmt.Sprintf("stable-%d", i)); !ok || e.Token != uint64(i+1) {
					misses.Add(1)
				}
				s.Get(fmt.Sprintf("churn-%d", rng.IntN(4096)))
			}
		})
	}
	for i := range 50_000 {
		k := fmt.Sprintf("churn-%d", i%4096)
		if r := s.t.get(k); r != nil {
			s.del(r)
			s.t.del(k)
			continue
		}
		s.setKey(k, &Entry{Token: 1})
	}
	stop.Store(true)
	wg.Wait()
	require.Zero(t, misses.Load(), "a reader missed a key that stayed")
}
