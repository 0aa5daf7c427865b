package locker

import (
	"fmt"

	"github.com/protolocker/locker/cluster"
	"github.com/protolocker/locker/messages"
)

// refusals classifies the masters' refusals of one round.
type refusals struct {
	locked, mismatch, notFound, wrongView, notReady, other int
	views                                                  []refusedView
}

type refusedView struct {
	view cluster.View
	addr string
}

func (r *refusals) note(s messages.Status, view *messages.View, addr string) {
	switch s {
	case messages.Status_STATUS_OK, messages.Status_STATUS_INSTALLED:
	case messages.Status_STATUS_LOCKED:
		r.locked++
	case messages.Status_STATUS_MISMATCH:
		r.mismatch++
	case messages.Status_STATUS_NOT_FOUND:
		r.notFound++
	case messages.Status_STATUS_NOT_READY:
		r.notReady++
	case messages.Status_STATUS_WRONG_VIEW:
		r.wrongView++
		if v, err := cluster.FromProto(view); err == nil {
			r.views = append(r.views, refusedView{view: v, addr: addr})
		}
	default:
		r.other++
	}
}

// failure turns a lost round into its error, and says whether a new round
// could do better: after a membership refresh, or when promises split
// (another round's live promise, no decisive value).
func (n *Node) failure(op messages.Op, v cluster.View, votes *tally, r refusals, err error) (error, bool) {
	if err != nil {
		return fmt.Errorf("%w: %d of %d votes, %d needed: %w", ErrNoQuorum, votes.yes, len(v.Masters), v.W, err), false
	}
	if r.wrongView > 0 {
		for _, rv := range r.views {
			if err := n.adopt(rv.view, rv.addr, v); err != nil {
				return err, false
			}
		}
		return fmt.Errorf("%w: membership changed (view %d)", ErrNoQuorum, n.members.Load().Version), true
	}
	if len(v.Masters)-r.mismatch-r.notFound < v.W {
		return fmt.Errorf("%w: %w: %d of %d masters hold a value that rules it out",
			ErrNoQuorum, valueError(op, r), r.mismatch+r.notFound, len(v.Masters)), false
	}
	if r.locked > 0 {
		return fmt.Errorf("%w: %d of %d votes, %d needed: contention", ErrNoQuorum, votes.yes, len(v.Masters), v.W), true
	}
	if r.notReady > 0 {
		return fmt.Errorf("%w: %d of %d votes, %d needed: %d masters not voting yet (starting, or waiting out a restart's lock-delay)",
			ErrNoQuorum, votes.yes, len(v.Masters), v.W, r.notReady), true
	}
	return fmt.Errorf("%w: %d of %d votes, %d needed", ErrNoQuorum, votes.yes, len(v.Masters), v.W), false
}

// valueError names what a decisive value refusal means for op.
func valueError(op messages.Op, r refusals) error {
	switch {
	case op == messages.Op_OP_LOCK:
		return ErrLocked
	case r.mismatch > 0:
		return ErrNotOwner
	default:
		return ErrNotFound
	}
}
