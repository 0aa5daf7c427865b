package lockercluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/eventstream"

	"github.com/protolocker/locker"
)

// IdentityLookup is protoactor's cluster.IdentityLookup on the locker
// store: each activation is a key held on its host's session. Create it
// with NewIdentityLookup and pass it to cluster.Configure; one lookup
// serves one cluster member.
type IdentityLookup struct {
	opts options
	err  error // a bad option or a failed Setup: Get returns nil

	cluster  *cluster.Cluster
	system   *actor.ActorSystem
	node     atomic.Pointer[locker.Node] // the store; set once, at Setup or when the seed kind's members are known
	kinds    map[string]struct{}
	isClient bool

	topo         atomic.Pointer[topology]
	sub          *eventstream.Subscription
	placementPID *actor.PID
	members      *actor.PID // the membership actor
	hosting      *hosting
	cache        *cacheWatch
	opening      chan struct{} // held while a session is opened
	seq          atomic.Uint64

	base    context.Context
	cancel  context.CancelFunc
	quit    chan struct{}
	bgMu    sync.Mutex
	bg      sync.WaitGroup
	down    bool
	ticking sync.WaitGroup
	once    sync.Once
	closed  sync.Once
	ready   atomic.Bool
}

var _ cluster.IdentityLookup = (*IdentityLookup)(nil)

// NewIdentityLookup returns a lookup configured by opts. Bad options are
// reported by Err, and by an error log at Setup; such a lookup activates
// nothing.
func NewIdentityLookup(opts ...Option) *IdentityLookup {
	l := &IdentityLookup{opts: defaultOptions(), hosting: newHosting(), quit: make(chan struct{}),
		opening: make(chan struct{}, 1)}
	for _, o := range opts {
		if o != nil {
			o(&l.opts)
		}
	}
	l.err = l.opts.complete()
	l.topo.Store(newTopology(nil, nil))
	return l
}

// complete checks the options and fills in the defaults that depend on
// others.
func (o *options) complete() error {
	switch {
	case o.lease <= 0:
		return fmt.Errorf("lockercluster: lease %v is not positive", o.lease)
	case o.voters < 1:
		return fmt.Errorf("lockercluster: %d voters; at least 1 is needed", o.voters)
	case o.grace < 0 || o.activation < 0 || o.sweep < 0:
		return errors.New("lockercluster: negative duration")
	}
	if len(o.seeds) > 0 && o.seedKind != "" {
		return errors.New("lockercluster: both seeds and a seed kind; give one")
	}
	for i, s := range o.seeds {
		if s == "" || slices.Contains(o.seeds[:i], s) {
			return fmt.Errorf("lockercluster: seed %q is empty or named twice", s)
		}
	}
	if o.grace == 0 {
		o.grace = 2 * o.lease
	}
	if o.activation == 0 {
		o.activation = o.lease + time.Second
	}
	if o.sweep == 0 {
		o.sweep = o.lease / 10
	}
	return nil
}

// Err returns the error that keeps the lookup from working: a bad option,
// or a Setup that failed. nil while it works.
func (l *IdentityLookup) Err() error { return l.err }

// Node returns the store node the lookup runs on this member: nil before
// Setup, on a client, after a failed Setup, and with WithSeedKind until
// the kind's members are in the topology.
func (l *IdentityLookup) Node() *locker.Node { return l.node.Load() }

// errNoStore is the error of a store call before the store runs.
var errNoStore = errors.New("lockercluster: the store is not running yet (its seeds are not in the topology)")

// Setup implements cluster.IdentityLookup. It runs before the member list
// is known: it starts the store node with the seeds as masters (with a
// seed kind, the membership actor starts it once the kind's members are
// in the topology), the placement actor, and the membership actor that
// follows the topology.
func (l *IdentityLookup) Setup(c *cluster.Cluster, kinds []string, isClient bool) {
	if c == nil || c.ActorSystem == nil {
		l.err = errors.Join(l.err, errors.New("lockercluster: Setup without a cluster"))
		return
	}
	l.cluster, l.system, l.isClient = c, c.ActorSystem, isClient
	if l.err == nil {
		l.err = l.setup(kinds)
	}
	if l.err != nil {
		l.log().Error("lockercluster: the identity lookup is not running", slog.Any("error", l.err))
		l.close()
		return
	}
	l.ready.Store(true)
}

