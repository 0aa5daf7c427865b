package locker_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker"
	"github.com/protolocker/locker/cluster/clustertest"
)

// testCluster is a set of nodes on an in-memory network, one actor system
// each, stopped when the test ends.
type testCluster struct {
	t     testing.TB
	net   *clustertest.Network
	cfg   locker.Config
	nodes map[string]*locker.Node
}

// names returns n node addresses with a prefix: m1, m2, ...
func names(prefix string, n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprintf("%s%d", prefix, i+1)
	}
	return s
}

// newCluster starts every master and replica with cfg (Masters and
// Replicas filled in).
func newCluster(t testing.TB, masters, replicas []string, cfg locker.Config) *testCluster {
	t.Helper()
	cfg.Masters, cfg.Replicas = masters, replicas
	c := &testCluster{t: t, net: clustertest.New(), cfg: cfg, nodes: map[string]*locker.Node{}}
	t.Cleanup(c.shutdown)
	first := cfg
	first.Bootstrap = true // a new cluster; restarts (start) do not bootstrap
	for _, a := range append(append([]string{}, masters...), replicas...) {
		c.start(a, first)
	}
	c.waitVoting(masters...)
	return c
}

// waitVoting waits until the masters at addrs vote: at once for
// bootstrapped ones, after a rejoin for restarted ones; in a synctest
// bubble it takes no real time.
func (c *testCluster) waitVoting(addrs ...string) {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, a := range addrs {
		for !c.node(a).Voting() {
			require.True(c.t, time.Now().Before(deadline), "%s does not vote", a)
			time.Sleep(time.Millisecond)
		}
	}
}

// start brings up a node at addr with cfg (a restart after kill).
func (c *testCluster) start(addr string, cfg locker.Config) *locker.Node {
	c.t.Helper()
	sys, err := c.net.NewSystem(addr)
	require.NoError(c.t, err)
	n, err := locker.Start(sys, cfg)
	require.NoError(c.t, err)
	c.nodes[addr] = n
	return n
}

func (c *testCluster) node(addr string) *locker.Node {
	n, ok := c.nodes[addr]
	require.True(c.t, ok, "no node %s", addr)
	return n
}

// kill crashes a node: off the network, lease-holder stopped.
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

// holds reports whether addr's table holds key with value.
func (c *testCluster) holds(addr, key string, value []byte) bool {
	v, err := c.node(addr).DirtyRead(key)
	return err == nil && string(v) == string(value)
}

func (c *testCluster) absent(addr, key string) bool {
	_, err := c.node(addr).DirtyRead(key)
	return err != nil
}

// ctxFor returns a context bounded by d, cancelled when the test ends.
func ctxFor(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// discardLogger silences protoactor's logger in tests.
func discardLogger(*actor.ActorSystem) *slog.Logger {
	return slog.New(slog.DiscardHandler)
}

// holders returns the addresses among addrs whose table holds key with
// value. A write reaches the masters that granted its promise in time:
// at least W of them, not always all.
func (c *testCluster) holders(addrs []string, key string, value []byte) []string {
	var h []string
	for _, a := range addrs {
		if c.holds(a, key, value) {
			h = append(h, a)
		}
	}
	return h
}
