package lockerbench

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/protolocker/locker/bench/internal/proc"
	"github.com/protolocker/locker/bench/internal/workload"
)

// lease is the lease of every key the workloads take.
const lease = time.Minute

// Ops returns the cluster's operations for the workloads, after taking
// the keys that Extend and Read use.
func (c *Cluster) Ops(ctx context.Context) (workload.Ops, error) {
	n := c.node
	value := []byte("bench-client")
	for _, k := range []string{"extend", "read"} {
		if _, err := n.Lock(ctx, k, value, lease); err != nil {
			return workload.Ops{}, fmt.Errorf("%s: lock %s: %w", c.System, k, err)
		}
	}
	c.keep("read", value) // Read and DirtyRead may come minutes later
	pair := func(ctx context.Context, key string, value []byte) error {
		if _, err := n.Lock(ctx, key, value, lease); err != nil {
			return err
		}
		_, err := n.Release(ctx, key, value)
		return err
	}
	contenders := make([][]byte, 256)
	for i := range contenders {
		contenders[i] = []byte("contender-" + strconv.Itoa(i))
	}
	ping := func(ctx context.Context) error { _, err := n.Ping(ctx); return err }
	return workload.Ops{
		System: c.System,
		Floor:  c.Floor,
		PIDs:   proc.PIDs(c.children),
		Lock: workload.Op{Name: "Lock", Do: func(ctx context.Context, i int) error {
			_, err := n.Lock(ctx, "lock/"+strconv.Itoa(i), value, lease)
			return err
		}},
		Extend: workload.Op{Name: "ExtendLease", Do: func(ctx context.Context, _ int) error {
			_, err := n.ExtendLease(ctx, "extend", value, lease)
			return err
		}},
		Pair: workload.Op{Name: "Lock+Release", Do: func(ctx context.Context, _ int) error {
			return pair(ctx, "pair", value)
		}},
		Rate: workload.ClientOp{Name: "Lock+Release", Do: func(ctx context.Context, client, _ int) error {
			return pair(ctx, "rate/"+strconv.Itoa(client), value)
		}},
		Contest: workload.TryOp{Name: "Lock, Release if won", Do: func(ctx context.Context, client int) (bool, error) {
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
		}},
		Read: workload.Op{Name: "Read (W masters agree)", Do: func(ctx context.Context, _ int) error {
			_, err := n.Read(ctx, "read")
			return err
		}},
		Register: workload.Op{Name: "registry Register+Unregister", Do: func(ctx context.Context, i int) error {
			name := "bench-" + strconv.Itoa(i)
			if err := c.reg.Register(ctx, name, c.pid); err != nil {
				return err
			}
			return c.reg.Unregister(ctx, name)
		}},
		Floor1: &workload.Op{Name: "Ping (1 round)", Do: func(ctx context.Context, _ int) error { return ping(ctx) }},
		Floor2: &workload.Op{Name: "Ping x2 (2 rounds)", Do: func(ctx context.Context, _ int) error {
			if err := ping(ctx); err != nil {
				return err
			}
			return ping(ctx)
		}},
	}, nil
}
