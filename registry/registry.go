package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/protolocker/locker"
)

// maxCached bounds the decoded-PID cache of WhereIs; it is emptied when it
// grows past this many names.
const maxCached = 1 << 14

// Registry names processes with leases of a locker node. Its methods are
// safe for concurrent use. Create it with New and Close it when done.
type Registry struct {
	node *locker.Node
	cfg  config
	sys  *actor.ActorSystem // the node's actor system; nil if unknown

	ctx    context.Context // ended by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // renewal goroutines, deadline timers, releases

	mu      sync.Mutex
	closed  bool
	held    map[string]*holding                // by name
	refused map[actor.ReceiverContext]struct{} // actors stopped at Started
	watched map[string][]*holding              // by encoded PID
	watcher *actor.PID                         // spawned on first watch

	cache  sync.Map // name -> *cacheEntry, for WhereIs
	cached atomic.Int64
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

// New returns a registry that keeps its names in node.
func New(node *locker.Node, opts ...Option) *Registry {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	cfg.normalize()
	r := &Registry{
		node:    node,
		cfg:     cfg,
		held:    map[string]*holding{},
		refused: map[actor.ReceiverContext]struct{}{},
		watched: map[string][]*holding{},
	}
	if node != nil {
		r.sys = node.System()
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	return r
}

// Close stops every renewal and timer of the registry, releases the names
// it holds (waiting for the releases, each bounded by the lease), stops
// the actors that hold their own names through it, and stops its watcher.
// Registrations in flight fail with ErrClosed, and so does every later
// one. Close leaves no goroutine behind; call it before stopping the node.
// It must not be called from inside an actor of the node's system.
func (r *Registry) Close() { r.shutdown(true) }

// Abandon is Close without the releases: the names the registry holds
// stay held on the masters until their leases expire, as they would if
// the node crashed. It suits a node that is going away without notice,
// and tests and demonstrations of crashes. A registry already closed is
// left as it is.
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
		if h.state != held {
			continue
		}
		h.abandon = !release
		r.dropLocked(h)
		if h.stopOnLoss && h.sys != nil {
			stop = append(stop, h)
		}
	}
	watcher := r.watcher
	r.watcher = nil
	r.mu.Unlock()

	for _, h := range stop {
		h.sys.Root.Stop(h.pid)
	}
	r.wg.Wait()
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

// Register names pid, local or remote, with name: it takes the name in
// the store (ctx bounds the call, and so does the lease) and renews it
// until pid terminates (the registry watches it), Unregister or Close.
// Registering a name to the PID it already names here succeeds and changes
// nothing. It fails with ErrNameTaken when another PID holds the name. A
// name whose lease is lost is dropped and a LeaseLost event is published;
// the process itself is not stopped.
func (r *Registry) Register(ctx context.Context, name string, pid *actor.PID) error {
	if err := checkName(name); err != nil {
		return err
	}
	value, err := encode(pid)
	if err != nil {
		return err
	}
	h, err := r.acquire(ctx, claim{
		name: name, value: value, pid: actor.NewPID(pid.Address, pid.Id), sys: r.sys,
	})
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

// Unregister releases a name held by this registry and stops renewing it;
// it waits until the masters answered or ctx ends. ErrNotRegistered when
// this registry does not hold the name. An actor that held its own name
// keeps running without it.
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
