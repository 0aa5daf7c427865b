package locker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/protolocker/locker/internal/proposer"
	"github.com/protolocker/locker/lease"
)

// Session is a lease that keys attach to, as an etcd lease or a Chubby
// session: the masters hold it like any key, renewing it costs one round
// per period however many keys are attached, and every attached key lives
// while the session does and ends with it on each master. Create one with
// Node.NewSession. Its methods are safe for concurrent use.
type Session struct {
	n      *Node
	id     uint64
	key    string
	value  []byte // the register's value: the owner node's address
	ttl    time.Duration
	margin time.Duration

	done    chan struct{}
	quit    chan struct{} // closed by Close and Orphan: renewal stops
	renewed sync.WaitGroup

	mu       sync.Mutex
	err      error     // why done closed
	deadline time.Time // last renewal's send time + TTL - margin
	timer    *time.Timer
	quitOnce sync.Once
}

// NewSession opens a session of ttl on the masters and renews it every
// ttl/3 until Close, Orphan, Stop, or a renewal that cannot succeed in
// time. ttl is at most MaxLease.
func (n *Node) NewSession(ctx context.Context, ttl time.Duration) (*Session, error) {
	switch {
	case ttl <= 0:
		return nil, fmt.Errorf("%w: session TTL %v is not positive", ErrInvalid, ttl)
	case ttl > n.cfg.MaxLease:
		return nil, fmt.Errorf("%w: session TTL %v exceeds MaxLease %v", ErrInvalid, ttl, n.cfg.MaxLease)
	}
	s, sent, err := n.openSession(ctx, ttl)
	if err != nil {
		return nil, err
	}
	s.deadline = sent.Add(ttl - s.margin)
	s.mu.Lock()
	s.timer = time.AfterFunc(untilAtLeastNow(s.deadline), s.expire)
	s.mu.Unlock()
	s.renewed.Add(1)
	if !n.goBackground(s.renew) {
		s.renewed.Done()
		s.end(ErrStopped)
		return nil, ErrStopped
	}
	return s, nil
}

// openSession locks the register of a new session id: 64 random bits,
// drawn again in the unlikely case that the id is taken
// (docs/protocol.md, "Sessions").
func (n *Node) openSession(ctx context.Context, ttl time.Duration) (*Session, time.Time, error) {
	for {
		id := rand.Uint64()
		if id == 0 {
			continue
		}
		s := &Session{n: n, id: id, key: lease.SessionKey(id), value: []byte(n.Address()), ttl: ttl,
			margin: SessionMargin(ttl), done: make(chan struct{}), quit: make(chan struct{})}
		sent := time.Now()
		_, err := n.write(ctx, proposer.Request{Kind: proposer.Lock, Key: s.key, Value: s.value, Lease: int64(ttl)})
		switch {
		case err == nil:
			return s, sent, nil
		case !errors.Is(err, ErrLocked):
			return nil, time.Time{}, fmt.Errorf("open session: %w", err)
		}
	}
}

// SessionMargin is how long before its lease could end on any master a
// session counts as lost: a tenth of its TTL, at least 10ms, at most half
// the TTL. It covers clock drift between nodes over one TTL.
func SessionMargin(ttl time.Duration) time.Duration {
	return min(max(ttl/10, 10*time.Millisecond), ttl/2)
}

// ID returns the session's id, unique in the cluster.
func (s *Session) ID() uint64 { return s.id }

// Node returns the node the session runs on.
func (s *Session) Node() *Node { return s.n }

// TTL returns the session's time to live.
func (s *Session) TTL() time.Duration { return s.ttl }

// Done is closed before the session could have expired on any master:
// at the last successful renewal's send time plus the TTL, minus the
// margin (SessionMargin), or when it is closed, or its node stopped.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err says why Done closed: ErrSessionLost, ErrSessionClosed or
// ErrStopped. nil while the session lives.
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Deadline returns the moment Done closes unless the session is renewed
// before.
func (s *Session) Deadline() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deadline
}

// Lock takes key for value, attached to the session: the key lives while
// the session does, and its fencing token orders it among every tenure of
// the key as Node.Lock's does. It fails as Node.Lock does, and with
// ErrSessionLost or ErrSessionClosed when the session ended.
func (s *Session) Lock(ctx context.Context, key string, value []byte) (Result, error) {
	if err := s.n.checkWrite(key, value, 1); err != nil {
		return Result{}, err
	}
	if err := s.Err(); err != nil {
		return Result{}, err
	}
	res, err := s.n.write(ctx, proposer.Request{Kind: proposer.Lock, Key: key, Value: bytes.Clone(value), Session: s.id})
	if err == nil {
		if serr := s.Err(); serr != nil {
			// Taken, but on a session that ended meanwhile: it is not
			// held.
			return Result{}, fmt.Errorf("%w: the session ended while the key was taken", serr)
		}
	}
	return res, err
}

