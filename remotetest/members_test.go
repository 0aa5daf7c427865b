//go:build !race

package remotetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker"
)

// Finding 3 of the first design over real protoactor remote, with no
// fault injected: two nodes race for a key, which could leave one master
// without the winner's value; then a master joins and one that holds the
// key leaves. The loser must still find the key held, and every master
// of the last view must hold it.
func TestRaceThenTwoMembershipChanges(t *testing.T) {
	ms := startCluster(t, 4, locker.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	addrs := make([]string, 4)
	for i, m := range ms {
		addrs[i] = m.Addr()
	}
	require.NoError(t, ms[0].node.SetNodes(ctx, addrs[:3], nil), "start from three masters")

	errs := make(chan error, 2)
	for _, m := range ms[:2] {
		go func() {
			_, err := m.node.Lock(ctx, "k", []byte(m.Addr()), time.Minute)
			errs <- err
		}()
	}
	e1, e2 := <-errs, <-errs
	require.True(t, (e1 == nil) != (e2 == nil), "one winner: %v / %v", e1, e2)
	winner, loser := ms[0], ms[1]
	if e2 == nil {
		winner, loser = ms[1], ms[0]
	}

	require.NoError(t, ms[2].node.SetNodes(ctx, addrs, nil), "add the fourth master")
	var rest []string
	for _, a := range addrs {
		if a != winner.Addr() {
			rest = append(rest, a)
		}
	}
	require.NoError(t, ms[2].node.SetNodes(ctx, rest, nil), "remove the winner's node, which holds the key")

	_, err := loser.node.Lock(ctx, "k", []byte(loser.Addr()), time.Minute)
	require.ErrorIs(t, err, locker.ErrLocked, "the key is still held by the winner")
	e, err := loser.node.Read(ctx, "k")
	require.NoError(t, err)
	require.Equal(t, winner.Addr(), string(e.Value))
	for _, m := range ms {
		if m != winner {
			require.Eventually(t, func() bool {
				v, err := m.node.DirtyRead("k")
				return err == nil && string(v) == winner.Addr()
			}, 5*time.Second, 10*time.Millisecond, "%s holds the key", m.Addr())
		}
	}
}
