package chaos

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker"
)

// Fixed (a regression test now). A restarted master took itself for a
// first start and voted at once with empty memory, because the peers that
// saw its previous incarnation had restarted since and forgotten it (the
// first design told restarts apart by incarnations). Found by
// TestMutualExclusion with restarts. m2 and m3 restart, m1 locks k on m1
// and m2, crashes and restarts: m1 and m3 must not grant k to another
// client while the holder's lease runs. Now every start without
// Bootstrap rejoins, taking the state of the masters that kept theirs.
func TestReproRestartForgottenByRestartedPeers(t *testing.T) {
	// Real time, not a synctest bubble: in a bubble under -race, this test
	// (its masters restarted on the same addresses) made the race detector
	// report races on memory it did not share, and the runtime crash in
	// timer code in later bubbles, one run in three.
	func(t *testing.T) {
		c := newCluster(t, 3, 1, locker.Config{
			RequestTimeout: 200 * time.Millisecond,
			MaxLease:       time.Second,
		})
		restart := func(i int) {
			c.kill(i)
			require.NoError(t, c.restart(i))
			for !c.node(i).Voting() {
				time.Sleep(time.Millisecond)
			}
		}
		restart(1) // m2
		restart(2) // m3

		c.net.Isolate("m3")
		_, err := c.node(0).Lock(t.Context(), "k", []byte("holder"), time.Second)
		require.NoError(t, err, "committed on m1 and m2")
		c.net.Heal()

		c.kill(0)
		require.NoError(t, c.restart(0))
		for !c.node(0).Voting() {
			time.Sleep(time.Millisecond) // it rejoins, taking m2's and m3's state
		}

		c.net.Isolate("m2") // the holder's side
		_, err = c.node(2).Lock(t.Context(), "k", []byte("usurper"), time.Second)
		require.ErrorIs(t, err, locker.ErrNoQuorum, "m1 and m3 granted a key held for another second")
	}(t)
}
