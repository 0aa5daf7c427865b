package etcdbench

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
	"go.uber.org/zap"

	"github.com/protolocker/locker/bench/internal/proc"
	"github.com/protolocker/locker/bench/internal/workload"
)

// ttl is the TTL, in seconds, of the sessions and leases the workloads use.
const ttl = 60

// Ops returns etcd's operations for the workloads: Mutex from
// client/v3/concurrency for the locks, a lease keep-alive for
// ExtendLease, Get for the lookups, and a put-if-absent transaction under
// a session lease for the registry. contestants sessions are opened for
// the contest (a Mutex is per session). The returned function closes the
// sessions.
func (c *Cluster) Ops(ctx context.Context, contestants int) (workload.Ops, func(), error) {
	cli := c.cli
	var sessions []*concurrency.Session
	closeAll := func() {
		for _, s := range sessions {
			_ = s.Close()
		}
	}
	for range contestants + 1 {
		s, err := concurrency.NewSession(cli, concurrency.WithTTL(ttl), concurrency.WithContext(ctx))
		if err != nil {
			closeAll()
			return workload.Ops{}, nil, err
		}
		sessions = append(sessions, s)
	}
	sess := sessions[0]
	if _, err := cli.Put(ctx, "/read", "bench-client"); err != nil {
		closeAll()
		return workload.Ops{}, nil, err
	}
	grant, extend, err := c.keepAlive(ctx)
	if err != nil {
		closeAll()
		return workload.Ops{}, nil, err
	}
	var release *concurrency.Mutex // locked by Release's Prep
	pair := func(ctx context.Context, s *concurrency.Session, key string) error {
		m := concurrency.NewMutex(s, key)
		if err := m.Lock(ctx); err != nil {
			return err
		}
		return m.Unlock(ctx)
	}
	ops := workload.Ops{
		System: c.System,
		PIDs:   proc.PIDs(c.members),
		Lock: workload.Op{Name: "Mutex.Lock", Do: func(ctx context.Context, i int) error {
			return concurrency.NewMutex(sess, "/lock/"+strconv.Itoa(i)).Lock(ctx)
		}},
		Extend: workload.Op{Name: "lease keep-alive (stream to the leader)", Setup: grant, Do: func(ctx context.Context, _ int) error { return extend() }},
		Release: workload.Op{Name: "Mutex.Unlock",
			Prep: func(ctx context.Context, _ int) error {
				release = concurrency.NewMutex(sess, "/release")
				return release.Lock(ctx)
			},
			Do: func(ctx context.Context, _ int) error { return release.Unlock(ctx) }},
		Pair: workload.Op{Name: "Mutex.Lock+Unlock", Do: func(ctx context.Context, _ int) error {
			return pair(ctx, sess, "/pair")
		}},
		Rate: workload.ClientOp{Name: "Mutex.Lock+Unlock", Do: func(ctx context.Context, client, _ int) error {
			return pair(ctx, sess, "/rate/"+strconv.Itoa(client))
		}},
		Contest: workload.TryOp{Name: "Mutex.TryLock, Unlock if won", Do: func(ctx context.Context, client int) (bool, error) {
			m := concurrency.NewMutex(sessions[1+client%contestants], "/contest")
			if err := m.TryLock(ctx); err != nil {
				if errors.Is(err, concurrency.ErrLocked) {
					return false, nil
				}
				return false, err
			}
			return true, m.Unlock(ctx)
		}},
		Read: workload.Op{Name: "Get (linearizable)", Do: func(ctx context.Context, _ int) error {
			_, err := cli.Get(ctx, "/read")
			return err
		}},
		Local: &workload.Op{Name: "Get (serializable)", Do: func(ctx context.Context, _ int) error {
			_, err := cli.Get(ctx, "/read", clientv3.WithSerializable())
			return err
		}},
		Register: workload.Op{Name: "put-if-absent Txn + Delete", Do: func(ctx context.Context, i int) error {
			key := "/registry/bench-" + strconv.Itoa(i)
			r, err := cli.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
				Then(clientv3.OpPut(key, "127.0.0.1:1\x00bench", clientv3.WithLease(sess.Lease()))).Commit()
			if err != nil {
				return err
			}
			if !r.Succeeded {
				return fmt.Errorf("%s is taken", key)
			}
			_, err = cli.Delete(ctx, key)
			return err
		}},
	}
	c.sessionOps(&ops, grant, extend)
	return ops, closeAll, nil
}

// keepAlive returns a function that grants a lease (Setup of the
// workload: a lease granted when the system starts could run out before
// the workload comes) and one that renews it once over one
// LeaseKeepAlive stream kept open to the leader: the cheapest renewal
// etcd offers (clientv3's KeepAliveOnce opens a new stream per call, and
// a stream to a follower is forwarded to the leader), and the same every
// run.
func (c *Cluster) keepAlive(ctx context.Context) (grant func(context.Context) error, renew func() error, err error) {
	leader, err := c.leaderClient(ctx)
	if err != nil {
		return nil, nil, err
	}
	stream, err := pb.NewLeaseClient(leader.ActiveConnection()).LeaseKeepAlive(ctx)
	if err != nil {
		return nil, nil, err
	}
	var id clientv3.LeaseID
	grant = func(gctx context.Context) error {
		g, err := leader.Grant(gctx, ttl)
		if err != nil {
			return err
		}
		id = g.ID
		return nil
	}
	renew = func() error {
		if err := stream.Send(&pb.LeaseKeepAliveRequest{ID: int64(id)}); err != nil {
			return err
		}
		r, err := stream.Recv()
		if err != nil {
			return err
		}
		if r.TTL <= 0 {
			return fmt.Errorf("lease %x expired", id)
		}
		return nil
	}
	if err := grant(ctx); err != nil {
		return nil, nil, err
	}
	return grant, renew, nil
}

// leaderClient returns a client of the leader's endpoint alone; Close
// closes it.
func (c *Cluster) leaderClient(ctx context.Context) (*clientv3.Client, error) {
	for _, ep := range c.cli.Endpoints() {
		st, err := c.cli.Status(ctx, ep)
		if err != nil {
			return nil, err
		}
		if st.Leader == st.Header.MemberId {
			cli, err := clientv3.New(clientv3.Config{Endpoints: []string{ep}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
			if err != nil {
				return nil, err
			}
			c.leader = cli
			return cli, nil
		}
	}
	return nil, fmt.Errorf("no endpoint of %v is the leader", c.cli.Endpoints())
}
