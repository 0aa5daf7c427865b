package lockerbench

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/protolocker/locker"
	"github.com/protolocker/locker/bench/internal/measure"
	"github.com/protolocker/locker/bench/internal/proc"
	"github.com/protolocker/locker/bench/internal/workload"
	"github.com/protolocker/locker/concurrency"
)

// MutexKey is the key of the Mutex the contention workload shares.
const MutexKey = "/bench/mutex"

// Session TTLs: the Mutex clients' sessions and the session the names
// attach to (the registry's default TTL).
const (
	mutexTTL = 10 * time.Second
	namesTTL = 5 * time.Second
)

// mutexCall bounds one Lock or Unlock of the contention workload.
const mutexCall = 10 * time.Second

// runMutex opens clients sessions, client i's on nodes[i%len(nodes)], and
// runs measure.Throughput for d, each client locking and unlocking its
// session's Mutex on MutexKey; the sessions are closed at the end.
func runMutex(ctx context.Context, nodes []*locker.Node, clients int, d time.Duration) (measure.Rate, error) {
	ms, closeAll, err := openMutexes(ctx, nodes, clients)
	if err != nil {
		return measure.Rate{}, err
	}
	defer closeAll()
	return measure.Throughput(ctx, clients, d, func(ctx context.Context, client, _ int) error {
		return lockUnlock(ctx, ms[client])
	})
}

// openMutexes opens clients sessions over nodes, and a Mutex on MutexKey
// for each; the returned function closes the sessions.
func openMutexes(ctx context.Context, nodes []*locker.Node, clients int) ([]*concurrency.Mutex, func(), error) {
	var sessions []*locker.Session
	closeAll := func() {
		for _, s := range sessions {
			cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = s.Close(cctx)
			cancel()
		}
	}
	ms := make([]*concurrency.Mutex, clients)
	for i := range clients {
		s, err := nodes[i%len(nodes)].NewSession(ctx, mutexTTL)
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("session %d: %w", i, err)
		}
		sessions = append(sessions, s)
		ms[i] = concurrency.NewMutex(s, MutexKey)
	}
	return ms, closeAll, nil
}

// lockUnlock takes m, blocking until it holds it, and unlocks it.
func lockUnlock(ctx context.Context, m *concurrency.Mutex) error {
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
		// After any other error the Mutex is still held: unlock it
		// again, or its session's next Lock would wait for itself.
		if err == nil || errors.Is(err, concurrency.ErrNotHeld) || try == 2 || ctx.Err() != nil {
			return err
		}
	}
}

// keepAlive starts a node of its own (not a master) whose metrics keep
// the duration of each of its Extend calls, opens a session of 3
// periods, which renews itself every period (an ExtendLease of its
// register, in one round: this node wrote it last), and times k.N of
// its renewals. Then the CPU of a renewal: the node locks a key and
// extends it k.CPUCalls times back to back (the same one-round write),
// this process's and the masters' CPU counted, less their idle use
// measured over k.Idle before the session opened.
func (c *Cluster) keepAlive(ctx context.Context, k workload.KeepAlive) (measure.Renewals, error) {
	var r measure.Renewals
	rec := newExtendTimes()
	m := newMember()
	defer m.stop()
	node, err := locker.Start(m.sys, locker.Config{Masters: c.addrs, MeterProvider: rec})
	if err != nil {
		return r, err
	}
	defer node.Stop()
	if err := waitPing(ctx, node); err != nil {
		return r, err
	}
	pids := proc.PIDs(c.children)
	measure.Quiet(ctx, k.Settle, pids...)
	r.Idle = measure.Idle(ctx, k.Idle, pids...)
	s, err := node.NewSession(ctx, 3*k.Period)
	if err != nil {
		return r, fmt.Errorf("open session: %w", err)
	}
	limit := time.Duration(k.N)*k.Period*3 + 5*time.Second
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for rec.count() < k.N {
		select {
		case <-rec.recorded():
		case <-s.Done():
			return r, fmt.Errorf("session ended after %d renewals: %w", rec.count(), s.Err())
		case <-deadline.C:
			return r, fmt.Errorf("%d renewals of %d within %v", rec.count(), k.N, limit)
		case <-ctx.Done():
			return r, ctx.Err()
		}
	}
	cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_ = s.Close(cctx)
	cancel()
	r.Sample, err = measure.FromDurations(rec.durations()[:k.N], rec.failed(),
		errors.New("a renewal failed (see the node's log)"), ctx.Err())
	if err != nil {
		return r, err
	}
	value := []byte("bench-keepalive")
	if _, err := node.Lock(ctx, "keepalive", value, lease); err != nil {
		return r, fmt.Errorf("lock keepalive: %w", err)
	}
	r.Calls = k.CPUCalls
	r.Burst, err = measure.Burst(k.CPUCalls, pids, func(int) error {
		_, err := node.ExtendLease(ctx, "keepalive", value, lease)
		return err
	})
	r.NetCPU()
	_, _ = node.Release(ctx, "keepalive", value)
	return r, err
}

