package locker

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/protolocker/locker/cluster"
	"github.com/protolocker/locker/lease"
)

// A request id is a call id with the target's index in its low bits, so
// that replies name their sender and duplicates are counted once.
const indexMask = 1<<cluster.IndexBits - 1

// Local names for the quorum outcomes.
const (
	pending = lease.Pending
	won     = lease.Won
	lost    = lease.Lost
)

// tally counts one phase's answers, one per master.
type tally struct {
	w, n    int
	seen    []bool
	yes, no int
}

func newTally(w, n int) *tally { return &tally{w: w, n: n, seen: make([]bool, n)} }

// add counts master i's answer once and reports whether it was new.
func (t *tally) add(i int, yes bool) bool {
	if i < 0 || i >= t.n || t.seen[i] {
		return false
	}
	t.seen[i] = true
	if yes {
		t.yes++
	} else {
		t.no++
	}
	return true
}

func (t *tally) outcome() lease.Outcome { return lease.Decide(t.w, t.n, t.yes, t.no) }

// gather feeds the call's replies to on until done reports true, the
// context ends or the node stops. on receives the reply and the index of
// the master that sent it.
func (n *Node) gather(ctx context.Context, call *cluster.Call, on func(msg any, i int), done func() bool) error {
	for !done() {
		select {
		case r := <-call.Replies:
			id, ok := r.(interface{ GetReqId() uint64 })
			if !ok || id.GetReqId()&^indexMask != call.ID {
				continue
			}
			on(r, int(id.GetReqId()&indexMask))
		case <-ctx.Done():
			return ctx.Err()
		case <-n.stopped:
			return ErrStopped
		}
	}
	return nil
}

// open registers a call for up to targets repliers, a few replies each.
func (n *Node) open(targets int) *cluster.Call {
	return n.sink.Open(4*targets + 4)
}

// backoff waits a jittered, doubling delay before a retry, starting at
// 1ms and capped at 64ms; it returns false if ctx ends or the node stops
// first.
func (n *Node) backoff(ctx context.Context, attempt int) bool {
	d := time.Millisecond << min(attempt, 6)
	d = d/2 + rand.N(d/2+1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-n.stopped:
		return false
	}
}

// adopt handles a voter's refusal, in a round run in view round, for
// another membership: a newer view is installed here (and on this node's
// lease-holder), an older voter is sent ours. It returns an error when the
// views conflict at one version, or when the voter refuses the very view
// it holds (its address is not the one the masters list).
func (n *Node) adopt(theirs cluster.View, addr string, round cluster.View) error {
	if theirs.Version == round.Version && theirs.Hash() == round.Hash() {
		return fmt.Errorf("%w: %s refuses to vote in view %d: its address differs from the name in Masters", ErrNoQuorum, addr, round.Version)
	}
	mine := n.members.Load()
	switch {
	case theirs.Version > mine.Version:
		if n.members.Install(theirs) {
			n.send(n.Address(), viewUpdate(theirs))
		}
	case theirs.Version < mine.Version:
		n.send(addr, viewUpdate(mine))
	case theirs.Hash() != mine.Hash():
		return fmt.Errorf("%w: membership conflict at version %d with %s", ErrNoQuorum, mine.Version, addr)
	}
	return nil
}
