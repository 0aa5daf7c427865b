package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/protolocker/locker"
)

type holdState int

const (
	acquiring holdState = iota // Lock in flight
	held                       // renewed in the background
	releasing                  // renewal stopped, Release in flight
)

// holding is one name this registry holds or is taking. Its fields below
// the line are guarded by Registry.mu.
type holding struct {
	name, key string
	value     []byte
	pid       *actor.PID         // the PID named (read-only)
	sys       *actor.ActorSystem // where pid's actor runs, if it is local; may be nil
	settled   chan struct{}      // closed when the acquisition ends
	gone      chan struct{}      // closed when removed from the registry
	kept      chan struct{}      // closed when the renewal goroutine has returned
	ctx       context.Context    // ended when renewal must stop
	cancel    context.CancelFunc

	state      holdState
	owner      actor.ReceiverContext // the actor incarnation that claimed the name; nil if none
	stopOnLoss bool                  // pid is an actor that runs only while it holds the name
	watched    bool
	abandon    bool      // drop without releasing (Abandon)
	sent       time.Time // when the last successful Lock or ExtendLease was sent
	deadline   time.Time // sent + lease - margin
	lastErr    error     // of the last failed renewal
	loss       *time.Timer
	lossGen    uint64
	releaseErr error
}

// claim describes a request for a name.
type claim struct {
	name       string
	value      []byte
	pid        *actor.PID
	sys        *actor.ActorSystem
	owner      actor.ReceiverContext // the middleware's actor, or nil
	stopOnLoss bool
	fresh      bool // fail if this registry already holds the name (SpawnNamed)
}

