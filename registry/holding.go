package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/protolocker/locker"
	"github.com/protolocker/locker/internal/pause"
)

// maxReleasers bounds the goroutines that release names.
const maxReleasers = 32

type holdState int

const (
	acquiring holdState = iota // Lock in flight
	held                       // attached to the session
	releasing                  // queued for, or in, its Release
	dropped                    // removed from the registry
)

// holding is one name this registry holds or is taking. The fields after
// the blank line are guarded by Registry.mu.
type holding struct {
	name, key string
	pid       *actor.PID    // the PID named (read-only)
	settled   chan struct{} // closed when the acquisition ends
	gone      chan struct{} // closed when removed from the registry

	sys        *actor.ActorSystem // where pid's actor runs, if it is local; may be nil
	sess       *session           // the session the name is (being) attached to
	value      []byte             // the stored value: pid and the session's id
	token      uint64             // the tenure's fencing token
	state      holdState
	owner      actor.ReceiverContext // the actor incarnation that claimed the name; nil if none
	stopOnLoss bool                  // pid is an actor that runs only while it holds the name
	reserved   bool                  // SpawnNamed took it for the spawn it is making
	watched    bool
	releaseErr error
}

// claim describes a request for a name.
type claim struct {
	name       string
	pid        *actor.PID
	sys        *actor.ActorSystem
	owner      actor.ReceiverContext // the middleware's actor, or nil
	stopOnLoss bool
	fresh      bool          // fail if this registry already holds the name (SpawnNamed)
	reserve    bool          // let one spawn claim join the holding (SpawnNamed)
	spawn      bool          // the spawn function of PropsOption: fresh, or join a reserved holding
	timeout    time.Duration // bounds the Lock, once a slot is free; 0: ctx alone
}

// acquire takes c.name for c.pid, attached to the registry's session, or
// joins this registry's holding of it when that is the same PID (an actor
// claiming the name SpawnNamed took for it, a restart, a repeated
// Register): joined is true then. It waits for holdings of the name being
// taken or released here to settle, within ctx. A Lock that meets the end
// of the session is tried once more on a new one. Close ends the call
// with ErrClosed.
func (r *Registry) acquire(ctx context.Context, c claim) (h *holding, joined bool, err error) {
	if ctx != r.ctx {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		defer context.AfterFunc(r.ctx, cancel)()
	}
	h, joined, err = r.reserve(ctx, c)
	if err != nil && r.ctx.Err() != nil {
		return nil, false, ErrClosed
	}
	if err != nil || joined {
		return h, joined, err
	}
	for retried := false; ; retried = true {
		token, ss, err := r.take(ctx, c, h)
		r.mu.Lock()
		switch {
		case r.closed:
			err = ErrClosed
		case err != nil:
		case ss.ended:
			err = fmt.Errorf("%w: %q was taken as its session ended", locker.ErrSessionLost, c.name)
		}
		if err == nil {
			h.state, h.token, h.reserved = held, token, c.reserve
			close(h.settled)
			r.mu.Unlock()
			return h, false, nil
		}
		if !retried && !r.closed && ctx.Err() == nil && sessionEnded(err) {
			r.mu.Unlock()
			continue
		}
		close(h.settled)
		r.finishLocked(h, nil)
		r.mu.Unlock()
		if errors.Is(err, ErrNameTaken) || errors.Is(err, ErrClosed) {
			return nil, false, err
		}
		return nil, false, fmt.Errorf("registry: register %q: %w", c.name, err)
	}
}

// take locks h's key on the current session and returns its token. A
// Lock that failed without taking effect for want of a quorum (masters
// too slow to answer within a round, as under a burst of registrations)
// is tried again while the Lock's deadline allows.
func (r *Registry) take(ctx context.Context, c claim, h *holding) (uint64, *session, error) {
	ss, err := r.session(ctx)
	if err != nil {
		return 0, nil, err
	}
	value := encode(c.pid, ss.s.ID())
	r.mu.Lock()
	h.sess, h.value = ss, value
	r.mu.Unlock()
	select {
	case r.slots <- struct{}{}:
	case <-ctx.Done():
		return 0, ss, ctx.Err()
	}
	defer func() { <-r.slots }()
	lctx, cancel := ctx, context.CancelFunc(func() {})
	if c.timeout > 0 {
		lctx, cancel = context.WithTimeout(ctx, c.timeout)
	}
	defer cancel()
	for {
		res, err := ss.s.Lock(lctx, h.key, value)
		if errors.Is(err, locker.ErrLocked) || errors.Is(err, locker.ErrIndeterminate) {
			var token uint64
			if token, err = r.settle(lctx, ss, h.key, value, c.name, err); err == nil || !errors.Is(err, errUnsettled) {
				return token, ss, err
			}
		}
		if err == nil || !retryable(err) || !sleepWithin(lctx, retryPause) {
			return res.Token, ss, err
		}
	}
}

// retryPause is the pause before a Lock is tried again.
const retryPause = 10 * time.Millisecond

// errUnsettled marks a Lock that settle found had not taken effect.
var errUnsettled = errors.New("registry: the Lock did not take effect")

// retryable reports that a Lock failed for want of a quorum only: it did
// not take effect and nothing refused it.
func retryable(err error) bool {
	switch {
	case !errors.Is(err, locker.ErrNoQuorum),
		errors.Is(err, locker.ErrIndeterminate) && !errors.Is(err, errUnsettled),
		errors.Is(err, locker.ErrLocked), errors.Is(err, locker.ErrNotOwner), errors.Is(err, locker.ErrNotFound),
		errors.Is(err, locker.ErrInvalid), errors.Is(err, locker.ErrStopped), sessionEnded(err):
		return false
	}
	return true
}

