package locker_test

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker"
)

// partition cuts every link between the two sides.
func partition(c *testCluster, a, b []string) {
	for _, x := range a {
		for _, y := range b {
			c.net.Cut(x, y)
		}
	}
}

// splits returns every way to split masters into a minority and a
// majority side.
func splits(masters []string) (minority, majority [][]string) {
	n := len(masters)
	for mask := 1; mask < 1<<n; mask++ {
		var in, out []string
		for i, m := range masters {
			if mask&(1<<i) != 0 {
				in = append(in, m)
			} else {
				out = append(out, m)
			}
		}
		if len(in) <= (n-1)/2 {
			minority, majority = append(minority, in), append(majority, out)
		}
	}
	return minority, majority
}

// Guarantee 5 (partitions), for 3 and 5 masters and every split: the
// minority side acquires nothing; the majority side takes a key held from
// the minority only once the holder's lease is over; after the heal every
// node converges to the majority's values within one lease and one
// replication interval.
func TestPartitionsEveryShape(t *testing.T) {
	const lease = 300 * time.Millisecond
	for _, n := range []int{3, 5} {
		minority, majority := splits(names("m", n))
		for i := range minority {
			minor, major := minority[i], majority[i]
			t.Run(fmt.Sprintf("%d:%v|%v", n, minor, major), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					c := newCluster(t, names("m", n), nil, locker.Config{RequestTimeout: 100 * time.Millisecond, ReplicationInterval: 50 * time.Millisecond})
					holder := c.node(minor[0])
					sent := time.Now()
					first, err := holder.Lock(t.Context(), "held", []byte("minor"), lease)
					require.NoError(t, err)

					partition(c, minor, major)
					for _, m := range minor {
						_, err := c.node(m).Lock(t.Context(), fmt.Sprintf("free-%s", m), []byte("minor"), lease)
						assert.ErrorIs(t, err, locker.ErrNoQuorum, "%s on the minority side", m)
					}
					taker := c.node(major[0])
					_, err = taker.Lock(t.Context(), "free", []byte("major"), lease)
					require.NoError(t, err, "the majority side goes on")

					var won time.Time
					var second locker.Result
					for won.IsZero() {
						res, err := taker.Lock(t.Context(), "held", []byte("major"), time.Minute)
						if err == nil {
							won, second = time.Now(), res
							break
						}
						require.ErrorIs(t, err, locker.ErrNoQuorum)
						time.Sleep(10 * time.Millisecond)
					}
					assert.GreaterOrEqual(t, won.Sub(sent), lease, "taken only after the holder's lease")
					assert.Greater(t, second.Token, first.Token)

					c.net.Heal()
					// The majority keeps "held" (extending it, as the registry
					// does) and lets "free" lapse. Within one lease and one
					// replication interval every node agrees on both.
					healed := time.Now()
					for time.Since(healed) < lease+50*time.Millisecond {
						_, err := taker.ExtendLease(t.Context(), "held", []byte("major"), lease)
						require.NoError(t, err)
						time.Sleep(lease / 3)
					}
					synctest.Wait()
					for _, m := range names("m", n) {
						assert.True(t, c.holds(m, "held", []byte("major")), "%s converged on the kept key", m)
						assert.True(t, c.absent(m, "free"), "%s converged on the lapsed key", m)
					}
				})
			})
		}
	}
}
