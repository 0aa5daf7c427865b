package main

import (
	"errors"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// idActor is the name of the actor that answers a member's id.
const idActor = "grains-member-id"

// staticProvider is a cluster provider for a fixed list of addresses: a
// member is in the topology while it answers a request for its id within
// a timeout, polled every interval.
type staticProvider struct {
	peers    []string
	kinds    []string
	interval time.Duration
	c        *cluster.Cluster
	stop     chan struct{}
	done     sync.WaitGroup
	once     sync.Once
}

var _ cluster.ClusterProvider = (*staticProvider)(nil)

func newStaticProvider(peers []string, kinds ...string) *staticProvider {
	return &staticProvider{peers: peers, kinds: kinds, interval: 200 * time.Millisecond, stop: make(chan struct{})}
}

// StartMember implements cluster.ClusterProvider.
func (p *staticProvider) StartMember(c *cluster.Cluster) error {
	p.c = c
	id := c.ActorSystem.ID
	if _, err := c.ActorSystem.Root.SpawnNamed(actor.PropsFromFunc(func(ctx actor.Context) {
		if _, ok := ctx.Message().(*wrapperspb.StringValue); ok {
			ctx.Respond(wrapperspb.String(id))
		}
	}), idActor); err != nil {
		return err
	}
	p.done.Go(p.poll)
	return nil
}

// StartClient implements cluster.ClusterProvider.
func (p *staticProvider) StartClient(*cluster.Cluster) error {
	return errors.New("the static provider runs members only")
}

// Shutdown implements cluster.ClusterProvider.
func (p *staticProvider) Shutdown(bool) error {
	p.once.Do(func() { close(p.stop) })
	p.done.Wait()
	return nil
}

func (p *staticProvider) poll() {
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		p.c.MemberList.UpdateClusterTopology(p.members())
		select {
		case <-t.C:
		case <-p.stop:
			return
		}
	}
}

// members asks every peer for its id at once and returns those that
// answered.
func (p *staticProvider) members() []*cluster.Member {
	var mu sync.Mutex
	var wg sync.WaitGroup
	var ms []*cluster.Member
	for _, addr := range p.peers {
		wg.Go(func() {
			res, err := p.c.ActorSystem.Root.RequestFuture(actor.NewPID(addr, idActor), wrapperspb.String("id"), p.interval).Result()
			s, ok := res.(*wrapperspb.StringValue)
			if err != nil || !ok {
				return
			}
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				return
			}
			n, _ := strconv.Atoi(port)
			mu.Lock()
			ms = append(ms, &cluster.Member{Id: s.GetValue(), Host: host, Port: int32(n), Kinds: p.kinds})
			mu.Unlock()
		})
	}
	wg.Wait()
	return ms
}