func (l *IdentityLookup) setup(kinds []string) error {
	if !register(l.system, l) {
		return errors.New("lockercluster: another identity lookup runs on this actor system")
	}
	l.base, l.cancel = context.WithCancel(context.Background())
	l.cache = newCacheWatch(l)
	l.kinds = map[string]struct{}{}
	if !l.isClient {
		for _, k := range kinds {
			l.kinds[k] = struct{}{}
		}
		switch {
		case len(l.opts.seeds) > 0:
			if err := l.startStore(l.opts.seeds); err != nil {
				return err
			}
		case l.opts.seedKind == "":
			return errors.New("lockercluster: no seeds (WithSeeds or WithSeedKind)")
		}
	}
	var err error
	l.placementPID, err = l.system.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor {
		return &placement{l: l, pending: map[string]*pending{}}
	}), placementName)
	if err != nil {
		return fmt.Errorf("lockercluster: spawn the placement actor: %w", err)
	}
	l.cache.watcher, err = l.system.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return l.cache }), placementName+"-cache")
	if err != nil {
		return fmt.Errorf("lockercluster: spawn the cache watcher: %w", err)
	}
	if !l.isClient {
		l.members, err = l.system.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor {
			return newMembership(l)
		}), placementName+"-members")
		if err != nil {
			return fmt.Errorf("lockercluster: spawn the membership actor: %w", err)
		}
	}
	// The topology is published under the member list's lock: store it
	// and hand it on, never block.
	l.sub = l.system.EventStream.Subscribe(func(evt any) {
		if t, ok := evt.(*cluster.ClusterTopology); ok {
			l.topo.Store(newTopology(t.GetMembers(), l.topo.Load()))
			if l.members != nil {
				l.system.Root.Send(l.members, topologyChanged{})
			}
		}
	})
	l.ticking.Add(1)
	go l.tick()
	return nil
}

// startStore starts the member's store node with seeds as its first
// masters, and opens the member's session in the background.
func (l *IdentityLookup) startStore(seeds []string) error {
	cfg := l.opts.store
	cfg.Masters, cfg.Replicas, cfg.W, cfg.Bootstrap = seeds, nil, 0, l.opts.bootstrap
	cfg.MaxLease = max(cfg.MaxLease, l.opts.lease)
	n, err := locker.Start(l.system, cfg)
	if err != nil {
		return fmt.Errorf("lockercluster: start the store: %w", err)
	}
	l.node.Store(n)
	l.goBackground(l.openSession)
	return nil
}

// openSession opens the member's session ahead of its first activation.
func (l *IdentityLookup) openSession() {
	for attempt := 0; ; attempt++ {
		if attempt > 0 && !sleep(l.base, backoff(attempt)) {
			return
		}
		ctx, cancel := l.context(l.opts.lease)
		_, err := l.session(ctx)
		cancel()
		if err == nil || errors.Is(err, locker.ErrStopped) {
			return
		}
	}
}

// tick sweeps the cached PIDs, drives the membership actor's timers, and
// shuts the lookup down once the actor system is stopped: a
// Cluster.Shutdown(false) never calls Shutdown.
func (l *IdentityLookup) tick() {
	defer l.ticking.Done()
	every := min(l.opts.sweep, l.opts.lease/10)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-l.quit:
			return
		}
		if l.system.IsStopped() {
			go l.Shutdown()
			return
		}
		l.cache.sweep()
		if l.members != nil {
			l.system.Root.Send(l.members, membershipTick{})
		}
	}
}

// Get implements cluster.IdentityLookup: it returns the PID of ci's
// activation, activating it if there is none, or nil when none could be
// had within the activation timeout. It asks the member that its local
// table names as the host (which confirms the grain lives) or, for a new
// activation, the member rendezvous hashing picks among those hosting the
// kind.
func (l *IdentityLookup) Get(ci *cluster.ClusterIdentity) *actor.PID {
	if !l.ready.Load() || l.stopping() {
		return nil
	}
	key, err := keyOf(ci)
	if err != nil {
		l.log().Error("lockercluster: Get", slog.Any("error", err))
		return nil
	}
	if a := l.hosting.live(key); a != nil {
		return a.pid
	}
	ctx, cancel := l.context(l.opts.activation)
	defer cancel()
	req := &cluster.ActivationRequest{ClusterIdentity: &cluster.ClusterIdentity{Kind: ci.Kind, Identity: ci.Identity}}
	for attempt := 0; ; attempt++ {
		if attempt > 0 && !sleep(ctx, backoff(attempt)) {
			return nil
		}
		target := l.target(ci, key)
		if target == "" {
			continue
		}
		res, err := l.system.Root.RequestFuture(actor.NewPID(target, placementName), req, l.attemptTimeout(ctx, target)).Result()
		if err != nil {
			continue
		}
		r, ok := res.(*cluster.ActivationResponse)
		if !ok || r.GetFailed() || r.GetPid() == nil {
			continue
		}
		pid := r.GetPid()
		if pid.Address != l.system.Address() {
			l.cache.remember(key, ci, pid)
		}
		return pid
	}
}

// attemptTimeout bounds one request of Get to a placement actor. This
// member's own placement actor answers within its activation timeout, and
// its future outlives that: protoactor does not guard a future against an
// answer that arrives after it timed out on the same actor system. A
// remote member may be cut off: it is asked again after a quarter of the
// lease (an activation under way there is joined, not repeated).
func (l *IdentityLookup) attemptTimeout(ctx context.Context, target string) time.Duration {
	if target == l.system.Address() {
		return l.opts.activation + time.Second
	}
	deadline, _ := ctx.Deadline()
	return max(min(time.Until(deadline), l.opts.lease/4), time.Millisecond)
}

