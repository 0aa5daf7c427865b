package quorum

import (
	"math/rand/v2"
	"testing"
	"testing/quick"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// naiveDecide enumerates every completion of the n-yes-no outstanding
// votes (each yes or no): Won if every completion reaches w yes votes,
// Lost if none does, Pending otherwise.
func naiveDecide(w, n, yes, no int) Outcome {
	left := n - yes - no
	reached, total := 0, 0
	for mask := 0; mask < 1<<left; mask++ {
		more := 0
		for i := range left {
			if mask&(1<<i) != 0 {
				more++
			}
		}
		total++
		if yes+more >= w {
			reached++
		}
	}
	switch reached {
	case total:
		return Won
	case 0:
		return Lost
	}
	return Pending
}

func TestDecideMatchesNaiveExhaustive(t *testing.T) {
	checked := 0
	for n := 1; n <= 9; n++ {
		for w := 1; w <= n; w++ {
			for yes := 0; yes <= n; yes++ {
				for no := 0; yes+no <= n; no++ {
					require.Equal(t, naiveDecide(w, n, yes, no), Decide(w, n, yes, no), "w=%d n=%d yes=%d no=%d", w, n, yes, no)
					checked++
				}
			}
		}
	}
	assert.Equal(t, 1485, checked) // sum over n of n*(n+1)*(n+2)/2
}

func TestDecideExamples(t *testing.T) {
	assert.Equal(t, Pending, Decide(2, 3, 0, 0))
	assert.Equal(t, Pending, Decide(2, 3, 1, 1))
	assert.Equal(t, Won, Decide(2, 3, 2, 0))
	assert.Equal(t, Won, Decide(2, 3, 2, 1))
	assert.Equal(t, Lost, Decide(2, 3, 0, 2))
	assert.Equal(t, Lost, Decide(3, 3, 2, 1))
	assert.Equal(t, Won, Decide(1, 1, 1, 0))
	assert.Equal(t, Lost, Decide(1, 1, 0, 1))
}

func TestDecideQuick(t *testing.T) {
	// testing/quick draws the raw numbers; they are folded into range here.
	f := func(a, b, c, d uint8) bool {
		n := int(a)%9 + 1
		w := int(b)%n + 1
		yes := int(c) % (n + 1)
		no := int(d) % (n - yes + 1)
		return Decide(w, n, yes, no) == naiveDecide(w, n, yes, no)
	}
	require.NoError(t, quick.Check(f, &quick.Config{MaxCount: 5000}))
}

func TestDecideSeededProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		n := r.IntN(40) + 1
		w := r.IntN(n) + 1
		yes := r.IntN(n + 1)
		no := r.IntN(n - yes + 1)
		got := Decide(w, n, yes, no)
		// Exact characterisation by counting instead of enumerating.
		want := Pending
		switch {
		case yes >= w:
			want = Won
		case yes+(n-yes-no) < w:
			want = Lost
		}
		require.Equal(t, want, got, "w=%d n=%d yes=%d no=%d", w, n, yes, no)
		// Final outcomes are stable under one more reply.
		if yes+no < n {
			if got == Won {
				require.Equal(t, Won, Decide(w, n, yes, no+1))
				require.Equal(t, Won, Decide(w, n, yes+1, no))
			}
			if got == Lost {
				require.Equal(t, Lost, Decide(w, n, yes, no+1))
				require.Equal(t, Lost, Decide(w, n, yes+1, no))
			}
		} else {
			require.NotEqual(t, Pending, got, "all votes are in")
		}
	}
}

// TestMeet checks that a set of Meet(n, w) voters shares a member with
// every quorum of w, and that one fewer does not.
func TestMeet(t *testing.T) {
	for n := 1; n <= 7; n++ {
		for w := Majority(n); w <= n; w++ {
			m := Meet(n, w)
			assert.Greater(t, m+w, n, "n=%d w=%d: a set of %d meets every quorum", n, w, m)
			assert.LessOrEqual(t, m-1+w, n, "n=%d w=%d: one fewer can miss a quorum", n, w)
		}
	}
}
