package locker

import (
	"context"
	"fmt"
	"slices"

	"github.com/protolocker/locker/cluster"
	"github.com/protolocker/locker/messages"
)

// SetNodes installs a new membership on every node named before and
// after, this one included. W follows: a majority of the new masters if
// it was a majority before, else unchanged. It returns once a majority of
// the old masters and a majority of the new masters acknowledged the new
// view; the other nodes get it best-effort, and voters that missed it are
// brought up to date by the next coordinator they refuse.
func (n *Node) SetNodes(ctx context.Context, masters, replicas []string) error {
	cur := n.members.Load()
	w := cur.W
	if w == cluster.Majority(len(cur.Masters)) {
		w = 0
	}
	next, err := cluster.NewView(cur.Version+1, masters, replicas, w)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return n.install(ctx, cur, next)
}

// SetW sets the number of votes a write needs: a majority of the masters
// at least, and at most their number.
func (n *Node) SetW(ctx context.Context, w int) error {
	cur := n.members.Load()
	if w == 0 {
		return fmt.Errorf("%w: W must be positive", ErrInvalid)
	}
	next, err := cluster.NewView(cur.Version+1, cur.Masters, cur.Replicas, w)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return n.install(ctx, cur, next)
}

func (n *Node) install(ctx context.Context, cur, next cluster.View) error {
	ctx, cancel, err := n.bound(ctx)
	defer cancel()
	if err != nil {
		return err
	}
	targets := cur.Nodes()
	for _, a := range next.Nodes() {
		if !slices.Contains(targets, a) {
			targets = append(targets, a)
		}
	}
	if !slices.Contains(targets, n.Address()) {
		targets = append(targets, n.Address())
	}
	if len(targets) > indexMask+1 {
		return fmt.Errorf("%w: more than %d nodes", ErrInvalid, indexMask+1)
	}
	call := n.open(len(targets))
	defer call.Close()
	for i, a := range targets {
		n.send(a, &messages.ViewUpdate{ReqId: call.ID | uint64(i), View: next.Proto()})
	}
	oldAcks := newTally(cluster.Majority(len(cur.Masters)), len(cur.Masters))
	newAcks := newTally(cluster.Majority(len(next.Masters)), len(next.Masters))
	err = n.gather(ctx, call, func(msg any, i int) {
		r, ok := msg.(*messages.ViewAck)
		if !ok || i >= len(targets) || r.GetVersion() < next.Version {
			return
		}
		if j, ok := slices.BinarySearch(cur.Masters, targets[i]); ok {
			oldAcks.add(j, true)
		}
		if j, ok := slices.BinarySearch(next.Masters, targets[i]); ok {
			newAcks.add(j, true)
		}
	}, func() bool { return oldAcks.outcome() == won && newAcks.outcome() == won })
	if err != nil {
		return fmt.Errorf("%w: view %d acknowledged by %d of %d old and %d of %d new masters: %w",
			ErrNoQuorum, next.Version, oldAcks.yes, len(cur.Masters), newAcks.yes, len(next.Masters), err)
	}
	return nil
}

func viewUpdate(v cluster.View) *messages.ViewUpdate {
	return &messages.ViewUpdate{View: v.Proto()}
}
