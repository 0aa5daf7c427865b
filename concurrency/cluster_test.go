package concurrency

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker"
	"github.com/protolocker/locker/cluster/clustertest"
)

// testCluster is a set of masters on an in-memory network, one actor
// system each, stopped when the test ends.
type testCluster struct {
	t     testing.TB
	net   *clustertest.Network
	nodes map[string]*locker.Node
}

// newCluster starts masters m1..mn of a new cluster with cfg and waits
// until they vote.
func newCluster(t testing.TB, n int, cfg locker.Config) *testCluster {
	t.Helper()
	c := &testCluster{t: t, net: clustertest.New(), nodes: map[string]*locker.Node{}}
	t.Cleanup(c.shutdown)
	for i := range n {
		cfg.Masters = append(cfg.Masters, fmt.Sprintf("m%d", i+1))
	}
	cfg.Bootstrap = true
	for _, a := range cfg.Masters {
		sys, err := c.net.NewSystem(a)
		require.NoError(t, err)
		node, err := locker.Start(sys, cfg)
		require.NoError(t, err)
		c.nodes[a] = node
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, a := range cfg.Masters {
		for !c.node(a).Voting() {
			require.True(t, time.Now().Before(deadline), "%s does not vote", a)
			time.Sleep(time.Millisecond)
		}
	}
	return c
}

func (c *testCluster) node(addr string) *locker.Node {
	n, ok := c.nodes[addr]
	require.True(c.t, ok, "no node %s", addr)
	return n
}

// session opens a session of ttl on the node at addr.
func (c *testCluster) session(addr string, ttl time.Duration) *locker.Session {
	c.t.Helper()
	s, err := c.node(addr).NewSession(c.t.Context(), ttl)
	require.NoError(c.t, err)
	return s
}

// kill crashes a node: off the network, lease-holder stopped, nothing
// released.
func (c *testCluster) kill(addr string) {
	n := c.node(addr)
	c.net.Remove(addr)
	n.Stop()
	delete(c.nodes, addr)
}

func (c *testCluster) shutdown() {
	for _, n := range c.nodes {
		n.Stop()
	}
	c.net.Shutdown()
}

// attempts sums the Lock calls the mutexes sent to the store.
func attempts(ms ...*Mutex) uint64 {
	var n uint64
	for _, m := range ms {
		n += m.c.attempts.Load()
	}
	return n
}
