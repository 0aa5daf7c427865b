package locker

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/protolocker/locker/cluster"
	"github.com/protolocker/locker/messages"
)

// viewKey is the reserved key whose lock serializes membership changes.
const viewKey = reservedPrefix + "view"

// reservedPrefix starts the keys locker keeps for itself; user keys may
// not start with it.
const reservedPrefix = "\x00locker/"

// SetNodes installs a new membership on every node named before and
// after, this one included. It changes at most one master per call (add
// one, remove one, or promote a replica), so that a quorum of the old view
// and one of the new always share a master; replicas change freely. W
// follows: a majority of the new masters if it was a majority before,
// else unchanged.
//
// The change is serialized by a quorum lock on a reserved key in the old
// view, so concurrent changes cannot both win. It returns once W of the
// old masters and W of the new acknowledged the new view; the other nodes
// get it best-effort, and voters that missed it are brought up to date by
// the next coordinator they refuse.
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
	added, removed := diff(next.Masters, cur.Masters), diff(cur.Masters, next.Masters)
	if len(added)+len(removed) > 1 {
		return fmt.Errorf("%w: SetNodes changes one master at a time; this change adds %q and removes %q: "+
			"call SetNodes once per master, adding before removing (add %q, then remove %q)",
			ErrInvalid, added, removed, added, removed)
	}
	return n.install(ctx, cur, next)
}

// diff returns the elements of a that b lacks.
func diff(a, b []string) []string {
	var d []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			d = append(d, x)
		}
	}
	return d
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

// install takes the view lock in cur, pushes next, and releases the lock.
func (n *Node) install(ctx context.Context, cur, next cluster.View) error {
	ctx, cancel, err := n.bound(ctx)
	defer cancel()
	if err != nil {
		return err
	}
	token := []byte(fmt.Sprintf("%s@%d", n.Address(), next.Hash()))
	if _, err := n.twoPhase(ctx, messages.Op_OP_LOCK, viewKey, nil, token, n.viewLease(ctx)); err != nil {
		return fmt.Errorf("membership change to view %d: %w", next.Version, err)
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), n.cfg.RequestTimeout)
		defer cancel()
		_, _ = n.conditional(rctx, &messages.CondRequest{Op: messages.Op_OP_RELEASE, Key: viewKey, Value: token})
	}()
	if now := n.members.Load(); now.Version != cur.Version {
		return fmt.Errorf("%w: membership changed concurrently (now view %d); retry against it", ErrNoQuorum, now.Version)
	}
	return n.push(ctx, cur, next)
}

// viewLease is the lease of the view lock: the context's time left,
// within MaxLease.
func (n *Node) viewLease(ctx context.Context) time.Duration {
	d := n.cfg.MaxLease
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		d = max(time.Until(dl), time.Millisecond)
	}
	return d
}

// push sends next to every node of cur and next, and waits for W masters
// of each.
func (n *Node) push(ctx context.Context, cur, next cluster.View) error {
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
	oldAcks := newTally(cur.W, len(cur.Masters))
	newAcks := newTally(next.W, len(next.Masters))
	err := n.gather(ctx, call, phase{
		targets: targets,
		on: func(msg any, i int) bool {
			r, ok := msg.(*messages.ViewAck)
			if !ok || r.GetVersion() < next.Version {
				return false
			}
			if j, ok := slices.BinarySearch(cur.Masters, targets[i]); ok {
				oldAcks.add(j, true)
			}
			if j, ok := slices.BinarySearch(next.Masters, targets[i]); ok {
				newAcks.add(j, true)
			}
			return true
		},
		done: func() bool { return oldAcks.outcome() == won && newAcks.outcome() == won },
	})
	if err != nil {
		return fmt.Errorf("%w: view %d acknowledged by %d of %d old and %d of %d new masters: %w",
			ErrNoQuorum, next.Version, oldAcks.yes, len(cur.Masters), newAcks.yes, len(next.Masters), err)
	}
	return nil
}

func viewUpdate(v cluster.View) *messages.ViewUpdate {
	return &messages.ViewUpdate{View: v.Proto()}
}