// target returns the member to ask for ci: the host its local table
// names, if that member is present, else the member that a new
// activation goes to.
func (l *IdentityLookup) target(ci *cluster.ClusterIdentity, key string) string {
	t := l.topology()
	if n := l.Node(); n != nil {
		if v, err := n.DirtyRead(key); err == nil {
			if p := decodePID(v); p != nil && t.has(p.Address) {
				return p.Address
			}
		}
	}
	return t.place(ci)
}

// RemovePid implements cluster.IdentityLookup: this member forgets pid
// as ci's activation. protoactor does not call it; a grain that stops
// releases its key and every member forgets it without it.
func (l *IdentityLookup) RemovePid(ci *cluster.ClusterIdentity, pid *actor.PID) {
	if !l.ready.Load() || ci == nil || pid == nil {
		return
	}
	if key, err := keyOf(ci); err == nil {
		l.cache.forget(key, pid)
	}
	l.cluster.PidCache.RemoveByValue(ci.Identity, ci.Kind, pid)
}

// Shutdown implements cluster.IdentityLookup: it stops the grains this
// member hosts and waits for them, closes its session (which releases
// their keys at once), and stops the store node. It may be called more
// than once, and runs by itself once the actor system is stopped.
func (l *IdentityLookup) Shutdown() {
	l.once.Do(func() {
		l.ready.Store(false)
		if l.system == nil {
			return
		}
		if l.sub != nil {
			l.system.EventStream.Unsubscribe(l.sub)
		}
		pids, sess := l.hosting.close()
		futures := make([]*actor.Future, 0, len(pids))
		for _, p := range pids {
			futures = append(futures, l.system.Root.StopFuture(p))
		}
		for _, f := range futures {
			_ = f.Wait()
		}
		if sess != nil {
			ctx, cancel := context.WithTimeout(context.Background(), l.opts.lease/2)
			if err := sess.Close(ctx); err != nil {
				l.log().Info("lockercluster: session not closed; its keys end with its lease", slog.Any("error", err))
			}
			cancel()
		}
		l.close()
	})
}

// close stops what setup started, once.
func (l *IdentityLookup) close() { l.closed.Do(l.stopAll) }

func (l *IdentityLookup) stopAll() {
	l.bgMu.Lock()
	l.down = true
	l.bgMu.Unlock()
	select {
	case <-l.quit:
	default:
		close(l.quit)
	}
	if l.cancel != nil {
		l.cancel()
	}
	l.ticking.Wait()
	l.bg.Wait()
	for _, p := range []*actor.PID{l.members, l.placementPID} {
		if p != nil {
			_ = l.system.Root.StopFuture(p).Wait()
		}
	}
	if l.cache != nil && l.cache.watcher != nil {
		_ = l.system.Root.StopFuture(l.cache.watcher).Wait()
	}
	if n := l.Node(); n != nil {
		n.Stop()
	}
	unregister(l.system, l)
}

// goBackground runs f on a goroutine that Shutdown waits for; false, and
// nothing run, once it shuts down.
func (l *IdentityLookup) goBackground(f func()) bool {
	l.bgMu.Lock()
	defer l.bgMu.Unlock()
	if l.down {
		return false
	}
	l.bg.Go(f)
	return true
}

func (l *IdentityLookup) stopping() bool {
	select {
	case <-l.quit:
		return true
	default:
		return false
	}
}

func (l *IdentityLookup) topology() *topology { return l.topo.Load() }

func (l *IdentityLookup) log() *slog.Logger { return l.system.Logger() }

func (l *IdentityLookup) hostsKind(kind string) bool {
	_, ok := l.kinds[kind]
	return ok
}

// kindProps returns the Props of kind, as the cluster built them.
func (l *IdentityLookup) kindProps(kind string) (*actor.Props, bool) {
	if ak, ok := l.cluster.TryGetClusterKind(kind); ok && ak.Props != nil {
		return ak.Props, true
	}
	if k, ok := l.cluster.Config.Kinds[kind]; ok && k.Props != nil {
		return k.Props, true
	}
	return nil, false
}

// kindInc counts an activation of kind in and out of the cluster's kind
// counter.
func (l *IdentityLookup) kindInc(kind string, d int) {
	if ak, ok := l.cluster.TryGetClusterKind(kind); ok {
		if d > 0 {
			ak.Inc()
		} else {
			ak.Dec()
		}
	}
}

// inView reports that this member is a master or replica of the store's
// view: its table is fed.
func (l *IdentityLookup) inView() bool {
	n := l.Node()
	if n == nil {
		return false
	}
	masters, replicas, _, _ := n.View()
	self := l.system.Address()
	return slices.Contains(masters, self) || slices.Contains(replicas, self)
}

// Hosted returns the number of grains this member hosts.
func (l *IdentityLookup) Hosted() int { return l.hosting.count() }
