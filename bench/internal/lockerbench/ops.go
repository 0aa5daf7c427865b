package lockerbench

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/protolocker/locker"
	"github.com/protolocker/locker/bench/internal/proc"
	"github.com/protolocker/locker/bench/internal/workload"
)

// lease is the lease of every key the workloads take.
const lease = time.Minute

// MasterCaller ends the row labels of a master calling (the registry's
// normal case: every node that registers names is then a master), e.g.
// "locker 1 proc, master caller".
const MasterCaller = ", master caller"

// Ops returns the cluster's operations for the workloads, the client
// node being the caller, after taking the key that Read uses.
func (c *Cluster) Ops(ctx context.Context) (workload.Ops, error) {
	n := c.node
	value := []byte("bench-client")
	if _, err := n.Lock(ctx, "read", value, lease); err != nil {
		return workload.Ops{}, fmt.Errorf("%s: lock read: %w", c.System, err)
	}
	c.keep("read", value) // Read and DirtyRead may come minutes later
	ops := callerOps(n, c.System, c.Floor, "", value)
	ops.PIDs = proc.PIDs(c.children)
	c.sessionOps(&ops)
	contenders := make([][]byte, 256)
	for i := range contenders {
		contenders[i] = []byte("contender-" + strconv.Itoa(i))
	}
	ops.Rate = workload.ClientOp{Name: "Lock+Release", Do: func(ctx context.Context, client, _ int) error {
		return pair(ctx, n, "rate/"+strconv.Itoa(client), value)
	}}
	ops.Contest = workload.TryOp{Name: "Lock, Release if won", Do: func(ctx context.Context, client int) (bool, error) {
		v := contenders[client%len(contenders)]
		actx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		if _, err := n.Lock(actx, "contest", v, lease); err != nil {
			if isLost(err) {
				return false, nil
			}
			return false, err
		}
		_, err := n.Release(ctx, "contest", v)
		return err == nil, err
	}}
	ops.Read = workload.Op{Name: "Read (W masters agree)", Do: func(ctx context.Context, _ int) error {
		_, err := n.Read(ctx, "read")
		return err
	}}
	ops.Register = workload.Op{Name: "registry Register+Unregister", Do: func(ctx context.Context, i int) error {
		name := "bench-" + strconv.Itoa(i)
		if err := c.reg.Register(ctx, name, c.pid); err != nil {
			return err
		}
		return c.reg.Unregister(ctx, name)
	}}
	return ops, nil
}

// callerOps returns the sequential workloads with n as the caller, on
// keys under prefix: Lock of a new key per call, ExtendLease of a key n
// took (in Setup, so that it is fresh whenever the workload comes),
// Release of a key n took just before (in Prep, untimed), Lock+Release
// of one key, and the floors, Pings from n. n wrote last every key it
// extends or releases, so those take one round; its Locks of new keys
// two; the Lock of Lock+Release one, as n released the key last.
func callerOps(n *locker.Node, system, floor, prefix string, value []byte) workload.Ops {
	var extendKey string
	setups := 0
	releaseKey := prefix + "release"
	ping := func(ctx context.Context) error { _, err := n.Ping(ctx); return err }
	return workload.Ops{
		System: system,
		Floor:  floor,
		Lock: workload.Op{Name: "Lock", Do: func(ctx context.Context, i int) error {
			_, err := n.Lock(ctx, prefix+"lock/"+strconv.Itoa(i), value, lease)
			return err
		}},
		Extend: workload.Op{Name: "ExtendLease",
			Setup: func(ctx context.Context) error {
				setups++
				k := prefix + "extend/" + strconv.Itoa(setups)
				if _, err := n.Lock(ctx, k, value, lease); err != nil {
					return fmt.Errorf("lock %s: %w", k, err)
				}
				extendKey = k
				return nil
			},
			Do: func(ctx context.Context, _ int) error {
				_, err := n.ExtendLease(ctx, extendKey, value, lease)
				return err
			}},
		Release: workload.Op{Name: "Release",
			Prep: func(ctx context.Context, _ int) error {
				_, err := n.Lock(ctx, releaseKey, value, lease)
				if isLost(err) { // a Release that failed left the key held: give it back once
					if _, err := n.Release(ctx, releaseKey, value); err != nil {
						return err
					}
					_, err = n.Lock(ctx, releaseKey, value, lease)
				}
				return err
			},
			Do: func(ctx context.Context, _ int) error {
				_, err := n.Release(ctx, releaseKey, value)
				return err
			}},
		Pair: workload.Op{Name: "Lock+Release", Do: func(ctx context.Context, _ int) error {
			return pair(ctx, n, prefix+"pair", value)
		}},
		Floor1: &workload.Op{Name: "Ping (1 round)", Do: func(ctx context.Context, _ int) error { return ping(ctx) }},
		Floor2: &workload.Op{Name: "Ping x2 (2 rounds)", Do: func(ctx context.Context, _ int) error {
			if err := ping(ctx); err != nil {
				return err
			}
			return ping(ctx)
		}},
	}
}

// pair locks key and releases it.
func pair(ctx context.Context, n *locker.Node, key string, value []byte) error {
	if _, err := n.Lock(ctx, key, value, lease); err != nil {
		return err
	}
	_, err := n.Release(ctx, key, value)
	return err
}

// isLost reports whether a Lock failed because another value holds the key.
func isLost(err error) bool { return errors.Is(err, locker.ErrLocked) }
