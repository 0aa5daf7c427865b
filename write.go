package locker

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/protolocker/locker/internal/proposer"
)

// Lock takes key for value for lease, if no one holds it, and returns the
// tenure's fencing token. It fails with ErrLocked (and ErrNoQuorum) when
// another tenure holds the key.
func (n *Node) Lock(ctx context.Context, key string, value []byte, lease time.Duration) (Result, error) {
	if err := n.checkWrite(key, value, lease); err != nil {
		return Result{}, err
	}
	return n.write(ctx, proposer.Request{Kind: proposer.Lock, Key: key, Value: bytes.Clone(value), Lease: int64(lease)})
}

// Update replaces the value of key from expected to value, keeping its
// expiry, and starts a new tenure with a new fencing token. It fails with
// ErrNotOwner when the key holds another value, ErrNotFound when it is not
// held.
func (n *Node) Update(ctx context.Context, key string, expected, value []byte) (Result, error) {
	if err := n.checkWrite(key, value, 1); err != nil {
		return Result{}, err
	}
	if expected == nil {
		return Result{}, fmt.Errorf("%w: nil expected value", ErrInvalid)
	}
	return n.write(ctx, proposer.Request{Kind: proposer.Update, Key: key, Value: bytes.Clone(value), Expected: bytes.Clone(expected)})
}

// ExtendLease sets the expiry of key to lease from now, if the key still
// holds value. The call acts on the tenure that holds value when it first
// reads the key, never on a later one (docs/protocol.md, "Binding value
// calls to a tenure"). It takes one round when this node wrote the key
// last. It fails with ErrNotOwner when another value holds the key,
// ErrNotFound when it is not held. A key attached to a session (see
// Session.Lock) stays attached: it lives with its session, whatever the
// lease, and so does it after Update.
func (n *Node) ExtendLease(ctx context.Context, key string, value []byte, lease time.Duration) (Result, error) {
	if err := n.checkWrite(key, value, lease); err != nil {
		return Result{}, err
	}
	return n.write(ctx, proposer.Request{Kind: proposer.Extend, Key: key, Value: bytes.Clone(value), Lease: int64(lease)})
}

// Release frees key if it holds value, acting on one tenure as
// ExtendLease does. Releasing a key that is not held succeeds; it fails
// with ErrNotOwner when another value holds it.
func (n *Node) Release(ctx context.Context, key string, value []byte) (Result, error) {
	if err := n.checkWrite(key, value, 1); err != nil {
		return Result{}, err
	}
	return n.write(ctx, proposer.Request{Kind: proposer.Release, Key: key, Value: bytes.Clone(value)})
}

func (n *Node) checkWrite(key string, value []byte, lease time.Duration) error {
	if err := checkKey(key); err != nil {
		return err
	}
	switch {
	case value == nil:
		return fmt.Errorf("%w: nil value", ErrInvalid)
	case lease <= 0:
		return fmt.Errorf("%w: lease %v is not positive", ErrInvalid, lease)
	case lease > n.cfg.MaxLease:
		return fmt.Errorf("%w: lease %v exceeds MaxLease %v", ErrInvalid, lease, n.cfg.MaxLease)
	}
	return nil
}

// checkKey refuses a key a user may not write: empty, too long, or
// reserved.
func checkKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: empty key", ErrInvalid)
	case len(key) > maxKeyLen:
		return fmt.Errorf("%w: key of %d bytes, at most %d", ErrInvalid, len(key), maxKeyLen)
	case strings.HasPrefix(key, reservedPrefix):
		return fmt.Errorf("%w: keys starting with %q are reserved", ErrInvalid, reservedPrefix)
	}
	return nil
}

// write runs a write call and turns its outcome into a Result or error.
func (n *Node) write(ctx context.Context, req proposer.Request) (Result, error) {
	o, err := n.run(ctx, req)
	if err != nil {
		return Result{}, err
	}
	n.settle(req.Key, o)
	res := Result{W: o.res.W, Votes: o.res.Votes, Commits: o.res.Commits, Token: o.res.Token}
	return res, o.err(req.Kind)
}

// settle records that key is left unsettled when a write ended
// indeterminate; the node's next Read of key settles it.
func (n *Node) settle(key string, o outcome) {
	if o.out == proposer.Indeterminate {
		n.unset.mark(key)
	}
}

// err turns a failed outcome into its error; nil for success.
func (o outcome) err(kind proposer.Kind) error {
	switch o.out {
	case proposer.OK:
		return nil
	case proposer.Locked:
		return fmt.Errorf("%w: %w: another tenure holds the key (token %d)", ErrNoQuorum, ErrLocked, o.res.Token)
	case proposer.NotOwner:
		return fmt.Errorf("%w: %w: another value holds the key (token %d)", ErrNoQuorum, ErrNotOwner, o.res.Token)
	case proposer.NotFound:
		return fmt.Errorf("%w: %w: the key is not held", ErrNoQuorum, ErrNotFound)
	case proposer.Indeterminate:
		return fmt.Errorf("%w: %s %s", ErrIndeterminate, kind, o.problem)
	}
	return fmt.Errorf("%w: %s", ErrNoQuorum, o.problem)
}
