package actor

import (
	protoactor "github.com/asynkron/protoactor-go/actor"
	"slices"

	"github.com/protolocker/locker/messages"
)

// handle answers one protocol message with what the acceptor returns,
// and says to whom the answer goes (nil: no answer). The caller sends it.
func (h *Holder) handle(ctx protoactor.Context, msg any) (*protoactor.PID, any) {
	now := h.Now()
	h.stats.expired.Add(uint64(h.acc.Expire(now))) // sweep what is due before answering
	from := ""
	if s := ctx.Sender(); s != nil {
		from = s.Address
		if h.cfg.Host != nil {
			h.cfg.Host.Heard(from)
		}
	}
	if b, ok := msg.(*messages.Batch); ok {
		return h.handleBatch(ctx, now, from, b)
	}
	h.observe(msg)
	if r, ok := msg.(*messages.SyncReply); ok {
		h.stats.requests.Add(1)
		if h.acc.ApplySync(now, from, r) && from != "" {
			return protoactor.NewPID(from, Name), h.acc.SyncRequest(from, 0)
		}
		return nil, nil
	}
	reply, known := h.acc.Handle(now, from, msg)
	if !known {
		h.stats.unknown.Add(1)
		return nil, nil
	}
	h.stats.requests.Add(1)
	h.count(reply)
	if reply == nil {
		return nil, nil
	}
	return ctx.Sender(), reply
}

// handleBatch applies the learned states of a Batch, answers every
// request as if it came alone, and returns the votes to send back
// together.
func (h *Holder) handleBatch(ctx protoactor.Context, now int64, from string, b *messages.Batch) (*protoactor.PID, any) {
	if l := b.GetLearned(); len(l) > 0 {
		learn := &messages.Learn{Entries: l}
		h.observe(learn)
		_, _ = h.acc.Handle(now, from, learn) // a Learn without req_id has no answer
		h.stats.requests.Add(1)
	}
	n := len(b.GetPrepares()) + len(b.GetAccepts()) + len(b.GetReads())
	votes := &messages.Votes{Votes: make([]*messages.Vote, 0, n)}
	one := func(msg any) {
		h.observe(msg)
		reply, _ := h.acc.Handle(now, from, msg)
		h.count(reply)
		if v, ok := reply.(*messages.Vote); ok && v != nil {
			votes.Votes = append(votes.Votes, v)
		}
	}
	for _, m := range b.GetPrepares() {
		one(m)
	}
	for _, m := range b.GetAccepts() {
		one(m)
	}
	for _, m := range b.GetReads() {
		one(m)
	}
	h.stats.requests.Add(uint64(n))
	if len(votes.Votes) == 0 {
		return nil, nil
	}
	return ctx.Sender(), votes
}

// observe tells the node of writes it sees, so that its one-round path
// drops keys another proposer wrote.
func (h *Holder) observe(msg any) {
	if h.cfg.Host == nil {
		return
	}
	switch m := msg.(type) {
	case *messages.Accept:
		h.cfg.Host.Observed(m.GetKey(), m.GetBallot())
	case *messages.Learn:
		for _, l := range m.GetEntries() {
			h.cfg.Host.Observed(l.GetKey(), l.GetBallot())
		}
	case *messages.SyncReply:
		for _, l := range m.GetEntries() {
			h.cfg.Host.Observed(l.GetKey(), l.GetBallot())
		}
	}
}

// count records refusals that say something about the input.
func (h *Holder) count(reply any) {
	s, ok := reply.(interface{ GetStatus() messages.Status })
	if !ok {
		return
	}
	switch s.GetStatus() {
	case messages.Status_STATUS_BAD_REQUEST:
		h.stats.badRequests.Add(1)
	case messages.Status_STATUS_WRONG_VIEW:
		h.stats.wrongView.Add(1)
	case messages.Status_STATUS_REJECTED:
		h.stats.rejected.Add(1)
	case messages.Status_STATUS_NOT_READY:
		h.stats.notReady.Add(1)
	case messages.Status_STATUS_SEALED:
		h.stats.sealed.Add(1)
	}
}

// onSyncTick asks every other master for its changes (every other node of
// the view while its memory is not complete, to find a newer view), and
// tells the node what needs a proposer.
func (h *Holder) onSyncTick(ctx protoactor.Context) {
	if h.stopped {
		return
	}
	defer h.armTicker()
	self, v := h.self.Address, h.acc.View()
	peers := v.Masters
	if !h.acc.Voting() {
		// A recovering node looks for a newer view everywhere it can: its
		// view's nodes and the masters of its configuration.
		peers = slices.Concat(v.Nodes(), h.acc.Unheard())
	}
	for i, m := range peers {
		if m != self && !slices.Contains(peers[:i], m) {
			ctx.Request(protoactor.NewPID(m, Name), h.acc.SyncRequest(m, 0))
			h.stats.syncs.Add(1)
		}
	}
	if h.cfg.Host != nil {
		h.cfg.Host.Maintain(h.acc.Suspects(), h.acc.Abandoned(h.Now()), h.acc.Voting(), h.acc.Sealed())
	}
}