// waitPing waits until a Ping from node reaches a quorum of masters.
func waitPing(ctx context.Context, node *locker.Node) error {
	deadline := time.Now().Add(20 * time.Second)
	for {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := node.Ping(pctx)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("no Ping succeeded within 20s: %w", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// namesWorkers bounds the Locks in flight while the names are taken.
const namesWorkers = 64

// names measures the CPU of this process and the masters over n.Idle,
// then opens a session on the client node, attaches n.Count names to it
// (Locks of the session, namesWorkers at a time), and measures the CPU
// again over n.Window, with nothing else run; the session is closed at
// the end, which ends the names. Before each window the CPU use is left
// to settle.
func (c *Cluster) names(ctx context.Context, n workload.Names) (measure.Hold, error) {
	h := measure.Hold{Names: n.Count}
	pids := proc.PIDs(c.children)
	runtime.GC()
	h.SettledBefore, h.QuietBefore = measure.Quiet(ctx, n.Settle, pids...)
	h.Before = measure.Idle(ctx, n.Idle, pids...)
	s, err := c.node.NewSession(ctx, namesTTL)
	if err != nil {
		return h, fmt.Errorf("open session: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_ = s.Close(cctx)
		cancel()
	}()
	start := time.Now()
	if err := attach(ctx, s, n.Count); err != nil {
		return h, err
	}
	h.Setup = time.Since(start)
	runtime.GC()
	h.SettledDuring, h.QuietDuring = measure.Quiet(ctx, n.Settle, pids...)
	h.During = measure.Idle(ctx, n.Window, pids...)
	if err := s.Err(); err != nil {
		return h, fmt.Errorf("the session ended during the window: %w", err)
	}
	return h, ctx.Err()
}

// attach takes count names for session s, namesWorkers at a time; a Lock
// that finds no quorum is tried again, twice.
func attach(ctx context.Context, s *locker.Session, count int) error {
	value := []byte("bench-names-holder")
	return measure.Each(ctx, count, namesWorkers, func(i int) error {
		key := "names/" + pad7(i)
		var err error
		for try := 0; try < 3; try++ {
			if _, err = s.Lock(ctx, key, value); !errors.Is(err, locker.ErrNoQuorum) {
				break
			}
		}
		if err != nil {
			return fmt.Errorf("lock %s: %w", key, err)
		}
		return nil
	})
}

// sessionOps adds the session workloads, the client node being the
// caller, to ops.
func (c *Cluster) sessionOps(ops *workload.Ops) {
	ops.Mutex = workload.RunOp{Name: "Mutex.Lock+Unlock, every session on the client node",
		Run: func(ctx context.Context, clients int, d time.Duration) (measure.Rate, error) {
			return runMutex(ctx, []*locker.Node{c.node}, clients, d)
		}}
	ops.KeepAlive = workload.KeepAliveOp{Name: "session renewal (ExtendLease of its register, one round), timed by the node",
		Run: c.keepAlive}
	ops.Names = workload.HoldOp{Name: "one session, the names attached (Session.Lock), renewed every TTL/3 (TTL " + namesTTL.String() + ")",
		Run: c.names}
}