// acquire takes c.name for c.value, or joins this registry's holding of
// it when that is the same value (an actor claiming the name SpawnNamed
// took for it, a restart, a repeated Register). It waits for holdings of
// the name being taken or released here to settle, within ctx.
func (r *Registry) acquire(ctx context.Context, c claim) (*holding, error) {
	h, joined, err := r.reserve(ctx, c)
	if err != nil || joined {
		return h, err
	}
	key := r.cfg.prefix + c.name
	sent := time.Now()
	lctx, cancel := context.WithDeadline(ctx, sent.Add(r.cfg.lease-r.cfg.margin))
	_, err = r.node.Lock(lctx, key, c.value, r.cfg.lease)
	if errors.Is(err, locker.ErrLocked) {
		// The same value may be ours already: a placeholder, or a lease
		// left by an earlier incarnation of this very PID.
		if e, rerr := r.node.Read(lctx, key); rerr == nil && bytes.Equal(e.Value, c.value) {
			sent = time.Now()
			_, err = r.node.ExtendLease(lctx, key, c.value, r.cfg.lease)
		} else if rerr == nil {
			err = fmt.Errorf("%w: %q is held by %s: %w", ErrNameTaken, c.name, describe(e.Value), err)
		} else {
			err = fmt.Errorf("%w: %q: %w", ErrNameTaken, c.name, err)
		}
	}
	cancel()

	r.mu.Lock()
	close(h.settled)
	if err == nil && !r.closed {
		h.state = held
		h.sent, h.deadline = sent, sent.Add(r.cfg.lease-r.cfg.margin)
		r.armLocked(h)
		r.wg.Add(1)
		go r.keep(h)
		r.mu.Unlock()
		return h, nil
	}
	h.cancel()
	delete(r.held, c.name)
	close(h.gone)
	closed := r.closed
	r.mu.Unlock()
	if err == nil && closed {
		rctx, cancel := context.WithTimeout(context.Background(), r.cfg.lease)
		_, _ = r.node.Release(rctx, key, c.value)
		cancel()
		err = ErrClosed
	}
	if errors.Is(err, ErrNameTaken) || errors.Is(err, ErrClosed) {
		return nil, err
	}
	return nil, fmt.Errorf("registry: register %q: %w", c.name, err)
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
				name: c.name, key: r.cfg.prefix + c.name, value: c.value, pid: c.pid, sys: c.sys,
				owner: c.owner, stopOnLoss: c.stopOnLoss,
				settled: make(chan struct{}), gone: make(chan struct{}), kept: make(chan struct{}),
			}
			h.ctx, h.cancel = context.WithCancel(r.ctx)
			r.held[c.name] = h
			r.mu.Unlock()
			return h, false, nil
		}
		var wait <-chan struct{}
		switch {
		case h.state == acquiring:
			wait = h.settled
		case h.state == releasing:
			wait = h.gone
		case !bytes.Equal(h.value, c.value):
			r.mu.Unlock()
			return nil, false, fmt.Errorf("%w: %q is held by %s", ErrNameTaken, c.name, describe(h.value))
		case c.fresh:
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

// keep renews h until it is dropped.
func (r *Registry) keep(h *holding) {
	defer r.wg.Done()
	defer close(h.kept)
	for {
		r.mu.Lock()
		next := h.sent.Add(r.cfg.renewEvery)
		r.mu.Unlock()
		if !sleepUntil(h.ctx, next) || !r.renew(h) {
			return
		}
	}
}

// renew extends h's lease, retrying failed attempts until its deadline.
// It returns false when renewal must stop.
func (r *Registry) renew(h *holding) bool {
	for {
		r.mu.Lock()
		deadline := h.deadline
		r.mu.Unlock()
		sent := time.Now()
		if !sent.Before(deadline) {
			return false // the deadline timer drops h
		}
		actx, cancel := context.WithDeadline(h.ctx, minTime(deadline, sent.Add(r.cfg.attempt)))
		_, err := r.node.ExtendLease(actx, h.key, h.value, r.cfg.lease)
		cancel()
		switch {
		case err == nil:
			return r.renewed(h, sent)
		case h.ctx.Err() != nil:
			return false
		case errors.Is(err, locker.ErrNotOwner), errors.Is(err, locker.ErrNotFound),
			errors.Is(err, locker.ErrStopped), errors.Is(err, locker.ErrInvalid):
			r.lose(h, 0, err)
			return false
		}
		r.mu.Lock()
		h.lastErr = err
		r.mu.Unlock()
		if !sleepUntil(h.ctx, minTime(deadline, time.Now().Add(r.cfg.retry))) {
			return false
		}
	}
}

// renewed records a successful renewal sent at sent and moves the
// deadline.
func (r *Registry) renewed(h *holding, sent time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if h.state != held {
		return false
	}
	h.sent, h.deadline, h.lastErr = sent, sent.Add(r.cfg.lease-r.cfg.margin), nil
	r.armLocked(h)
	return true
}

// armLocked cancels h's deadline timer and schedules a new one at
// h.deadline.
func (r *Registry) armLocked(h *holding) {
	r.stopTimerLocked(h)
	gen := h.lossGen
	r.wg.Add(1)
	h.loss = time.AfterFunc(time.Until(h.deadline), func() {
		defer r.wg.Done()
		r.lose(h, gen, nil)
	})
}

func (r *Registry) stopTimerLocked(h *holding) {
	h.lossGen++
	if h.loss != nil && h.loss.Stop() {
		r.wg.Done()
	}
	h.loss = nil
}

// lose drops h after a failed renewal (gen 0, cause err) or when its
// deadline timer of generation gen fires; it stops the actor that holds
// the name and publishes LeaseLost.
func (r *Registry) lose(h *holding, gen uint64, err error) {
	r.mu.Lock()
	if h.state != held || (gen != 0 && gen != h.lossGen) {
		r.mu.Unlock()
		return
	}
	if err == nil {
		err = h.lastErr
		if err == nil {
			err = context.DeadlineExceeded
		}
		err = fmt.Errorf("%w: %q not renewed before its deadline: %w", ErrLeaseLost, h.name, err)
	} else {
		err = fmt.Errorf("%w: %q: %w", ErrLeaseLost, h.name, err)
	}
	r.dropLocked(h)
	stop, sys := h.stopOnLoss, h.sys
	r.mu.Unlock()

	if sys == nil {
		return
	}
	if stop {
		sys.Root.Stop(h.pid)
	}
	sys.Logger().Warn("registry: lease lost", slog.String("name", h.name),
		slog.String("pid", h.pid.String()), slog.Bool("stopped", stop), slog.Any("err", err))
	sys.EventStream.Publish(&LeaseLost{Name: h.name, PID: actor.NewPID(h.pid.Address, h.pid.Id), Err: err})
}

// dropLocked stops renewing h and releases its name in the background;
// h leaves r.held once the release is done. h must be held.
func (r *Registry) dropLocked(h *holding) {
	h.state = releasing
	h.cancel()
	r.stopTimerLocked(h)
	r.unwatchLocked(h)
	r.wg.Add(1)
	go r.release(h)
}

func (r *Registry) release(h *holding) {
	defer r.wg.Done()
	// A renewal sent after the release could install the name again on a
	// master: release once the renewal goroutine is done.
	<-h.kept
	var err error
	if !h.abandon {
		ctx, cancel := context.WithTimeout(context.Background(), r.cfg.lease)
		_, err = r.node.Release(ctx, h.key, h.value)
		cancel()
		if errors.Is(err, locker.ErrNotOwner) {
			err = nil // the name is not ours any more: nothing to release
		}
	}
	r.mu.Lock()
	h.releaseErr = err
	if r.held[h.name] == h {
		delete(r.held, h.name)
	}
	close(h.gone)
	r.mu.Unlock()
}

// sleepUntil waits until t; false if ctx ends first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
