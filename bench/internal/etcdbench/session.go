package etcdbench

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/protolocker/locker/bench/internal/measure"
	"github.com/protolocker/locker/bench/internal/proc"
	"github.com/protolocker/locker/bench/internal/workload"
)

// mutexKey is the key of the Mutex the contention workload shares.
const mutexKey = "/bench/mutex"

// namesTTL is the TTL, in seconds, of the lease the names are put under.
const namesTTL = 5

// mutexCall bounds one Lock or Unlock of the contention workload.
const mutexCall = 10 * time.Second

// sessionOps adds the session workloads to ops: clients on one Mutex,
// the renewal of a lease over the stream to the leader (grant and renew
// from keepAlive), and many keys held under one lease.
func (c *Cluster) sessionOps(ops *workload.Ops, grant func(context.Context) error, renew func() error) {
	pids := proc.PIDs(c.members)
	ops.Mutex = workload.RunOp{Name: "Mutex.Lock+Unlock, a session each, one clientv3.Client",
		Run: func(ctx context.Context, clients int, d time.Duration) (measure.Rate, error) {
			return c.runMutex(ctx, clients, d)
		}}
	ops.KeepAlive = workload.KeepAliveOp{Name: "lease keep-alive (stream to the leader), timed by the harness",
		Run: func(ctx context.Context, k workload.KeepAlive) (measure.Renewals, error) {
			var r measure.Renewals
			if err := grant(ctx); err != nil {
				return r, fmt.Errorf("grant: %w", err)
			}
			measure.Quiet(ctx, k.Settle, pids...)
			r.Idle = measure.Idle(ctx, k.Idle, pids...)
			s, err := measure.Paced(ctx, k.N, k.Period, func(int) error { return renew() })
			r.Sample = s
			if err != nil {
				return r, err
			}
			r.Calls = k.CPUCalls
			r.Burst, err = measure.Burst(k.CPUCalls, pids, func(int) error { return renew() })
			r.NetCPU()
			return r, err
		}}
	ops.Names = workload.HoldOp{Name: fmt.Sprintf("one lease, the keys put under it (Put WithLease), KeepAlive every TTL/3 (TTL %ds)", namesTTL),
		Run: func(ctx context.Context, n workload.Names) (measure.Hold, error) {
			return c.names(ctx, pids, n)
		}}
}

// runMutex opens clients sessions and runs measure.Throughput for d, each
// client locking and unlocking its session's Mutex on mutexKey; the
// sessions are closed at the end.
func (c *Cluster) runMutex(ctx context.Context, clients int, d time.Duration) (measure.Rate, error) {
	ms := make([]*concurrency.Mutex, clients)
	var sessions []*concurrency.Session
	defer func() {
		for _, s := range sessions {
			_ = s.Close()
		}
	}()
	for i := range ms {
		s, err := concurrency.NewSession(c.cli, concurrency.WithTTL(ttl), concurrency.WithContext(ctx))
		if err != nil {
			return measure.Rate{}, fmt.Errorf("session %d: %w", i, err)
		}
		sessions = append(sessions, s)
		ms[i] = concurrency.NewMutex(s, mutexKey)
	}
	return measure.Throughput(ctx, clients, d, func(ctx context.Context, client, _ int) error {
		m := ms[client]
		lctx, cancel := context.WithTimeout(ctx, mutexCall)
		err := m.Lock(lctx)
		cancel()
		if err != nil {
			return err
		}
		for try := 0; ; try++ {
			uctx, cancel := context.WithTimeout(ctx, mutexCall)
			err = m.Unlock(uctx)
			cancel()
			if err == nil || try == 2 || ctx.Err() != nil {
				return err
			}
		}
	})
}

// namesWorkers bounds the Puts in flight while the names are put.
const namesWorkers = 64

// names measures the CPU of this process and the members over n.Idle,
// then grants a lease, keeps it alive with clientv3's KeepAlive, puts
// n.Count keys under it, namesWorkers at a time, and measures the CPU
// again over n.Window, with nothing else run; the lease is revoked at
// the end, which deletes the keys. Before each window the CPU use is
// left to settle.
func (c *Cluster) names(ctx context.Context, pids []int, n workload.Names) (measure.Hold, error) {
	h := measure.Hold{Names: n.Count}
	runtime.GC()
	h.SettledBefore, h.QuietBefore = measure.Quiet(ctx, n.Settle, pids...)
	h.Before = measure.Idle(ctx, n.Idle, pids...)
	g, err := c.cli.Grant(ctx, namesTTL)
	if err != nil {
		return h, fmt.Errorf("grant: %w", err)
	}
	kctx, stopKeeping := context.WithCancel(context.Background())
	defer func() {
		stopKeeping()
		rctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		_, _ = c.cli.Revoke(rctx, g.ID)
		cancel()
	}()
	acks, err := c.cli.KeepAlive(kctx, g.ID)
	if err != nil {
		return h, fmt.Errorf("keep-alive: %w", err)
	}
	lost := make(chan struct{})
	go func() {
		for range acks {
		}
		close(lost) // the channel closes when the keep-alive stops
	}()
	start := time.Now()
	if err := putUnder(ctx, c.cli, g.ID, n.Count); err != nil {
		return h, err
	}
	h.Setup = time.Since(start)
	runtime.GC()
	h.SettledDuring, h.QuietDuring = measure.Quiet(ctx, n.Settle, pids...)
	h.During = measure.Idle(ctx, n.Window, pids...)
	select {
	case <-lost:
		return h, errors.New("the lease's keep-alive stopped during the window")
	default:
	}
	return h, ctx.Err()
}

// putUnder puts count keys under lease id, namesWorkers at a time.
func putUnder(ctx context.Context, cli *clientv3.Client, id clientv3.LeaseID, count int) error {
	return measure.Each(ctx, count, namesWorkers, func(i int) error {
		key := "/names/" + strconv.Itoa(i)
		if _, err := cli.Put(ctx, key, "bench-names-holder", clientv3.WithLease(id)); err != nil {
			return fmt.Errorf("put %s: %w", key, err)
		}
		return nil
	})
}
