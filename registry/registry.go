package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/protolocker/locker"
)

// maxCached bounds the decoded-PID cache of WhereIs; it is emptied when it
// grows past this many names.
const maxCached = 1 << 14

// maxLocks bounds the Locks of names a registry has in flight: more
// registrations wait for a slot, so that the masters' mailboxes stay short
// and the session's renewal is not delayed behind a burst of names.
const maxLocks = 64

// Registry names processes with keys of a locker node, all attached to
// one session of the registry. Its methods are safe for concurrent use.
// Create it with New and Close it when done.
type Registry struct {
	node *locker.Node
	cfg  config
	sys  *actor.ActorSystem // the node's actor system; nil if unknown

	ctx    context.Context // ended by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // session keepers and releasers
	slots  chan struct{}  // one per Lock in flight

	mu        sync.Mutex
	closed    bool
	cur       *session                           // the session new names attach to; nil before the first or after a loss
	opening   *opening                           // the session being opened, if any
	held      map[string]*holding                // by name
	refused   map[actor.ReceiverContext]struct{} // actors stopped at Started
	watched   map[string][]*holding              // by pidKey
	watcher   *actor.PID                         // spawned on first watch
	queue     []*holding                         // names waiting for their release
	releasers int                                // goroutines draining queue

	cache   sync.Map // name -> *cacheEntry, for WhereIs
	cached  atomic.Int64
	metrics *metrics
}

// cacheEntry is WhereIs's memory of one name: its store key and the PID
// decoded from the value last seen.
type cacheEntry struct {
	key  string
	last atomic.Pointer[decoded]
}

type decoded struct {
	raw []byte // a copy of the stored value
	pid *actor.PID
}

// New returns a registry that keeps its names in node. It opens its
// session when the first name is taken (and again after a loss), so an
// unused registry costs nothing; an error opening it is returned by the
// registration that needed it, and the next one tries again.
func New(node *locker.Node, opts ...Option) *Registry {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	cfg.normalize()
	r := &Registry{
		node:    node,
		cfg:     cfg,
		slots:   make(chan struct{}, maxLocks),
		held:    map[string]*holding{},
		refused: map[actor.ReceiverContext]struct{}{},
		watched: map[string][]*holding{},
	}
	if node != nil {
		r.sys = node.System()
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.metrics = r.newMetrics()
	return r
}

// Close stops the actors that hold their own names through the registry,
// then closes its session, which releases every name it holds on every
// master at once (one write, bounded by the lease; if it fails the names
// end with the session's TTL), and stops its watcher. Registrations in
// flight fail with ErrClosed, and so does every later one. Close leaves
// no goroutine behind; call it before stopping the node. It must not be
// called from inside an actor of the node's system.
func (r *Registry) Close() { r.shutdown(true) }

// Abandon is Close without the release: the session stops being renewed
// and the names it holds stay held on the masters until it expires (its
// TTL after its last renewal), as they would if the node crashed. It
// suits a node that is going away without notice, and tests and
// demonstrations of crashes. A registry already closed is left as it is.
func (r *Registry) Abandon() { r.shutdown(false) }

func (r *Registry) shutdown(release bool) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		r.wg.Wait()
		return
	}
	r.closed = true
	r.cancel()
	var stop []*holding
	for _, h := range r.held {
		switch h.state {
		case acquiring:
			continue // its acquisition sees the registry closed
		case held:
			if h.stopOnLoss && h.sys != nil {
				stop = append(stop, h)
			}
		}
		r.unwatchLocked(h)
		r.finishLocked(h, ErrClosed)
	}
	clear(r.queue)
	r.queue = nil
	ss := r.cur
	r.cur = nil
	if ss != nil {
		ss.ended = true
	}
	watcher := r.watcher
	r.watcher = nil
	r.mu.Unlock()
	r.metrics.close() // outside mu: a collection in progress takes it

	for _, h := range stop {
		h.sys.Root.Stop(h.pid)
	}
	r.wg.Wait()
	if ss != nil {
		if release {
			ctx, cancel := context.WithTimeout(context.Background(), r.cfg.lease)
			_ = ss.s.Close(ctx)
			cancel()
		} else {
			ss.s.Orphan()
		}
	}
	if watcher != nil {
		_ = r.sys.Root.StopFuture(watcher).Wait()
	}
}

// WhereIs returns the PID registered under name in the local table of the
// node: no message is sent, and the answer may be stale (on a replica, up
// to a replication interval). A hit does not allocate: the PID is decoded
// once per stored value and cached, so it is shared and must be treated as
// read-only. Use it with the registry's actor system only (protoactor
// caches the process a PID resolves to).
func (r *Registry) WhereIs(name string) (*actor.PID, bool) {
	var c *cacheEntry
	key := ""
	if v, ok := r.cache.Load(name); ok {
		c = v.(*cacheEntry)
		key = c.key
	} else {
		key = r.cfg.prefix + name
	}
	raw, err := r.node.DirtyRead(key)
	if err != nil {
		if c != nil && r.cache.CompareAndDelete(name, c) {
			r.cached.Add(-1)
		}
		return nil, false
	}
	if c != nil {
		if d := c.last.Load(); d != nil && bytes.Equal(d.raw, raw) {
			return d.pid, true
		}
	}
	pid, ok := decode(raw)
	if !ok {
		return nil, false
	}
	if c == nil {
		if r.cached.Add(1) > maxCached {
			r.cache.Clear()
			r.cached.Store(1)
		}
		v, loaded := r.cache.LoadOrStore(name, &cacheEntry{key: key})
		if loaded {
			r.cached.Add(-1)
		}
		c = v.(*cacheEntry)
	}
	c.last.Store(&decoded{raw: bytes.Clone(raw), pid: pid})
	return pid, true
}

