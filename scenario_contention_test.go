package locker_test

import (
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker"
)

// Eight lockers of one free key, from three coordinators: split promises
// are retried, so one of them wins, and never two.
func TestContentionHasOneWinner(t *testing.T) {
	const rounds, lockers = 50, 8
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, names("m", 3), nil, locker.Config{})
		won := 0
		for r := range rounds {
			key := fmt.Sprintf("k%d", r)
			var wg sync.WaitGroup
			errs := make([]error, lockers)
			for i := range lockers {
				n := c.node(names("m", 3)[i%3])
				wg.Go(func() {
					_, errs[i] = n.Lock(ctxFor(t, time.Second), key, []byte{byte(i)}, time.Minute)
				})
			}
			wg.Wait()
			winners := 0
			for _, err := range errs {
				if err == nil {
					winners++
				} else {
					require.ErrorIs(t, err, locker.ErrNoQuorum)
				}
			}
			require.LessOrEqual(t, winners, 1, "round %d: two holders", r)
			won += winners
		}
		assert.GreaterOrEqual(t, won, rounds*99/100, "rounds with a winner")
		t.Logf("%d of %d rounds had a winner", won, rounds)
	})
}

// Guarantee 3 (membership) under contention: while a master is added and
// then another removed, lockers on every node keep contending for fresh
// keys; no key ever has two winners, whatever view each coordinator held.
func TestMembershipChangesDuringContention(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := locker.Config{Masters: names("m", 3), RequestTimeout: 300 * time.Millisecond}
		c := newCluster(t, names("m", 3), nil, cfg)
		c.start("m4", cfg)
		nodes := names("m", 4)
		done := make(chan struct{})
		var wg sync.WaitGroup
		var mu sync.Mutex
		winners := map[string]int{}
		for i := range 8 {
			n := c.node(nodes[i%4])
			wg.Go(func() {
				for r := 0; ; r++ {
					select {
					case <-done:
						return
					default:
					}
					key := fmt.Sprintf("k%d", r/4) // four rounds of tries per key
					if _, err := n.Lock(t.Context(), key, []byte{byte(i)}, time.Minute); err == nil {
						mu.Lock()
						winners[key]++
						mu.Unlock()
					}
					time.Sleep(time.Millisecond)
				}
			})
		}
		time.Sleep(20 * time.Millisecond)
		require.NoError(t, c.node("m1").SetNodes(t.Context(), names("m", 4), nil))
		time.Sleep(20 * time.Millisecond)
		require.NoError(t, c.node("m4").SetNodes(t.Context(), []string{"m2", "m3", "m4"}, nil))
		time.Sleep(20 * time.Millisecond)
		close(done)
		wg.Wait()
		require.NotEmpty(t, winners)
		for key, n := range winners {
			assert.Equal(t, 1, n, "%s won %d times", key, n)
		}
		t.Logf("%d keys, each won once, across two membership changes", len(winners))
	})
}
