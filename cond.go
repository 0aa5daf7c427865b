package locker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/protolocker/locker/messages"
)

// ExtendLease sets the expiry of key to now+lease on the masters, if the
// key still holds value. A master that lacks the key (new or lagging)
// installs it. It is one conditional round: it changes no ownership, so
// it needs no promise (docs/protocol.md has the safety argument). It fails
// with ErrNotOwner when another value holds the key, ErrNotFound when no
// master still held it.
func (n *Node) ExtendLease(ctx context.Context, key string, value []byte, lease time.Duration) (Result, error) {
	if err := n.checkWrite(key, value, lease); err != nil {
		return Result{}, err
	}
	var hint uint64
	if e, ok := n.store.Get(key); ok && bytes.Equal(e.Value, value) {
		hint = e.Token
	}
	return n.conditional(ctx, &messages.CondRequest{
		Op: messages.Op_OP_EXTEND, Key: key, Value: bytes.Clone(value), LeaseNs: int64(lease), TokenHint: hint,
	})
}

// Release deletes key on the masters if it holds value. Releasing a key
// that is already gone succeeds (Result.Commits counts the masters where
// it is gone); it fails with ErrNotOwner when another value holds it.
func (n *Node) Release(ctx context.Context, key string, value []byte) (Result, error) {
	if err := n.checkWrite(key, value, 1); err != nil {
		return Result{}, err
	}
	return n.conditional(ctx, &messages.CondRequest{Op: messages.Op_OP_RELEASE, Key: key, Value: bytes.Clone(value)})
}

// conditional runs single-round writes until one is decided, retrying
// while a promise of another round blocks the key.
func (n *Node) conditional(ctx context.Context, req *messages.CondRequest) (Result, error) {
	ctx, cancel, err := n.bound(ctx)
	defer cancel()
	if err != nil {
		return Result{}, err
	}
	for attempt := 0; ; attempt++ {
		res, err, retry := n.condRound(ctx, req)
		if !retry || !n.backoff(ctx, attempt) {
			return res, err
		}
	}
}

func (n *Node) condRound(ctx context.Context, req *messages.CondRequest) (Result, error, bool) {
	v := n.members.Load()
	call := n.open(len(v.Masters))
	defer call.Close()
	for i, m := range v.Masters {
		n.send(m, &messages.CondRequest{
			ReqId: call.ID | uint64(i), Op: req.Op, Key: req.Key, Value: req.Value, LeaseNs: req.LeaseNs,
			TokenHint: req.TokenHint, ViewVersion: v.Version, ViewHash: v.Hash(),
		})
	}
	acks := newTally(v.W, len(v.Masters))
	refused := refusals{}
	res := Result{W: v.W}
	held := 0 // masters that still held the value (not installs, not absent)
	// An extend without a token cannot install the key where it is
	// absent: such a master answers NOT_FOUND. Its answer is held back
	// (deferred) until a master that holds the key tells the token; then
	// the extend is sent to it again with the token, and its second
	// answer counts. If every master answers without anyone holding the
	// key, the deferred answers count as refusals.
	learnHint := req.Op == messages.Op_OP_EXTEND && req.TokenHint == 0
	var deferred []int
	resend := func(i int, token uint64) {
		n.send(v.Masters[i], &messages.CondRequest{
			ReqId: call.ID | uint64(i), Op: req.Op, Key: req.Key, Value: req.Value, LeaseNs: req.LeaseNs,
			TokenHint: token, ViewVersion: v.Version, ViewHash: v.Hash(),
		})
	}
	settle := func() {
		if len(deferred) > 0 && len(deferred)+acks.yes+acks.no == len(v.Masters) {
			for _, i := range deferred {
				acks.add(i, false)
				refused.note(messages.Status_STATUS_NOT_FOUND, nil, v.Masters[i])
			}
			deferred = nil
		}
	}
	err := n.gather(ctx, call, phase{
		targets: v.Masters,
		on: func(msg any, i int) bool {
			r, ok := msg.(*messages.CondReply)
			if !ok || acks.seen[i] {
				return false
			}
			s := r.GetStatus()
			if learnHint && s == messages.Status_STATUS_NOT_FOUND && !slices.Contains(deferred, i) {
				if res.Token != 0 {
					resend(i, res.Token)
				} else {
					deferred = append(deferred, i)
					settle()
				}
				return false
			}
			yes := s == messages.Status_STATUS_OK || s == messages.Status_STATUS_INSTALLED ||
				(req.Op == messages.Op_OP_RELEASE && s == messages.Status_STATUS_NOT_FOUND)
			acks.add(i, yes)
			if s == messages.Status_STATUS_OK {
				held++
			}
			if yes {
				res.Token = max(res.Token, r.GetToken())
				if learnHint && res.Token != 0 {
					for _, j := range deferred {
						resend(j, res.Token)
					}
					deferred = nil
				}
			} else {
				refused.note(s, r.GetView(), v.Masters[i])
			}
			settle()
			return true
		},
		done:   func() bool { return acks.outcome() != pending },
		silent: func(i int) { acks.add(i, false); settle() },
	})
	res.Votes, res.Commits = acks.yes, acks.yes
	if err == nil && acks.outcome() == won {
		if req.Op != messages.Op_OP_EXTEND || held > 0 {
			if learnHint {
				// Masters that had not answered, or lacked the key, get
				// it now that its token is known, without waiting.
				for i := range v.Masters {
					if !acks.seen[i] {
						n.send(v.Masters[i], &messages.CondRequest{Op: req.Op, Key: req.Key, Value: req.Value,
							LeaseNs: req.LeaseNs, TokenHint: res.Token, ViewVersion: v.Version, ViewHash: v.Hash()})
					}
				}
			}
			return res, nil, false
		}
		err = fmt.Errorf("%w: %w: no master still held the lease", ErrNoQuorum, ErrNotFound)
		n.releaseQuietly(v, req.Key, req.Value, 0) // undo the installs
		return res, err, false
	}
	err, retry := n.failure(req.Op, v, acks, refused, err)
	if req.Op == messages.Op_OP_EXTEND && errors.Is(err, ErrNotOwner) {
		n.releaseQuietly(v, req.Key, req.Value, 0) // undo the installs
	}
	return res, err, retry
}
