package locker

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/protolocker/locker/cluster"
	"github.com/protolocker/locker/messages"
)

// Lock takes key for value for lease, if no one holds it. It fails with
// ErrLocked (and ErrNoQuorum) when another value holds the key on enough
// masters that no quorum can grant it.
func (n *Node) Lock(ctx context.Context, key string, value []byte, lease time.Duration) (Result, error) {
	if err := n.checkWrite(key, value, lease); err != nil {
		return Result{}, err
	}
	return n.twoPhase(ctx, messages.Op_OP_LOCK, key, nil, bytes.Clone(value), lease)
}

// Update replaces the value of key from expected to value, keeping its
// expiry, and returns a new fencing token. It fails with ErrNotOwner when
// the key holds another value, ErrNotFound when it is not held.
func (n *Node) Update(ctx context.Context, key string, expected, value []byte) (Result, error) {
	if err := n.checkWrite(key, value, 1); err != nil {
		return Result{}, err
	}
	if expected == nil {
		return Result{}, fmt.Errorf("%w: nil expected value", ErrInvalid)
	}
	return n.twoPhase(ctx, messages.Op_OP_UPDATE, key, bytes.Clone(expected), bytes.Clone(value), 0)
}

func (n *Node) checkWrite(key string, value []byte, lease time.Duration) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: empty key", ErrInvalid)
	case strings.HasPrefix(key, reservedPrefix):
		return fmt.Errorf("%w: keys starting with %q are reserved", ErrInvalid, reservedPrefix)
	case value == nil:
		return fmt.Errorf("%w: nil value", ErrInvalid)
	case lease <= 0:
		return fmt.Errorf("%w: lease %v is not positive", ErrInvalid, lease)
	case lease > n.cfg.MaxLease:
		return fmt.Errorf("%w: lease %v exceeds MaxLease %v", ErrInvalid, lease, n.cfg.MaxLease)
	}
	return nil
}

// twoPhase runs promise/commit rounds until one is decided, retrying
// after split promises (contention) and membership refreshes.
func (n *Node) twoPhase(ctx context.Context, op messages.Op, key string, expected, value []byte, lease time.Duration) (Result, error) {
	ctx, cancel, err := n.bound(ctx)
	defer cancel()
	if err != nil {
		return Result{}, err
	}
	for attempt := 0; ; attempt++ {
		res, err, retry := n.promiseRound(ctx, op, key, expected, value, lease)
		if !retry {
			return res, err
		}
		if !n.backoff(ctx, attempt) {
			return res, err
		}
	}
}

