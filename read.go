package locker

import (
	"bytes"
	"context"
	"fmt"

	"github.com/protolocker/locker/messages"
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
// masters holds it: it answers once W masters agree. Once a write has
// been acknowledged by W masters, at most N-W < W still hold the older
// state, so Read never returns a state older than an acknowledged write.
// ErrNotFound when W masters agree the key is not held.
func (n *Node) Read(ctx context.Context, key string) (Entry, error) {
	if key == "" {
		return Entry{}, fmt.Errorf("%w: empty key", ErrInvalid)
	}
	ctx, cancel, err := n.bound(ctx)
	defer cancel()
	if err != nil {
		return Entry{}, err
	}
	for attempt := 0; ; attempt++ {
		e, found, err, retry := n.readRound(ctx, key)
		switch {
		case err == nil && found:
			return e, nil
		case err == nil:
			return Entry{}, ErrNotFound
		case !retry || !n.backoff(ctx, attempt):
			return Entry{}, err
		}
	}
}

type readState struct {
	found bool
	token uint64
	value []byte
	votes int
}

// readRound asks every master once. retry says the masters disagreed
// (a write or an expiry in flight) and a new round may settle.
func (n *Node) readRound(ctx context.Context, key string) (Entry, bool, error, bool) {
	v := n.members.Load()
	call := n.open(len(v.Masters))
	defer call.Close()
	for i, m := range v.Masters {
		n.send(m, &messages.ReadRequest{ReqId: call.ID | uint64(i), Key: key})
	}
	seen := make([]bool, len(v.Masters))
	answered := 0
	var states []readState
	var agreed *readState
	err := n.gather(ctx, call, phase{targets: v.Masters, on: func(msg any, i int) bool {
		r, ok := msg.(*messages.ReadReply)
		if !ok || seen[i] {
			return false
		}
		seen[i] = true
		answered++
		if r.GetStatus() == messages.Status_STATUS_NOT_READY {
			return true // a recovering master's table says nothing
		}
		s := readState{found: r.GetStatus() == messages.Status_STATUS_OK, token: r.GetToken(), value: r.GetValue()}
		for j := range states {
			if states[j].found == s.found && states[j].token == s.token && bytes.Equal(states[j].value, s.value) {
				states[j].votes++
				if states[j].votes >= v.W {
					agreed = &states[j]
				}
				return true
			}
		}
		s.votes = 1
		states = append(states, s)
		if v.W == 1 {
			agreed = &states[len(states)-1]
		}
		return true
	},
		done:   func() bool { return agreed != nil || answered == len(v.Masters) },
		silent: func(int) { answered++ },
	})
	if agreed != nil {
		return Entry{Value: agreed.value, Token: agreed.token}, agreed.found, nil, false
	}
	if err != nil {
		return Entry{}, false, fmt.Errorf("%w: %d of %d masters answered, %d must agree: %w", ErrNoQuorum, answered, len(v.Masters), v.W, err), false
	}
	return Entry{}, false, fmt.Errorf("%w: masters disagree", ErrNoQuorum), true
}
