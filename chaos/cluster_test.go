package chaos

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker"
	"github.com/protolocker/locker/cluster/clustertest"
)

// cluster is n masters on an in-memory network, stopped when the test
// (a synctest bubble) ends. A master can be killed and restarted with
// empty memory at the same address (kill, restart).
type cluster struct {
	net   *clustertest.Network
	cfg   locker.Config // with Masters set, for restarts
	addrs []string

	mu    sync.Mutex
	nodes []*locker.Node // nil while killed
}

func newCluster(t *testing.T, n int, seed int64, cfg locker.Config) *cluster {
	t.Helper()
	c := &cluster{net: clustertest.New()}
	c.net.Seed(seed)
	for i := range n {
		c.addrs = append(c.addrs, fmt.Sprintf("m%d", i+1))
	}
	cfg.Masters = c.addrs
	c.cfg = cfg
	t.Cleanup(func() {
		c.mu.Lock()
		nodes := c.nodes
		c.nodes = nil
		c.mu.Unlock()
		for _, node := range nodes {
			if node != nil {
				node.Stop()
			}
		}
		c.net.Shutdown()
	})
	first := cfg
	first.Bootstrap = true // a new cluster; restarts rejoin
	for _, a := range c.addrs {
		sys, err := c.net.NewSystem(a)
		require.NoError(t, err)
		node, err := locker.Start(sys, first)
		require.NoError(t, err)
		c.nodes = append(c.nodes, node)
	}
	// Bootstrapped masters vote at once; wait for it anyway.
	deadline := time.Now().Add(10 * time.Second)
	for _, node := range c.nodes {
		for !node.Voting() {
			require.True(t, time.Now().Before(deadline), "%s does not vote", node.Address())
			time.Sleep(time.Millisecond)
		}
	}
	return c
}

// node returns master i, nil while it is killed. A node returned may be
// killed during a call, which then fails with locker.ErrStopped.
func (c *cluster) node(i int) *locker.Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[i]
}

// size is the number of masters, live or not.
func (c *cluster) size() int { return len(c.addrs) }

// kill crashes master i: off the network, its node stopped (calls in
// flight on it fail with ErrStopped), its memory lost.
func (c *cluster) kill(i int) {
	c.mu.Lock()
	n := c.nodes[i]
	c.nodes[i] = nil
	c.mu.Unlock()
	c.net.Remove(c.addrs[i])
	n.Stop()
}

// restart starts a new node with empty memory at master i's address. It
// does not vote until it has rejoined: a view change moves the other
// masters' state into it.
func (c *cluster) restart(i int) error {
	sys, err := c.net.NewSystem(c.addrs[i])
	if err != nil {
		return err
	}
	n, err := locker.Start(sys, c.cfg)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.nodes == nil { // the test ended meanwhile
		n.Stop()
		return nil
	}
	c.nodes[i] = n
	return nil
}

// impaired counts the masters that are killed or recovering (not voting).
func (c *cluster) impaired() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := 0
	for _, n := range c.nodes {
		if n == nil || !n.Voting() {
			k++
		}
	}
	return k
}

// faults changes the network at random, and kills and restarts masters:
// at most (N-1)/2 are killed or recovering at any time (the protocol
// assumes a minority restarts at a time, docs/protocol.md "Restarts").
// A killed master restarts with empty memory after 0 to maxDown.
type faults struct {
	c        *cluster
	net      *clustertest.Network
	addrs    []string
	rng      *rand.Rand
	maxDelay time.Duration
	maxDown  time.Duration
	down     map[int]time.Time // killed masters and when they restart
	count    map[string]int
	err      error // a restart that failed
}

func newFaults(c *cluster, seed int64, maxDelay, maxDown time.Duration) *faults {
	return &faults{c: c, net: c.net, addrs: c.addrs, rng: rand.New(rand.NewPCG(uint64(seed), 1)),
		maxDelay: maxDelay, maxDown: maxDown, down: map[int]time.Time{}, count: map[string]int{}}
}

// pair returns two distinct addresses.
func (f *faults) pair() (string, string) {
	i := f.rng.IntN(len(f.addrs))
	j := (i + 1 + f.rng.IntN(len(f.addrs)-1)) % len(f.addrs)
	return f.addrs[i], f.addrs[j]
}

// step applies one random fault and describes it.
func (f *faults) step() string {
	a, b := f.pair()
	p := 0.1 + 0.5*f.rng.Float64()
	var s string
	switch f.rng.IntN(9) {
	case 0, 1:
		f.net.Heal()
		s = "heal"
	case 2:
		f.net.Cut(a, b)
		s = fmt.Sprintf("cut %s-%s", a, b)
	case 3:
		f.net.CutOneWay(a, b)
		s = fmt.Sprintf("cut %s->%s", a, b)
	case 4:
		f.net.Isolate(a)
		s = fmt.Sprintf("isolate %s", a)
	case 5:
		f.net.Drop(a, b, p)
		s = fmt.Sprintf("drop %s->%s %.2f", a, b, p)
	case 6:
		d := time.Duration(1 + f.rng.Int64N(int64(f.maxDelay)))
		f.net.Delay(a, b, d)
		s = fmt.Sprintf("delay %s->%s %v", a, b, d.Round(time.Microsecond))
	case 7:
		i := f.rng.IntN(len(f.addrs))
		d := time.Duration(f.rng.Int64N(int64(f.maxDown)))
		if f.down[i] != (time.Time{}) || f.c.node(i) == nil || f.c.impaired() >= (len(f.addrs)-1)/2 {
			s = "nokill (a minority is down or recovering)"
			break
		}
		f.c.kill(i)
		f.down[i] = time.Now().Add(d)
		s = fmt.Sprintf("kill %s (restart in %v)", f.addrs[i], d.Round(time.Microsecond))
	default:
		f.net.Duplicate(a, b, p)
		s = fmt.Sprintf("dup %s->%s %.2f", a, b, p)
	}
	f.count[s[:verbLen(s)]]++
	return s
}

// restartDue restarts the killed masters whose time has come.
func (f *faults) restartDue(note func(string)) {
	for i := range f.addrs { // in order: the seed fixes the schedule
		at, ok := f.down[i]
		if !ok || time.Now().Before(at) {
			continue
		}
		delete(f.down, i)
		if err := f.c.restart(i); err != nil && f.err == nil {
			f.err = fmt.Errorf("restart %s: %w", f.addrs[i], err)
		}
		f.count["restart"]++
		note("restart " + f.addrs[i])
	}
}

func verbLen(s string) int {
	if i := strings.IndexByte(s, ' '); i >= 0 {
		return i
	}
	return len(s)
}

// run applies a fault every 5-50 ms (fake) until stop is closed, calls
// note with each, and heals the network on the way out (killed masters
// stay down: the cluster's cleanup stops what runs).
func (f *faults) run(stop <-chan struct{}, note func(string)) {
	defer f.net.Heal()
	for {
		t := time.NewTimer(time.Duration(5+f.rng.IntN(45)) * time.Millisecond)
		select {
		case <-stop:
			t.Stop()
			return
		case <-t.C:
			f.restartDue(note)
			note(f.step())
		}
	}
}
