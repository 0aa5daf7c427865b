package concurrency

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/protolocker/locker"
)

// How Observe notices changes of the leader in the node's table: a
// release wakes it at once; a new value in place (Proclaim, or a new
// leader the table learned with no release in between) within
// observePoll; and it reads the leader again every observeRecheck.
const (
	observePoll    = 20 * time.Millisecond
	observeRecheck = time.Second
)

// Observe returns a channel that receives the leader, as a quorum of
// masters holds it, when Observe starts and after every change: a new
// leader or a proclaimed value, in the order of their tokens. The
// changes are noticed through this node's table; a leader that comes and
// goes faster than the observer reads may be skipped, and an observer
// that receives late gets the newest leader. The channel closes when ctx
// ends or the node stops.
func (e *Election) Observe(ctx context.Context) <-chan Leader {
	ch := make(chan Leader)
	if e.c.err != nil {
		close(ch)
		return ch
	}
	go e.observe(ctx, ch)
	return ch
}

func (e *Election) observe(ctx context.Context, ch chan<- Leader) {
	defer close(ch)
	var last uint64 // token of the last leader sent
	var b backoff
	for {
		seen, err := e.c.n.WaitFor(ctx, e.c.key)
		if err != nil {
			return
		}
		l, err := e.Leader(ctx)
		switch {
		case err == nil && l.Token > last:
			select {
			case ch <- l:
			case <-ctx.Done():
				return
			}
			last = l.Token
		case err == nil, errors.Is(err, ErrNoLeader):
		case ctx.Err() != nil, errors.Is(err, locker.ErrStopped):
			return
		default:
			if b.wait(ctx) != nil {
				return
			}
			continue
		}
		b = backoff{}
		if e.awaitChange(ctx, seen) != nil {
			return
		}
	}
}

// awaitChange waits until this node's table no longer shows seen for the
// election's key, or observeRecheck passed.
func (e *Election) awaitChange(ctx context.Context, seen []byte) error {
	end := time.Now().Add(observeRecheck)
	for time.Now().Before(end) {
		if v, err := e.c.n.DirtyRead(e.c.key); err != nil || !bytes.Equal(v, seen) {
			return nil
		}
		wctx, cancel := context.WithTimeout(ctx, observePoll)
		err := e.c.n.WaitForRelease(wctx, e.c.key)
		cancel()
		switch {
		case err == nil, errors.Is(err, locker.ErrNotFound):
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case !errors.Is(err, context.DeadlineExceeded):
			return err
		}
	}
	return nil
}
