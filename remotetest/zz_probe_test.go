//go:build !race

package remotetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/remote"
	locker "github.com/protolocker/locker"
)

func probeCluster(t *testing.T) ([]*member, []string) {
	var ms []*member
	var addrs []string
	for i := 0; i < 3; i++ {
		sys := quietSystem()
		r := remote.NewRemote(sys, remote.Configure("127.0.0.1", 0))
		r.Start()
		ms = append(ms, &member{sys: sys, remote: r})
		addrs = append(addrs, sys.Address())
	}
	for _, m := range ms {
		n, err := locker.Start(m.sys, locker.Config{Masters: addrs})
		if err != nil {
			t.Fatal(err)
		}
		m.node = n
	}
	for _, m := range ms {
		if _, err := m.node.Ping(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return ms, addrs
}

func TestProbeGracefulSequential(t *testing.T) {
	ms, _ := probeCluster(t)
	for _, m := range ms {
		start := time.Now()
		m.node.Stop()
		m.remote.Shutdown(true)
		m.sys.Shutdown()
		t.Logf("graceful sequential: %v", since(start))
	}
}

func TestProbeGracefulConcurrent(t *testing.T) {
	ms, _ := probeCluster(t)
	start := time.Now()
	var wg sync.WaitGroup
	for _, m := range ms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.node.Stop()
			m.remote.Shutdown(true)
			m.sys.Shutdown()
		}()
	}
	wg.Wait()
	t.Logf("graceful concurrent: %v", since(start))
}

func TestProbeKillSequential(t *testing.T) {
	ms, _ := probeCluster(t)
	start := time.Now()
	for _, m := range ms {
		m.node.Stop()
		m.remote.Shutdown(false)
		m.sys.Shutdown()
	}
	t.Logf("kill sequential: %v", since(start))
}
