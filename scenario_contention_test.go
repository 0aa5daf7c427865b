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
