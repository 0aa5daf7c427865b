package concurrency

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/protolocker/locker"
)

// Leader is the leader of an election as the store holds it.
type Leader struct {
	Value []byte // the value the leader campaigned with or proclaimed
	Token uint64 // the fencing token of its tenure: it rises with every change
}

// Election is one campaigner in the election of a name, for a session.
// The leader holds the name's key, as a Mutex does, with its value. It is
// safe for concurrent use.
type Election struct{ c *core }

// NewElection returns a campaigner in the election name for session s.
// Bad input (a nil session, an empty or reserved name) is reported by
// every call, as an error that matches locker.ErrInvalid.
func NewElection(s *locker.Session, name string) *Election {
	return &Election{c: newCore(s, name)}
}

// Campaign blocks until the Election leads with value, the session ends
// (its error), or ctx ends. Campaigners on one node are served in the
// order they called. Leadership lasts until Resign or the end of the
// session: select on the session's Done while acting as the leader. A
// Campaign of an Election that leads proclaims value.
func (e *Election) Campaign(ctx context.Context, value []byte) error {
	if e.c.err == nil && e.c.current() != nil {
		return e.Proclaim(ctx, value)
	}
	_, err := e.c.lock(ctx, withHeader(e.c.header, value), false)
	return err
}

// Proclaim replaces the leader's value, keeping its leadership: the key
// gets a new tenure, whose token is above every earlier one. It fails
// with ErrNotLeader when the Election does not lead, and retries writes
// that fail for want of a quorum until ctx ends.
func (e *Election) Proclaim(ctx context.Context, value []byte) error {
	c := e.c
	if c.err != nil {
		return c.err
	}
	c.ops.Lock()
	defer c.ops.Unlock()
	h := c.current()
	if h == nil {
		return ErrNotLeader
	}
	if err := c.s.Err(); err != nil {
		return sessionEnded(err)
	}
	c.mu.Lock()
	old := h.value
	c.mu.Unlock()
	return c.update(ctx, h, old, withHeader(c.header, value))
}

// update replaces the value of hold h from old to value.
func (c *core) update(ctx context.Context, h *hold, old, value []byte) error {
	var b backoff
	for {
		res, err := c.n.Update(ctx, c.key, old, value)
		token, done := res.Token, err == nil
		switch {
		case err == nil:
		case errors.Is(err, locker.ErrIndeterminate):
			v, t, mine, serr := c.settle(ctx)
			switch {
			case serr != nil:
				return serr
			case !mine:
				return fmt.Errorf("%w: %w", ErrNotLeader, err)
			}
			token, done = t, bytes.Equal(v, value)
		case c.s.Err() != nil:
			return sessionEnded(c.s.Err())
		case errors.Is(err, locker.ErrNotOwner), errors.Is(err, locker.ErrNotFound):
			return fmt.Errorf("%w: %w", ErrNotLeader, err)
		case !errors.Is(err, locker.ErrNoQuorum) || ctx.Err() != nil:
			return err
		default:
			if err := b.wait(ctx); err != nil {
				return err
			}
		}
		if done {
			c.mu.Lock()
			h.value, h.token = value, token
			c.mu.Unlock()
			return nil
		}
	}
}

// Resign gives up leadership, if the Election leads: the next campaigner
// takes over one call later. It returns the session's error when the
// session ended first; after any other error (no quorum until ctx ended)
// the Election still leads.
func (e *Election) Resign(ctx context.Context) error { return e.c.unlock(ctx, nil) }

// Leader returns the current leader, as a quorum of masters holds it
// (linearizable). It fails with ErrNoLeader when no one leads.
func (e *Election) Leader(ctx context.Context) (Leader, error) {
	if e.c.err != nil {
		return Leader{}, e.c.err
	}
	en, err := e.c.n.Read(ctx, e.c.key)
	switch {
	case errors.Is(err, locker.ErrNotFound):
		return Leader{}, ErrNoLeader
	case err != nil:
		return Leader{}, err
	}
	return Leader{Value: bytes.Clone(payload(en.Value)), Token: en.Token}, nil
}

// Token returns the fencing token of the Election's leadership, 0 when it
// does not lead.
func (e *Election) Token() uint64 { return e.c.token() }

// Key returns the key of the election: its name.
func (e *Election) Key() string { return e.c.key }
