package lockerbench

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/protolocker/locker"
	"github.com/protolocker/locker/bench/internal/proc"
	"github.com/protolocker/locker/registry"
)

// Row labels of the 3-process cluster and of its floor.
const (
	ProcsSystem = "locker 3 procs"
	ProcsFloor  = "floor 3 procs"
)

// Cluster is three masters and a client node that is not a master: the
// client coordinates every write the workloads make.
type Cluster struct {
	System, Floor string

	client   *member
	node     *locker.Node
	reg      *registry.Registry
	pid      *actor.PID // a local actor the registry workload names
	children []*proc.Child
	addrs    []string       // the masters' addresses
	masters  []*member      // in-process masters
	nodes    []*locker.Node // their nodes

	stopKeeping chan struct{} // ends keep's goroutines
	kept        sync.WaitGroup
}

// StartProcs starts three master processes and this process's client.
// Each child reports the address its remote took; the parent then sends
// every child the list, so no port is guessed.
func StartProcs(ctx context.Context) (*Cluster, error) {
	c := &Cluster{System: ProcsSystem, Floor: ProcsFloor}
	addrs := make([]string, 3)
	for i := range addrs {
		ch, err := proc.Start(Role)
		if err != nil {
			c.Close()
			return nil, err
		}
		c.children = append(c.children, ch)
		if addrs[i], err = ch.Expect("ADDR", 20*time.Second); err != nil {
			c.Close()
			return nil, err
		}
	}
	for _, ch := range c.children {
		if err := ch.Send("MASTERS " + strings.Join(addrs, ",")); err != nil {
			c.Close()
			return nil, err
		}
	}
	for _, ch := range c.children {
		if _, err := ch.Expect("READY", 20*time.Second); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c.withClient(ctx, addrs)
}

// StartInProc starts three masters and the client in this process, each
// with its own actor system and remote on loopback.
func StartInProc(ctx context.Context) (*Cluster, error) {
	c := &Cluster{System: "locker 1 proc", Floor: "floor 1 proc"}
	addrs := make([]string, 3)
	for i := range addrs {
		m := newMember()
		c.masters = append(c.masters, m)
		addrs[i] = m.addr()
	}
	for _, m := range c.masters {
		n, err := locker.Start(m.sys, locker.Config{Masters: addrs, Bootstrap: true})
		if err != nil {
			c.Close()
			return nil, err
		}
		c.nodes = append(c.nodes, n)
	}
	return c.withClient(ctx, addrs)
}

// withClient starts the client and returns the cluster, or nil and the
// error once the cluster is closed.
func (c *Cluster) withClient(ctx context.Context, masters []string) (*Cluster, error) {
	c.addrs = masters
	if err := c.startClient(ctx, masters); err != nil {
		return nil, err
	}
	return c, nil
}

// startClient starts the client node and waits until a Lock succeeds
// (every master has greeted its peers and votes).
func (c *Cluster) startClient(ctx context.Context, masters []string) error {
	c.client = newMember()
	n, err := locker.Start(c.client.sys, locker.Config{Masters: masters})
	if err != nil {
		c.Close()
		return err
	}
	c.node = n
	c.reg = registry.New(n)
	c.pid = c.client.sys.Root.Spawn(actor.PropsFromFunc(func(actor.Context) {}))
	deadline := time.Now().Add(20 * time.Second)
	for {
		rctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := n.Lock(rctx, "ready", []byte("probe"), time.Second)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			c.Close()
			return fmt.Errorf("%s: no Lock succeeded within 20s: %w", c.System, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// keep extends key's lease every lease/4 until Close, so that a key the
// workloads read stays held however long the run takes.
func (c *Cluster) keep(key string, value []byte) {
	if c.stopKeeping == nil {
		c.stopKeeping = make(chan struct{})
	}
	c.kept.Add(1)
	go func() {
		defer c.kept.Done()
		t := time.NewTicker(lease / 4)
		defer t.Stop()
		for {
			select {
			case <-c.stopKeeping:
				return
			case <-t.C:
				_, _ = c.node.ExtendLease(context.Background(), key, value, lease)
			}
		}
	}()
}

// Close stops the client, then the masters.
func (c *Cluster) Close() error {
	if c.stopKeeping != nil {
		close(c.stopKeeping)
		c.kept.Wait()
		c.stopKeeping = nil
	}
	if c.reg != nil {
		c.reg.Close()
	}
	if c.node != nil {
		c.node.Stop()
	}
	for _, n := range c.nodes {
		n.Stop()
	}
	err := proc.CloseAll(c.children, 10*time.Second)
	for _, m := range c.masters {
		m.stop()
	}
	if c.client != nil {
		c.client.stop()
	}
	return err
}
