package etcdbench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/protolocker/locker/bench/internal/proc"
)

// Cluster is three etcd member processes and a client in this process.
type Cluster struct {
	System  string
	DataDir string // parent of the members' data directories
	OnShm   bool   // DataDir is on /dev/shm
	cli     *clientv3.Client
	leader  *clientv3.Client // of the leader's endpoint alone, once asked for
	members []*proc.Child
}

// DataRoot returns /dev/shm when it exists, else the temp folder.
func DataRoot() (string, bool) {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		return "/dev/shm", true
	}
	return os.TempDir(), false
}

// Start starts the three members, each with its data under a new folder
// of DataRoot, and a client that knows all three.
func Start(ctx context.Context) (*Cluster, error) {
	root, shm := DataRoot()
	dir, err := os.MkdirTemp(root, "locker-bench-etcd-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{System: "etcd 3 procs", DataDir: dir, OnShm: shm}
	var peers, clients []string
	for i := range 3 {
		name := fmt.Sprintf("m%d", i+1)
		ch, err := proc.Start(Role, "-name", name, "-dir", filepath.Join(dir, name))
		if err != nil {
			c.Close()
			return nil, err
		}
		c.members = append(c.members, ch)
		urls, err := ch.Expect("URLS", 20*time.Second)
		if err != nil {
			c.Close()
			return nil, err
		}
		peer, client, _ := strings.Cut(urls, " ")
		peers = append(peers, name+"="+peer)
		clients = append(clients, client)
	}
	for _, ch := range c.members {
		if err := ch.Send("CLUSTER " + strings.Join(peers, ",")); err != nil {
			c.Close()
			return nil, err
		}
	}
	for _, ch := range c.members {
		if _, err := ch.Expect("READY", 40*time.Second); err != nil {
			c.Close()
			return nil, err
		}
	}
	c.cli, err = clientv3.New(clientv3.Config{Endpoints: clients, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		c.Close()
		return nil, err
	}
	// The first request may wait for the leader's election.
	deadline := time.Now().Add(20 * time.Second)
	for {
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := c.cli.Put(rctx, "/ready", "probe")
		cancel()
		if err == nil {
			return c, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			c.Close()
			return nil, fmt.Errorf("etcd: no Put succeeded within 20s: %w", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Close stops the client and the members and removes the data.
func (c *Cluster) Close() error {
	for _, cli := range []*clientv3.Client{c.leader, c.cli} {
		if cli != nil {
			_ = cli.Close()
		}
	}
	err := proc.CloseAll(c.members, 15*time.Second)
	if rerr := os.RemoveAll(c.DataDir); err == nil {
		err = rerr
	}
	return err
}
