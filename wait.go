package locker

import (
	"context"
	"fmt"
)

// WaitFor blocks until key is present in this node's table (on a replica,
// until a master's batch brings it) and returns its value, shared and
// read-only. It fails with the context's error, or ErrStopped.
func (n *Node) WaitFor(ctx context.Context, key string) ([]byte, error) {
	if key == "" {
		return nil, fmt.Errorf("%w: empty key", ErrInvalid)
	}
	for {
		e, woken, cancel := n.store.WaitPresent(key)
		if e != nil {
			return e.Value, nil
		}
		if err := n.wait(ctx, woken, cancel); err != nil {
			return nil, err
		}
	}
}

// WaitForRelease blocks until key, held in this node's table now, is
// released or expires here. ErrNotFound if it is not held now.
func (n *Node) WaitForRelease(ctx context.Context, key string) error {
	if key == "" {
		return fmt.Errorf("%w: empty key", ErrInvalid)
	}
	held, woken, cancel := n.store.WaitGone(key)
	if !held {
		return ErrNotFound
	}
	return n.wait(ctx, woken, cancel)
}

func (n *Node) wait(ctx context.Context, woken <-chan struct{}, cancel func()) error {
	defer cancel()
	select {
	case <-woken:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-n.stopped:
		return ErrStopped
	}
}