// promiseRound runs one two-phase round in the current view. retry says
// the round lost to something a new round may not meet (split promises,
// a membership refresh).
func (n *Node) promiseRound(ctx context.Context, op messages.Op, key string, expected, value []byte, lease time.Duration) (Result, error, bool) {
	v := n.members.Load()
	call := n.open(len(v.Masters))
	defer call.Close()
	tag := rand.Uint64() | 1
	for i, m := range v.Masters {
		n.send(m, &messages.PromiseRequest{
			ReqId: call.ID | uint64(i), Key: key, ExpectAbsent: op == messages.Op_OP_LOCK,
			Expected: expected, Tag: tag, ViewVersion: v.Version, ViewHash: v.Hash(),
		})
	}
	votes := newTally(v.W, len(v.Masters))
	refusals := refusals{}
	var maxToken uint64
	err := n.gather(ctx, call, phase{
		targets: v.Masters,
		on: func(msg any, i int) bool {
			r, ok := msg.(*messages.PromiseReply)
			if !ok || !votes.add(i, r.GetStatus() == messages.Status_STATUS_OK) {
				return false
			}
			maxToken = max(maxToken, r.GetMaxToken())
			refusals.note(r.GetStatus(), r.GetView(), v.Masters[i])
			return true
		},
		done:   func() bool { return votes.outcome() != pending },
		silent: func(i int) { votes.add(i, false) },
	})
	if err != nil || votes.outcome() == lost {
		n.abort(v, key, tag)
		err, retry := n.failure(op, v, votes, refusals, err)
		return Result{W: v.W, Votes: votes.yes}, err, retry
	}
	res := Result{W: v.W, Votes: votes.yes, Token: maxToken + 1}
	commit := func(i int) {
		n.send(v.Masters[i], &messages.CommitRequest{ReqId: call.ID | uint64(i), Key: key, Tag: tag, Op: op,
			Value: value, Token: res.Token, LeaseNs: int64(lease)})
	}
	acks, refused, err := n.commit(ctx, call, v, votes, commit)
	res.Commits = acks.yes
	if err != nil || acks.outcome() != won {
		// Drop the promises left where the commit did not land. If the
		// commit surely missed W (enough masters refused it), a lock's
		// value, which nobody owns, is taken back where it did land, by
		// its token; otherwise it may have reached W and stays until its
		// lease ends. An update's value stays (its owner still holds the
		// key, under one value or the other, and may retry).
		n.abort(v, key, tag)
		sure := refused > len(v.Masters)-v.W // answers, not silence
		if op == messages.Op_OP_LOCK && sure {
			n.releaseQuietly(v, key, value, res.Token)
		}
		outcome := "it did not take effect"
		if !sure {
			outcome = "it may have taken effect, until its lease ends"
		}
		return res, fmt.Errorf("%w: %d of %d masters acknowledged the commit, %d needed; %s%s",
			ErrNoQuorum, acks.yes, len(v.Masters), v.W, outcome, cause(err)), false
	}
	// A master whose answer to the promise has not come in would keep
	// its promise, and refuse others, until it expires: drop it. (A
	// master that granted was sent the commit, which consumes it.)
	for i, m := range v.Masters {
		if !votes.seen[i] {
			n.tell(m, &messages.AbortRequest{Key: key, Tag: tag})
		}
	}
	return res, nil, false
}

// commit sends phase two to the masters that granted the promise, and to
// any whose grant arrives while it waits (a master that did not grant
// refuses a commit; sending it only to grantors keeps a commit from
// landing, late, on a master whose promise came after a release). It
// counts acknowledgements; a refused promise or commit is a no, and so is
// a suspect's silence (see gather). refused counts the masters that
// answered no: more than N-W of them mean the commit surely missed W.
func (n *Node) commit(ctx context.Context, call *cluster.Call, v cluster.View, votes *tally, commit func(i int)) (acks *tally, refused int, err error) {
	acks = newTally(v.W, len(v.Masters))
	for i, granted := range votes.grants {
		switch {
		case granted:
			commit(i)
		case votes.seen[i]:
			acks.add(i, false)
			refused++
		}
	}
	err = n.gather(ctx, call, phase{
		targets: v.Masters,
		on: func(msg any, i int) bool {
			switch r := msg.(type) {
			case *messages.PromiseReply: // a late answer to phase one
				if !votes.add(i, r.GetStatus() == messages.Status_STATUS_OK) {
					return false
				}
				if votes.grants[i] {
					commit(i)
					return false // its commit's answer is still to come
				}
				refused++
				return acks.add(i, false)
			case *messages.CommitReply:
				ok := r.GetStatus() == messages.Status_STATUS_OK
				if !ok && !acks.seen[i] {
					refused++
				}
				return acks.add(i, ok)
			}
			return false
		},
		done:   func() bool { return acks.outcome() != pending },
		silent: func(i int) { acks.add(i, false) },
	})
	return acks, refused, err
}

func (n *Node) abort(v cluster.View, key string, tag uint64) {
	for _, m := range v.Masters {
		n.tell(m, &messages.AbortRequest{Key: key, Tag: tag})
	}
}

// releaseQuietly deletes key where it holds value with token (any token
// when 0), without waiting for answers.
func (n *Node) releaseQuietly(v cluster.View, key string, value []byte, token uint64) {
	for _, m := range v.Masters {
		n.send(m, &messages.CondRequest{Op: messages.Op_OP_RELEASE, Key: key, Value: value, TokenHint: token,
			ViewVersion: v.Version, ViewHash: v.Hash()})
	}
}

func cause(err error) string {
	if err == nil {
		return ""
	}
	return ": " + err.Error()
}
