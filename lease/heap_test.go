package lease

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkHeap verifies the min-heap property of every parent/child pair.
func checkHeap(t *testing.T, h *deadlines) {
	t.Helper()
	for i := 1; i < len(h.items); i++ {
		p := (i - 1) / 2
		require.LessOrEqual(t, h.items[p].at, h.items[i].at, "parent %d > child %d", p, i)
	}
}

func keyFor(at int64) string { return fmt.Sprintf("k%d", at) }

func TestHeapPushPopSorted(t *testing.T) {
	r := rand.New(rand.NewPCG(42, 7))
	for trial := range 50 {
		var h deadlines
		n := r.IntN(300) + 1
		want := make([]int64, n)
		for i := range want {
			want[i] = r.Int64N(100) - 20 // duplicates and negatives included
			h.push(deadline{at: want[i], key: keyFor(want[i])})
		}
		checkHeap(t, &h)
		slices.Sort(want)
		got := make([]int64, 0, n)
		for h.len() > 0 {
			require.Equal(t, h.items[0], h.peek())
			d := h.pop()
			require.Equal(t, keyFor(d.at), d.key, "key travels with its deadline")
			got = append(got, d.at)
		}
		require.Equal(t, want, got, "trial %d", trial)
	}
}

func TestHeapInterleavedAgainstModel(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 9))
	var h deadlines
	var model []int64 // kept sorted
	for step := range 20000 {
		if len(model) == 0 || r.IntN(3) != 0 {
			at := r.Int64N(1000)
			h.push(deadline{at: at, key: keyFor(at)})
			i, _ := slices.BinarySearch(model, at)
			model = slices.Insert(model, i, at)
		} else {
			require.Equal(t, model[0], h.peek().at, "step %d", step)
			d := h.pop()
			require.Equal(t, model[0], d.at, "step %d", step)
			require.Equal(t, keyFor(d.at), d.key)
			model = model[1:]
		}
		require.Equal(t, len(model), h.len())
		if step%1000 == 0 {
			checkHeap(t, &h)
		}
	}
}

func TestHeapSingle(t *testing.T) {
	var h deadlines
	h.push(deadline{at: 5, key: "a"})
	assert.Equal(t, deadline{at: 5, key: "a"}, h.pop())
	assert.Equal(t, 0, h.len())
}

func TestHeapShrinkKeepsContent(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 13))
	var h deadlines
	const n = 5000
	want := make([]int64, n)
	for i := range want {
		want[i] = r.Int64N(1 << 40)
		h.push(deadline{at: want[i], key: keyFor(want[i])})
	}
	slices.Sort(want)
	bigCap := cap(h.items)
	require.Greater(t, bigCap, 1024)

	shrunk := false
	for i := 0; h.len() > 0; i++ {
		before := cap(h.items)
		d := h.pop()
		require.Equal(t, want[i], d.at, "pop %d", i)
		require.Equal(t, keyFor(d.at), d.key, "pop %d", i)
		if cap(h.items) < before {
			shrunk = true
			// The shrink happens only below a quarter of a capacity over 1024.
			assert.Greater(t, before, 1024)
			assert.Less(t, h.len(), before/4)
			assert.GreaterOrEqual(t, cap(h.items), h.len())
			checkHeap(t, &h)
			// The remaining content is exactly the unpopped deadlines.
			rest := make([]int64, h.len())
			for j, it := range h.items {
				rest[j] = it.at
			}
			slices.Sort(rest)
			require.Equal(t, want[i+1:], rest, "content after shrink at pop %d", i)
		}
	}
	assert.True(t, shrunk, "the shrink path was never taken")
	assert.LessOrEqual(t, cap(h.items), 1024, "capacity returned after draining")
}

func TestHeapPopClearsVacatedSlot(t *testing.T) {
	var h deadlines
	for i := range 10 {
		h.push(deadline{at: int64(i), key: keyFor(int64(i))})
	}
	h.pop()
	// The slot beyond len must not keep a key string alive.
	assert.Equal(t, deadline{}, h.items[:h.len()+1][h.len()])
}
