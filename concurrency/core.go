package concurrency

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/protolocker/locker"
)

// lagWait bounds how long the head of a queue waits for a key that Lock
// found held to show in the node's table before it tries again.
const lagWait = 100 * time.Millisecond

// core is what a Mutex and an Election share: a key of the store, taken
// for a session under a header of its own, one hold at a time.
type core struct {
	s      *locker.Session
	n      *locker.Node
	key    string
	header []byte
	err    error // bad input, returned by every call

	attempts atomic.Uint64 // Lock calls sent to the store

	ops sync.Mutex // serializes the calls that write the key of a hold

	mu sync.Mutex
	h  *hold // the current hold; nil when not held
}

// hold is one tenure of the key, won by Lock, TryLock or Campaign.
type hold struct {
	w     *waiter // its place at the head of the node's queue
	value []byte  // the value that holds the key (guarded by core.mu)
	token uint64  // its fencing token (guarded by core.mu)
	over  chan struct{}
	once  sync.Once
}

func newCore(s *locker.Session, key string) *core {
	c := &core{s: s, key: key}
	n, err := nodeOf(s)
	if err == nil {
		err = checkKey(key)
	}
	if err != nil {
		c.err = fmt.Errorf("concurrency: %w", err)
		return c
	}
	c.n, c.header = n, newHeader(s.ID())
	return c
}

// current returns the hold, nil when there is none.
func (c *core) current() *hold {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.h
}

// token returns the fencing token of the hold, 0 when there is none.
func (c *core) token() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.h == nil {
		return 0
	}
	return c.h.token
}

// sessionEnded is the error of a call that found the session ended.
func sessionEnded(err error) error {
	return fmt.Errorf("concurrency: the session ended: %w", err)
}

// bind returns a context that ends with ctx or with the session.
func (c *core) bind(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-c.s.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// lock waits for its turn at the head of the node's queue for the key,
// then takes the key for value and returns the hold. With try it takes
// the key only if no one holds it or waits for it on this node, and
// makes one attempt.
func (c *core) lock(ctx context.Context, value []byte, try bool) (*hold, error) {
	if c.err != nil {
		return nil, c.err
	}
	if err := c.s.Err(); err != nil {
		return nil, sessionEnded(err)
	}
	sctx, cancel := c.bind(ctx)
	defer cancel()
	var w *waiter
	if try {
		if w = tryJoin(c.n, c.key); w == nil {
			return nil, fmt.Errorf("concurrency: %w: %q is held or awaited on this node", locker.ErrLocked, c.key)
		}
	} else {
		w = join(c.n, c.key)
		select {
		case <-w.turn:
		case <-sctx.Done():
			w.leave()
			return nil, c.failed(ctx, sctx.Err())
		}
	}
	value, token, unsettled, err := c.acquire(sctx, value, try)
	if err != nil {
		if unsettled {
			go c.abandon(w)
		} else {
			w.leave()
		}
		return nil, c.failed(ctx, err)
	}
	h := &hold{w: w, value: value, token: token, over: make(chan struct{})}
	c.mu.Lock()
	c.h = h
	c.mu.Unlock()
	go func() {
		// The next waiter may try once the hold is over: released, or
		// ended with its session.
		select {
		case <-c.s.Done():
		case <-h.over:
		}
		w.leave()
	}()
	return h, nil
}

// failed is the error of a lock that failed with err: the session's when
// it ended, ctx's when it ended.
func (c *core) failed(ctx context.Context, err error) error {
	switch {
	case c.s.Err() != nil:
		return sessionEnded(c.s.Err())
	case ctx.Err() != nil && !errors.Is(err, ctx.Err()):
		return fmt.Errorf("%w: %w", ctx.Err(), err)
	}
	return err
}

// acquire takes the key for value, as the head of the node's queue, and
// returns the value that holds it and its token. While another holds the
// key it waits until this node's table shows it gone, and tries again;
// with try it fails instead. It retries attempts that failed for want of
// a quorum until ctx ends. unsettled says it failed while an attempt may
// still take effect.
func (c *core) acquire(ctx context.Context, value []byte, try bool) (_ []byte, _ uint64, unsettled bool, _ error) {
	var b backoff
	for {
		if err := c.s.Err(); err != nil {
			return nil, 0, false, sessionEnded(err)
		}
		c.attempts.Add(1)
		res, err := c.s.Lock(ctx, c.key, value)
		switch {
		case err == nil:
			return value, res.Token, false, nil
		case errors.Is(err, locker.ErrIndeterminate):
			// The Lock may have taken effect: a Read on this node
			// settles it.
			v, token, mine, err := c.settle(ctx)
			switch {
			case err != nil:
				return nil, 0, true, err
			case mine:
				return v, token, false, nil
			}
			continue
		case errors.Is(err, locker.ErrLocked) && !try:
			if err := c.awaitRelease(ctx); err != nil {
				return nil, 0, false, err
			}
			b = backoff{}
			continue
		case errors.Is(err, locker.ErrLocked), c.s.Err() != nil, ctx.Err() != nil,
			!errors.Is(err, locker.ErrNoQuorum), try:
			return nil, 0, false, err
		}
		if err := b.wait(ctx); err != nil {
			return nil, 0, false, err
		}
	}
}

// settle reads the key after a write ended indeterminate; the Read, on
// this node, settles the write: it has taken effect or never will. mine
// says the key is held under this core's header, with value v and token.
// It retries Reads that fail for want of a quorum until ctx ends.
func (c *core) settle(ctx context.Context) (v []byte, token uint64, mine bool, _ error) {
	var b backoff
	for {
		e, err := c.n.Read(ctx, c.key)
		switch {
		case err == nil:
			return e.Value, e.Token, hasHeader(e.Value, c.header), nil
		case errors.Is(err, locker.ErrNotFound):
			return nil, 0, false, nil
		case !errors.Is(err, locker.ErrNoQuorum) || ctx.Err() != nil:
			return nil, 0, false, err
		}
		if err := b.wait(ctx); err != nil {
			return nil, 0, false, err
		}
	}
}

// abandon settles an attempt that was left indeterminate when its caller
// gave up, and releases the key if the attempt took effect; then w, still
// the head of the queue, leaves. It gives up when the session ends, which
// ends the key too.
func (c *core) abandon(w *waiter) {
	defer w.leave()
	ctx, cancel := c.bind(context.Background())
	defer cancel()
	_, _, mine, err := c.settle(ctx)
	if err != nil || !mine {
		return
	}
	_ = c.release(ctx)
}

// awaitRelease waits, after a Lock found the key held, until this node's
// table shows it gone. When the table does not show it held (it lags
// behind the masters, or the key is gone already), it waits up to
// lagWait for the key to show, and returns for another attempt if it
// does not.
func (c *core) awaitRelease(ctx context.Context) error {
	for {
		err := c.n.WaitForRelease(ctx, c.key)
		if !errors.Is(err, locker.ErrNotFound) {
			return err
		}
		wctx, cancel := context.WithTimeout(ctx, lagWait)
		_, err = c.n.WaitFor(wctx, c.key)
		cancel()
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			return nil
		default:
			return err
		}
	}
}