// sleepWithin waits d; false when ctx's deadline comes first (or ctx
// ends).
func sleepWithin(ctx context.Context, d time.Duration) bool {
	if dl, ok := ctx.Deadline(); !ok || time.Until(dl) <= d {
		return false
	}
	return pause.Sleep(ctx, d, nil)
}

// settle reads the name after a Lock that found it held, or may have
// taken effect: it is ours when it holds our value (an earlier attempt
// took it), taken when it holds another, and not taken (errUnsettled,
// with lockErr) when it is free. A Lock left unsettled is undone with a
// Release by the session, so that no name stays attached to it unknown
// to the registry.
func (r *Registry) settle(ctx context.Context, ss *session, key string, value []byte, name string, lockErr error) (uint64, error) {
	e, err := r.node.Read(ctx, key)
	switch {
	case err == nil && bytes.Equal(e.Value, value):
		return e.Token, nil
	case err == nil:
		return 0, fmt.Errorf("%w: %q is held by %s: %w", ErrNameTaken, name, describe(e.Value), lockErr)
	case errors.Is(lockErr, locker.ErrLocked):
		return 0, fmt.Errorf("%w: %q: %w", ErrNameTaken, name, lockErr)
	case errors.Is(err, locker.ErrNotFound):
		return 0, fmt.Errorf("%w: %w", errUnsettled, lockErr) // the Read settled it: it never took effect
	}
	rctx, cancel := context.WithTimeout(r.ctx, r.cfg.lease)
	_, _ = ss.s.Release(rctx, key)
	cancel()
	return 0, lockErr
}

// reserve returns a new holding in state acquiring, entered in r.held, or
// the held holding c joins (joined).
func (r *Registry) reserve(ctx context.Context, c claim) (h *holding, joined bool, err error) {
	for {
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			return nil, false, ErrClosed
		}
		h = r.held[c.name]
		if h == nil {
			h = &holding{
				name: c.name, key: r.cfg.prefix + c.name, pid: c.pid, sys: c.sys,
				owner: c.owner, stopOnLoss: c.stopOnLoss,
				settled: make(chan struct{}), gone: make(chan struct{}),
			}
			r.held[c.name] = h
			r.mu.Unlock()
			return h, false, nil
		}
		var wait <-chan struct{}
		switch {
		case h.state == acquiring:
			wait = h.settled
		case h.state == releasing || h.sess.s.Err() != nil:
			wait = h.gone // released, or dropped with its session
		case h.pid.Address != c.pid.Address || h.pid.Id != c.pid.Id:
			r.mu.Unlock()
			return nil, false, fmt.Errorf("%w: %q is held by %s", ErrNameTaken, c.name, describe(h.value))
		case c.spawn && h.reserved && h.owner == nil:
			h.reserved = false // the spawn SpawnNamed took the name for
			r.mu.Unlock()
			return h, true, nil
		case c.fresh || c.spawn:
			r.mu.Unlock()
			return nil, false, fmt.Errorf("%w: %q is already registered here", ErrNameTaken, c.name)
		case c.owner == nil || h.owner == c.owner:
			r.mu.Unlock()
			return h, true, nil
		case h.owner == nil: // an actor claims the name taken for it
			h.owner, h.stopOnLoss, h.sys = c.owner, true, c.sys
			r.mu.Unlock()
			return h, true, nil
		default: // an earlier incarnation of the actor has not released yet
			wait = h.gone
		}
		r.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, false, fmt.Errorf("registry: register %q: %w", c.name, ctx.Err())
		}
	}
}

// dropLocked stops h holding its name: the name is queued for its
// release, and h leaves r.held once it is done. h must be held.
func (r *Registry) dropLocked(h *holding) {
	r.unwatchLocked(h)
	if r.closed {
		r.finishLocked(h, ErrClosed)
		return
	}
	h.state = releasing
	r.queue = append(r.queue, h)
	if r.releasers < maxReleasers {
		r.releasers++
		r.wg.Add(1)
		go r.releaser()
	}
}

// finishLocked removes h from the registry, once.
func (r *Registry) finishLocked(h *holding, err error) {
	if h.state == dropped {
		return
	}
	h.state, h.releaseErr = dropped, err
	if r.held[h.name] == h {
		delete(r.held, h.name)
	}
	close(h.gone)
}

// releaser releases the queued names until the queue is empty.
func (r *Registry) releaser() {
	defer r.wg.Done()
	for {
		r.mu.Lock()
		if len(r.queue) == 0 || r.closed {
			r.releasers--
			r.mu.Unlock()
			return
		}
		h := r.queue[0]
		r.queue[0] = nil
		r.queue = r.queue[1:]
		r.mu.Unlock()
		err := r.release(h)
		r.mu.Lock()
		r.finishLocked(h, err)
		r.mu.Unlock()
	}
}

// release frees h's name with a Release by its session, retrying until
// it succeeds, the session ends (the name ends with it) or the registry
// closes (Close ends the session).
func (r *Registry) release(h *holding) error {
	s := h.sess.s
	for {
		if s.Err() != nil {
			return nil
		}
		ctx, cancel := context.WithTimeout(r.ctx, r.cfg.lease)
		_, err := s.Release(ctx, h.key)
		cancel()
		switch {
		case err == nil, errors.Is(err, locker.ErrNotOwner):
			return nil // released, or no longer ours
		case r.ctx.Err() != nil:
			return ErrClosed
		case errors.Is(err, locker.ErrStopped), errors.Is(err, locker.ErrInvalid):
			return fmt.Errorf("registry: release %q: %w", h.name, err)
		}
		t := time.NewTimer(r.cfg.lease / 10)
		select {
		case <-t.C:
		case <-s.Done():
		case <-r.ctx.Done():
		}
		t.Stop()
	}
}