// Release frees key if it is attached to this session, whatever its
// value. Releasing a key that is not held succeeds; it fails with
// ErrNotOwner when another tenure holds it.
func (s *Session) Release(ctx context.Context, key string) (Result, error) {
	if err := checkKey(key); err != nil {
		return Result{}, err
	}
	return s.n.write(ctx, proposer.Request{Kind: proposer.Release, Key: key, Session: s.id})
}

// Close ends the session: renewal stops, Done closes, and the session is
// released on the masters, which ends every key attached to it there.
// After an error (no quorum) the keys end with the TTL instead.
func (s *Session) Close(ctx context.Context) error {
	s.stopRenewing()
	s.end(ErrSessionClosed)
	_, err := s.n.write(ctx, proposer.Request{Kind: proposer.Release, Key: s.key, Value: s.value})
	if err != nil {
		return fmt.Errorf("close session: %w", err)
	}
	return nil
}

// Orphan stops renewing the session: it and its keys end with the TTL,
// and Done closes at its deadline, as when renewal fails.
func (s *Session) Orphan() { s.stopRenewing() }

func (s *Session) stopRenewing() {
	s.quitOnce.Do(func() { close(s.quit) })
	s.renewed.Wait()
}

// renew extends the session every TTL/3, retrying sooner after a failure,
// until it is told to stop or the session ends.
func (s *Session) renew() {
	defer s.renewed.Done()
	every := s.ttl / 3
	t := time.NewTimer(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-s.quit:
			return
		case <-s.done:
			return
		case <-s.n.stopped:
			s.end(ErrStopped)
			return
		}
		next, fatal := s.renewOnce()
		if fatal != nil {
			s.end(fatal)
			return
		}
		t.Reset(next)
	}
}

// renewOnce extends the session once, and says when to try next; fatal
// is set when no renewal can succeed any more.
func (s *Session) renewOnce() (next time.Duration, fatal error) {
	s.mu.Lock()
	deadline := s.deadline
	s.mu.Unlock()
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	sent := time.Now()
	_, err := s.n.write(ctx, proposer.Request{Kind: proposer.Extend, Key: s.key, Value: s.value, Lease: int64(s.ttl)})
	if err == nil {
		s.n.metrics.renewals.Add(context.Background(), 1, s.n.metrics.renewOK...)
		s.extend(sent.Add(s.ttl - s.margin))
		return s.ttl / 3, nil
	}
	s.n.metrics.renewals.Add(context.Background(), 1, s.n.metrics.renewFail...)
	s.n.warn("session renewal failed", slog.Uint64("session", s.id), slog.Any("error", err))
	switch {
	case isRefusal(err):
		return 0, fmt.Errorf("%w: %w", ErrSessionLost, err) // the masters hold it expired or released
	case errors.Is(err, ErrStopped):
		return 0, ErrStopped
	}
	return min(s.ttl/10, time.Until(deadline)/2) + time.Millisecond, nil
}

// extend moves the deadline to d, if it is later.
func (s *Session) extend(d time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil || !d.After(s.deadline) {
		return
	}
	s.deadline = d
	// A new timer rather than Reset: resetting an AfterFunc timer inside
	// a synctest bubble can crash the runtime (see actor/holder.go).
	s.timer.Stop()
	s.timer = time.AfterFunc(untilAtLeastNow(d), s.expire)
}

// isRefusal reports that the masters refused a renewal from the state
// they hold: the session is expired or released there.
func isRefusal(err error) bool { return errors.Is(err, ErrNotOwner) || errors.Is(err, ErrNotFound) }

// expire runs at the deadline: the session is lost unless it was renewed
// since.
func (s *Session) expire() {
	s.mu.Lock()
	late := !time.Now().Before(s.deadline)
	s.mu.Unlock()
	if late {
		s.end(ErrSessionLost)
	}
}

// end closes Done with err, once.
func (s *Session) end(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return
	}
	s.err = err
	s.timer.Stop()
	close(s.done)
	if errors.Is(err, ErrSessionLost) {
		s.n.calls.lost.Add(1)
		s.n.metrics.lost.Add(context.Background(), 1, s.n.metrics.self...)
		s.n.system.Logger().Info("locker: session lost", slog.Uint64("session", s.id), slog.Duration("ttl", s.ttl))
	}
}

// untilAtLeastNow is the time until t, at least a microsecond: a timer
// already due when it was made has crashed the runtime inside a synctest
// bubble (see actor/holder.go). expire checks the deadline itself.
func untilAtLeastNow(t time.Time) time.Duration { return max(time.Until(t), time.Microsecond) }
