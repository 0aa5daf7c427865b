package locker

import (
	"context"
	"fmt"

	"github.com/protolocker/locker/messages"
)

// Ping sends one plain request to every master's lease-holder and returns
// once W of them answered: a quorum health check, and the floor that
// writes are measured against (a write's round costs one such fan-out
// plus the masters' work). It returns how many answered.
func (n *Node) Ping(ctx context.Context) (int, error) {
	ctx, cancel, err := n.bound(ctx)
	defer cancel()
	if err != nil {
		return 0, err
	}
	v := n.members.Load()
	call := n.open(len(v.Masters))
	defer call.Close()
	for i, m := range v.Masters {
		n.send(m, &messages.Ping{ReqId: call.ID | uint64(i)})
	}
	answers := newTally(v.W, len(v.Masters))
	err = n.gather(ctx, call, phase{
		targets: v.Masters,
		on: func(msg any, i int) bool {
			_, ok := msg.(*messages.Pong)
			return ok && answers.add(i, true)
		},
		done: func() bool { return answers.outcome() == won },
	})
	if err != nil {
		return answers.yes, fmt.Errorf("%w: %d of %d masters answered, %d needed: %w", ErrNoQuorum, answers.yes, len(v.Masters), v.W, err)
	}
	return answers.yes, nil
}