// release frees the key of the session's hold. It returns nil once the
// key is no longer held by the hold, and an error while it may be. After
// the session ended it makes one attempt and returns the session's error:
// the hold ended with the session, or before.
func (c *core) release(ctx context.Context) error {
	var b backoff
	for {
		_, err := c.s.Release(ctx, c.key)
		if serr := c.s.Err(); serr != nil {
			return sessionEnded(serr)
		}
		switch {
		case err == nil, errors.Is(err, locker.ErrNotOwner):
			// Released, or held by another session's tenure.
			return nil
		case errors.Is(err, locker.ErrIndeterminate):
			_, _, mine, err := c.settle(ctx)
			switch {
			case err != nil:
				return err
			case !mine:
				return nil
			}
			continue
		case !errors.Is(err, locker.ErrNoQuorum) || ctx.Err() != nil:
			return err
		}
		if err := b.wait(ctx); err != nil {
			return err
		}
	}
}

// unlock releases the hold: Mutex.Unlock and Election.Resign. It fails
// with none when there is no hold. The hold is over when it returns nil
// or the session's error; after another error it stands.
func (c *core) unlock(ctx context.Context, none error) error {
	if c.err != nil {
		return c.err
	}
	c.ops.Lock()
	defer c.ops.Unlock()
	h := c.current()
	if h == nil {
		return none
	}
	err := c.release(ctx)
	if err != nil && c.s.Err() == nil {
		return err
	}
	c.drop(h)
	return err
}

// drop ends hold h: the next waiter on the node becomes the head.
func (c *core) drop(h *hold) {
	c.mu.Lock()
	if c.h == h {
		c.h = nil
	}
	c.mu.Unlock()
	h.once.Do(func() { close(h.over) })
	h.w.leave()
}
