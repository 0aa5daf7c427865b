package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/protolocker/locker"
)

// session is a locker session of the registry, which its names attach
// to.
type session struct {
	s     *locker.Session
	ended bool // guarded by Registry.mu: lost or closed; no name is taken on it any more
}

// opening is a session being opened; done is closed once ss or err is
// set.
type opening struct {
	done chan struct{}
	err  error
}

// session returns the live session that names attach to, opening one
// when there is none. Concurrent callers share one opening, bounded by
// the lease; its error is theirs, and the next call tries again.
func (r *Registry) session(ctx context.Context) (*session, error) {
	for {
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			return nil, ErrClosed
		}
		if ss := r.cur; ss != nil {
			if ss.s.Err() == nil {
				r.mu.Unlock()
				return ss, nil
			}
			r.cur = nil // ended: its keeper drops its names
		}
		op := r.opening
		if op == nil {
			op = &opening{done: make(chan struct{})}
			r.opening = op
			r.wg.Add(1)
			go r.keep(op)
		}
		r.mu.Unlock()
		select {
		case <-op.done:
			if op.err != nil {
				return nil, op.err
			}
		case <-ctx.Done():
			return nil, fmt.Errorf("registry: waiting for the session: %w", ctx.Err())
		}
	}
}

// keep opens a session for op, makes it the registry's current one, and
// when it ends drops every name attached to it (lost).
func (r *Registry) keep(op *opening) {
	defer r.wg.Done()
	s, err := r.open()
	r.mu.Lock()
	r.opening = nil
	var ss *session
	switch {
	case r.closed:
		op.err = ErrClosed
	case err != nil:
		op.err = fmt.Errorf("registry: %w", err)
	default:
		ss = &session{s: s}
		r.cur = ss
	}
	close(op.done)
	r.mu.Unlock()
	if ss == nil {
		if err == nil { // opened as the registry closed: nothing is attached to it
			ctx, cancel := context.WithTimeout(context.Background(), r.cfg.lease)
			_ = s.Close(ctx)
			cancel()
		}
		return
	}
	select {
	case <-s.Done():
		r.lost(ss)
	case <-r.ctx.Done(): // Close or Abandon ends the session
	}
}

// open opens a session, trying again within the lease while the masters
// do not answer in time (a session that may have been opened by a failed
// attempt holds nothing, and expires).
func (r *Registry) open() (*locker.Session, error) {
	ctx, cancel := context.WithTimeout(r.ctx, r.cfg.lease)
	defer cancel()
	for {
		s, err := r.node.NewSession(ctx, r.cfg.lease)
		if err == nil || !errors.Is(err, locker.ErrNoQuorum) || errors.Is(err, locker.ErrStopped) ||
			errors.Is(err, locker.ErrInvalid) || !sleepWithin(ctx, retryPause) {
			return s, err
		}
	}
}

// lost handles the end of session ss: it drops every name attached to
// it, stops the actors that hold their names through the registry, then
// publishes a LeaseLost event per name. Done closes before the session
// could have expired on any master, so the actors are stopped before
// another holder can take their names. The next registration opens a
// new session.
func (r *Registry) lost(ss *session) {
	r.mu.Lock()
	ss.ended = true
	if r.cur == ss {
		r.cur = nil
	}
	if r.closed {
		r.mu.Unlock()
		return
	}
	var gone []*holding
	for _, h := range r.held {
		if h.sess != ss || h.state != held {
			continue // names being taken see the session ended; those being released end with it
		}
		r.unwatchLocked(h)
		r.finishLocked(h, nil)
		gone = append(gone, h)
	}
	r.mu.Unlock()

	// One goroutine stops them all, before any event: a Stop is a
	// system message, sent without waiting.
	stopped := 0
	for _, h := range gone {
		if h.stopOnLoss && h.sys != nil {
			h.sys.Root.Stop(h.pid)
			stopped++
		}
	}
	cause := ss.s.Err()
	err := fmt.Errorf("%w: session %d ended: %w", ErrLeaseLost, ss.s.ID(), cause)
	if r.sys != nil && len(gone) > 0 && !errors.Is(cause, locker.ErrSessionClosed) {
		r.sys.Logger().Warn("registry: session lost", slog.Uint64("session", ss.s.ID()),
			slog.Int("names", len(gone)), slog.Int("stopped", stopped), slog.Any("err", cause))
	}
	if !errors.Is(cause, locker.ErrSessionClosed) {
		r.metrics.lostNames(len(gone))
	}
	for _, h := range gone {
		sys := h.sys
		if sys == nil {
			sys = r.sys
		}
		if sys == nil {
			continue
		}
		sys.EventStream.Publish(&LeaseLost{Name: h.name, PID: actor.NewPID(h.pid.Address, h.pid.Id), Err: err})
	}
}

// sessionEnded reports that err says the session ended under a call.
func sessionEnded(err error) bool {
	return errors.Is(err, locker.ErrSessionLost) || errors.Is(err, locker.ErrSessionClosed)
}
