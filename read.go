package locker

import (
	"context"
	"fmt"

	"github.com/protolocker/locker/internal/proposer"
)

// DirtyRead returns the value of key in this node's table, with no
// message sent: it may be stale. The returned slice is shared with the
// table and must not be modified. ErrNotFound when the key is not held
// here.
func (n *Node) DirtyRead(key string) ([]byte, error) {
	if e, ok := n.store.Get(key); ok {
		return e.Value, nil
	}
	return nil, ErrNotFound
}

// Read returns the value of key and its fencing token as a quorum of
// masters holds it: linearizable. It takes one round when W masters agree
// on the newest state, two when they differ (it writes the newest back,
// completing a write that half happened). After a write from this node
// ended in ErrIndeterminate, its next Read of the key always writes the
// newest state back, which settles that write: it has taken effect, or
// never will. ErrNotFound when the key is not held.
func (n *Node) Read(ctx context.Context, key string) (Entry, error) {
	if key == "" || len(key) > maxKeyLen {
		return Entry{}, fmt.Errorf("%w: empty or oversized key", ErrInvalid)
	}
	// After this node's indeterminate write of key, the read writes the
	// newest state back, so that its answer settles the write.
	unsettled := n.unset.has(key)
	o, err := n.run(ctx, proposer.Request{Kind: proposer.Read, Key: key, Repair: unsettled})
	if err == nil && unsettled && o.out == proposer.OK {
		n.unset.clear(key)
	}
	switch {
	case err != nil:
		return Entry{}, err
	case o.out != proposer.OK:
		return Entry{}, o.err(proposer.Read)
	case !o.res.Found:
		return Entry{}, ErrNotFound
	}
	return Entry{Value: o.res.Value, Token: o.res.Token}, nil
}
