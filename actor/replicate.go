package actor

import (
	protoactor "github.com/asynkron/protoactor-go/actor"

	"github.com/protolocker/locker/messages"
)

// push sends the log committed since the last push to every other node
// of the view, in one batch each, and re-arms the replication timer:
// replicas follow the masters this way, and masters that missed a write
// (cut off, or lagging) converge to the quorum's state.
func (h *Holder) push(ctx protoactor.Context) {
	if h.stopped {
		return
	}
	defer h.replicate.Reset(h.cfg.ReplicationInterval)
	log := h.table.TakeLog()
	if len(log) == 0 {
		return
	}
	now := h.Now()
	batch := &messages.ReplicationBatch{From: h.self.Address, Entries: make([]*messages.LogEntry, len(log))}
	for i, r := range log {
		batch.Entries[i] = &messages.LogEntry{
			Op: OpToWire(r.Op), Key: r.Key, Value: r.Value, Token: r.Token, LeaseNs: r.ExpiresAt - now,
		}
	}
	for _, addr := range h.cfg.Members.Load().Nodes() {
		if addr == h.self.Address {
			continue
		}
		ctx.Send(protoactor.NewPID(addr, Name), batch)
		h.stats.replicated.Add(uint64(len(log)))
	}
}

// replay applies a master's batch. On a master, replay never touches a
// key with a live promise (the round in flight decides it), and only
// repeats writes a quorum committed: an install can only refuse others
// until its lease ends, the safe direction (docs/protocol.md). A master
// that is not voting yet ignores batches.
func (h *Holder) replay(now int64, m *messages.ReplicationBatch) {
	h.stats.requests.Add(1)
	if !h.Voting() {
		return
	}
	for _, e := range m.GetEntries() {
		op, ok := OpFromWire(e.GetOp())
		if !ok {
			h.stats.badRequests.Add(1)
			continue
		}
		h.table.Replay(now, op, e.GetKey(), e.GetValue(), e.GetToken(), e.GetLeaseNs())
		h.stats.replayed.Add(1)
	}
}