// Lookup returns the PID registered under name as a quorum of masters
// holds it (locker's Node.Read): it never returns a registration older
// than one acknowledged before the call. ErrNotRegistered when the name is
// not held. The PID is a new value the caller owns.
func (r *Registry) Lookup(ctx context.Context, name string) (*actor.PID, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	e, err := r.node.Read(ctx, r.cfg.prefix+name)
	switch {
	case errors.Is(err, locker.ErrNotFound):
		return nil, fmt.Errorf("%w: %q", ErrNotRegistered, name)
	case err != nil:
		return nil, fmt.Errorf("registry: lookup %q: %w", name, err)
	}
	pid, ok := decode(e.Value)
	if !ok {
		return nil, fmt.Errorf("registry: lookup %q: the key holds %s, not a PID", name, describe(e.Value))
	}
	return pid, nil
}

// Send sends msg to the PID registered under name, as WhereIs finds it,
// with sender's Send; sender must belong to the registry's actor system.
// ErrNotRegistered when WhereIs finds none. The message may still be
// lost, as any protoactor message: Send does not wait.
func (r *Registry) Send(sender actor.SenderContext, name string, msg interface{}) error {
	pid, ok := r.WhereIs(name)
	if !ok {
		return fmt.Errorf("%w: %q", ErrNotRegistered, name)
	}
	sender.Send(pid, msg)
	return nil
}

// Request sends msg to the process registered under name and returns its
// response. The name is resolved with WhereIs, then with Lookup when the
// local table does not hold it (a replica that has not caught up), which
// fails with ErrNotRegistered when no one holds it. The request is a
// protoactor RequestFuture from the registry's actor system, waiting until
// ctx's deadline, or DefaultRequestTimeout when ctx has none (ctx's
// cancellation is checked before sending, not while waiting). It fails
// with actor.ErrTimeout when no response came in time, and
// actor.ErrDeadLetter when the process no longer exists. Messages to a
// remote process must be serializable, as any protoactor message.
func (r *Registry) Request(ctx context.Context, name string, msg any) (any, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if r.sys == nil {
		return nil, fmt.Errorf("registry: request %q: the registry has no actor system", name)
	}
	pid, ok := r.WhereIs(name)
	if !ok {
		var err error
		if pid, err = r.Lookup(ctx, name); err != nil {
			return nil, err
		}
	}
	timeout := DefaultRequestTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("registry: request %q: %w", name, err)
	}
	if timeout <= 0 {
		return nil, fmt.Errorf("registry: request %q: %w", name, context.DeadlineExceeded)
	}
	res, err := r.sys.Root.RequestFuture(pid, msg, timeout).Result()
	if err != nil {
		return nil, fmt.Errorf("registry: request %q at %s/%s: %w", name, pid.Address, pid.Id, err)
	}
	return res, nil
}

// Token returns the fencing token of name while this registry holds it:
// the token of its tenure in the store, which is greater than that of
// every earlier holder of the name and smaller than that of every later
// one, whatever registry or node takes it. A supervised restart keeps
// it. false when this registry does not hold the name (or is still
// taking it).
func (r *Registry) Token(name string) (uint64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := r.held[name]
	if h == nil || h.state != held || h.sess.s.Err() != nil {
		return 0, false
	}
	return h.token, true
}

// Register names pid, local or remote, with name: it takes the name in
// the store, attached to the registry's session (ctx bounds the call),
// and keeps it until pid terminates (the registry watches it),
// Unregister, Close, or the loss of the session. Registering a name to
// the PID it already names in this registry succeeds and changes
// nothing. It fails with ErrNameTaken when another PID holds the name,
// or another registry does, even for the same PID. When the session is
// lost the name is dropped and a LeaseLost event is published; the
// process itself is not stopped.
func (r *Registry) Register(ctx context.Context, name string, pid *actor.PID) error {
	if err := checkName(name); err != nil {
		return err
	}
	if err := checkPID(pid); err != nil {
		return err
	}
	h, _, err := r.acquire(ctx, claim{name: name, pid: actor.NewPID(pid.Address, pid.Id), sys: r.sys})
	if err != nil {
		return err
	}
	r.mu.Lock()
	if h.owner == nil && h.state == held {
		r.watchLocked(h)
	}
	r.mu.Unlock()
	return nil
}

// Unregister releases a name held by this registry (Session.Release); it
// waits until the masters answered or ctx ends, and a release that fails
// is retried in the background until it succeeds or the session ends.
// ErrNotRegistered when this registry does not hold the name. An actor
// that held its own name keeps running without it.
func (r *Registry) Unregister(ctx context.Context, name string) error {
	r.mu.Lock()
	h := r.held[name]
	if h == nil || h.state != held {
		r.mu.Unlock()
		return fmt.Errorf("%w: %q is not held by this registry", ErrNotRegistered, name)
	}
	r.dropLocked(h)
	r.mu.Unlock()
	select {
	case <-h.gone:
		return h.releaseErr
	case <-ctx.Done():
		return ctx.Err()
	}
}
