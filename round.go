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
	grants  []bool // which masters said yes
	yes, no int
}

func newTally(w, n int) *tally {
	return &tally{w: w, n: n, seen: make([]bool, n), grants: make([]bool, n)}
}

// add counts master i's answer once and reports whether it was new.
func (t *tally) add(i int, yes bool) bool {
	if i < 0 || i >= t.n || t.seen[i] {
		return false
	}
	t.seen[i] = true
	t.grants[i] = yes
	if yes {
		t.yes++
	} else {
		t.no++
	}
	return true
}

func (t *tally) outcome() lease.Outcome { return lease.Decide(t.w, t.n, t.yes, t.no) }

// phase is one fan-out's bookkeeping for gather.
type phase struct {
	targets []string
	// on counts a reply from targets[i]; false if it did not count (a
	// duplicate, or a reply of another phase).
	on func(msg any, i int) bool
	// done reports that the phase is decided.
	done func() bool
	// silent, if set, counts a silent suspected target as a refusal, so
	// that a round does not wait for a node that is likely down once
	// everyone else has answered.
	silent func(i int)
}

// gather feeds the call's replies to the phase until it is decided, the
// context ends or the node stops. Targets that stay silent while it waits
// become suspects; any reply clears a suspect. Once only suspects are
// left to answer and the phase is still open, they get suspectGrace more
// before silent counts them.
func (n *Node) gather(ctx context.Context, call *cluster.Call, p phase) error {
	answered := make([]bool, len(p.targets))
	var grace <-chan time.Time
	for !p.done() {
		if grace == nil && p.silent != nil && n.suspects.onlyLeft(p.targets, answered) {
			t := time.NewTimer(suspectGrace)
			defer t.Stop()
			grace = t.C
		}
		select {
		case r := <-call.Replies:
			id, ok := r.(interface{ GetReqId() uint64 })
			if !ok || id.GetReqId()&^indexMask != call.ID {
				continue
			}
			i := int(id.GetReqId() & indexMask)
			if i < len(p.targets) && p.on(r, i) {
				answered[i] = true
				n.suspects.clear(p.targets[i])
			}
		case <-grace:
			for i, a := range answered {
				if !a {
					p.silent(i)
				}
			}
			p.silent = nil
		case <-ctx.Done():
			if ctx.Err() == context.DeadlineExceeded { // waited in vain, not cancelled
				n.suspects.mark(p.targets, answered)
			}
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
