//go:build !race

package remotetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	locker "github.com/protolocker/locker"
)

func TestLockAndRead(t *testing.T) {
	ms := startCluster(t, 3, locker.Config{})
	a, b := ms[0].node, ms[1].node
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	start := time.Now()
	res, err := a.Lock(ctx, "k", []byte("va"), time.Minute)
	t.Logf("first Lock over remote: %v", since(start))
	require.NoError(t, err)
	require.Equal(t, 2, res.W)
	require.GreaterOrEqual(t, res.Votes, 2)
	require.GreaterOrEqual(t, res.Commits, 2)
	require.Greater(t, res.Token, uint64(0))

	v, err := a.DirtyRead("k")
	require.NoError(t, err)
	require.Equal(t, []byte("va"), v)

	e, err := b.Read(ctx, "k")
	require.NoError(t, err)
	require.Equal(t, []byte("va"), e.Value)
	require.Equal(t, res.Token, e.Token)
}
