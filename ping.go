package locker

import (
	"context"
	"fmt"

	"github.com/protolocker/locker/internal/reqid"
	"github.com/protolocker/locker/messages"
)

// Ping sends one plain request to every master's lease-holder and returns
// once W of them answered: a quorum health check, and the floor that
// rounds are measured against (a round costs one such fan-out plus the
// masters' work). It returns how many answered.
func (n *Node) Ping(ctx context.Context) (int, error) {
	ctx, cancel, err := n.bound(ctx)
	defer cancel()
	if err != nil {
		return 0, err
	}
	v := n.members.Load()
	call := n.sink.Open(4*len(v.Masters) + 4)
	defer call.Close()
	for i, m := range v.Masters {
		n.send(m, &messages.Ping{ReqId: reqid.Make(call.ID, 0, i)})
	}
	seen := make([]bool, len(v.Masters))
	answered := 0
	for answered < v.W {
		select {
		case r := <-call.Replies:
			p, ok := r.(*messages.Pong)
			if i := reqid.Index(p.GetReqId()); ok && i < len(seen) && !seen[i] {
				seen[i] = true
				answered++
			}
		case <-ctx.Done():
			return answered, fmt.Errorf("%w: %d of %d masters answered, %d needed: %w", ErrNoQuorum, answered, len(v.Masters), v.W, ctx.Err())
		case <-n.stopped:
			return answered, ErrStopped
		}
	}
	return answered, nil
}
