package locker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/protolocker/locker/internal/pause"
	"github.com/protolocker/locker/internal/quorum"
	"github.com/protolocker/locker/internal/view"
	"github.com/protolocker/locker/internal/viewchange"
	"github.com/protolocker/locker/lease"
)

// reservedPrefix starts keys that locker keeps out of users' hands, for
// its own use to come; user keys may not start with it.
const reservedPrefix = "\x00locker/"

// maxKeyLen bounds a key's length in bytes.
const maxKeyLen = lease.MaxKeyLen

// SetNodes changes the membership to masters and replicas. Any change is
// safe, including several masters at once and any sequence of changes:
// the old view is sealed and its state moved into the new masters before
// they vote (docs/protocol.md, "Views"). W follows: a majority of the new
// masters if it was a majority before, else unchanged (within the new
// masters' number). It needs W masters of the old view and W of the new
// one, and returns once the new view is chosen; nodes that missed it
// learn it from the first master that refuses them.
func (n *Node) SetNodes(ctx context.Context, masters, replicas []string) error {
	cur := n.members.Load()
	w := cur.W
	if w == quorum.Majority(len(cur.Masters)) || w > len(masters) {
		w = 0
	}
	target, err := view.NewView(cur.Version+1, masters, replicas, w)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return n.changeTo(ctx, target)
}

// SetW sets the number of votes a write needs: a majority of the masters
// at least, and at most their number.
func (n *Node) SetW(ctx context.Context, w int) error {
	cur := n.members.Load()
	if w == 0 {
		return fmt.Errorf("%w: W must be positive", ErrInvalid)
	}
	target, err := view.NewView(cur.Version+1, cur.Masters, cur.Replicas, w)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return n.changeTo(ctx, target)
}

// errConcurrent is the error of a change that lost to another.
var errConcurrent = errors.New("another membership change committed first")

// changeTo runs view changes to target's masters, replicas and W until
// one commits it, retrying after conflicts with other coordinators within
// the context. A concurrent change that commits another view first ends
// it with an error wrapping ErrNoQuorum.
func (n *Node) changeTo(ctx context.Context, target view.View) error {
	ctx, cancel, err := n.bound(ctx)
	defer cancel()
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		from := n.members.Load()
		if from.Version+1 != target.Version {
			// The view changed since the call computed its target: an
			// absolute list of masters would undo that change.
			return fmt.Errorf("%w: %w (now view %d); retry against it", ErrNoQuorum, errConcurrent, from.Version)
		}
		out, problem, err := n.change(ctx, from, target, false)
		switch {
		case err != nil:
			return err
		case out == viewchange.OK:
			return nil
		case out == viewchange.Completed:
			return fmt.Errorf("%w: %w: view %d; retry against it", ErrNoQuorum, errConcurrent, n.members.Load().Version)
		case out == viewchange.NoQuorum:
			return fmt.Errorf("%w: membership change to view %d: %s", ErrNoQuorum, from.Version+1, problem)
		}
		if !n.sleep(ctx, backoff(attempt)) {
			return fmt.Errorf("%w: membership change to view %d: %s", ErrNoQuorum, from.Version+1, problem)
		}
	}
}

// change runs one view change from view from to target's masters,
// replicas and W, hosting its state machine on the caller's goroutine.
func (n *Node) change(ctx context.Context, from, target view.View, transfer bool) (viewchange.Outcome, string, error) {
	to, err := view.NewView(from.Version+1, target.Masters, target.Replicas, target.W)
	if err != nil {
		return viewchange.NoQuorum, "", fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	call := n.sink.Open(4*(len(from.Nodes())+len(to.Nodes())) + 16)
	defer call.Close()
	ch := viewchange.New(viewchange.Config{
		LockDelay: int64(n.cfg.LockDelay), RoundTimeout: int64(n.cfg.RoundTimeout), PageLimit: lease.DumpLimit,
		Transfer: transfer, Carried: n.holder.Carried(from),
	}, from, to, n.local.Ballot(), call.ID)
	send := func(sends []viewchange.Send) {
		for _, s := range sends {
			n.send(s.To, s.Msg)
		}
	}
	send(ch.Start(n.now()))
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for !ch.Done() {
		timer.Reset(time.Duration(ch.Deadline() - n.now()))
		select {
		case r := <-call.Replies:
			send(ch.Step(n.now(), r))
		case <-timer.C:
			send(ch.Tick(n.now()))
		case <-ctx.Done():
			return viewchange.NoQuorum, "the call's context ended: " + ctx.Err().Error(), nil
		case <-n.stopped:
			return viewchange.NoQuorum, "", ErrStopped
		}
	}
	higher, newer := ch.Higher()
	n.local.Observe(higher)
	if newer != nil {
		n.adopt(*newer)
	}
	out, problem := ch.Outcome()
	if out == viewchange.OK || out == viewchange.Completed {
		n.adopt(ch.Committed())
	}
	return out, problem, nil
}

// backoff is a jittered wait before retry attempt, doubling from 5ms to
// at most 160ms.
func backoff(attempt int) time.Duration { return pause.Backoff(attempt, 5*time.Millisecond, 5) }

// sleep waits d; false if ctx ends or the node stops first.
func (n *Node) sleep(ctx context.Context, d time.Duration) bool {
	return pause.Sleep(ctx, d, n.stopped)
}
