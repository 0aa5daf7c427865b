package locker

import (
	"context"
	"time"

	"github.com/protolocker/locker/internal/proposer"
	"github.com/protolocker/locker/internal/reqid"
	"github.com/protolocker/locker/messages"
)

// outcome is how a call ended, as the proposer reports it.
type outcome struct {
	out     proposer.Outcome
	res     proposer.Result
	problem string
}

// run hosts one call's proposer on the caller's goroutine: it sends the
// proposer's messages, feeds it the replies, its deadlines and the
// masters known down, until it decides; then it has the chosen state
// learned everywhere, this node first.
func (n *Node) run(ctx context.Context, req proposer.Request) (outcome, error) {
	ctx, cancel, err := n.bound(ctx)
	defer cancel()
	if err != nil {
		return outcome{}, err
	}
	started := time.Now()
	n.inflight.Add(1)
	defer n.inflight.Add(-1)
	v := n.members.Load()
	call := n.sink.Open(4*len(v.Masters) + 4)
	defer call.Close()
	op := proposer.New(req, v, n.local, n.opConfig(), call.ID)
	n.dispatch(op, op.Start(n.now()))
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for !op.Done() {
		timer.Reset(time.Duration(op.Deadline() - n.now()))
		select {
		case r := <-call.Replies:
			n.dispatch(op, op.Step(n.now(), r))
		case <-timer.C:
			n.dispatch(op, op.Tick(n.now()))
		case <-ctx.Done():
			op.Abort("the call's context ended: " + ctx.Err().Error())
		case <-n.stopped:
			op.Abort("the node stopped")
			return outcome{}, ErrStopped
		}
		if nv, ok := op.Newer(); ok {
			n.adopt(nv)
			if cur := n.members.Load(); cur.Version > op.View().Version {
				n.dispatch(op, op.SetView(n.now(), cur))
			}
		}
	}
	decided := time.Now()
	n.learn(ctx, op)
	out, res := op.Outcome()
	n.metrics.call(req.Kind, out, time.Since(started), op.Silent())
	if chosen, _ := op.Chosen(); chosen != nil {
		n.metrics.learnLag.Record(context.Background(), time.Since(decided).Seconds(), n.metrics.selfRec...)
	}
	n.calls.record(out, op.Silent())
	return outcome{out: out, res: res, problem: op.Problem()}, nil
}

func (n *Node) opConfig() proposer.Config {
	return proposer.Config{
		RoundTimeout: int64(n.cfg.RoundTimeout),
		MinBackoff:   int64(time.Millisecond),
		MaxBackoff:   int64(64 * time.Millisecond),
	}
}

// dispatch sends a proposer's messages to the masters of its view.
func (n *Node) dispatch(op *proposer.Op, sends []proposer.Send) {
	masters := op.View().Masters
	for _, s := range sends {
		n.post(masters[s.To], s.Msg)
	}
}

// learn sends the chosen state the call's answer rests on to every node
// of the view (not after a Read that found it chosen: W masters reported
// it, and anti-entropy brings it to the rest), and waits (a round at most) until this node's own
// lease-holder has it, so that DirtyRead, WaitFor and WaitForRelease here
// agree with the answer.
func (n *Node) learn(ctx context.Context, op *proposer.Op) {
	chosen, acked := op.Chosen()
	if chosen == nil {
		return
	}
	v, self := op.View(), n.Address()
	msg := &messages.Learn{Entries: []*messages.Learned{chosen}}
	if op.Wrote() || op.Request().Kind != proposer.Read {
		for _, a := range v.Nodes() {
			if a != self {
				n.post(a, msg)
			}
		}
	}
	for i, m := range v.Masters {
		if m == self && i < len(acked) && acked[i] {
			n.post(self, msg) // it accepted the state already; this marks it chosen
			return
		}
	}
	call := n.sink.Open(1)
	defer call.Close()
	n.send(self, &messages.Learn{ReqId: reqid.Make(call.ID, 0, 0), Entries: msg.Entries})
	t := time.NewTimer(n.cfg.RoundTimeout)
	defer t.Stop()
	select {
	case <-call.Replies:
	case <-t.C:
	case <-ctx.Done():
	case <-n.stopped:
	}
}
