package actor

import (
	protoactor "github.com/asynkron/protoactor-go/actor"

	"github.com/protolocker/locker/messages"
)

// push sends the log committed since the last push to every replica, in
// one batch each, and re-arms the replication timer.
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
	for _, addr := range h.cfg.Members.Load().Replicas {
		ctx.Send(protoactor.NewPID(addr, Name), batch)
		h.stats.replicated.Add(uint64(len(log)))
	}
}

// replay applies a master's batch on a replica. Masters ignore batches:
// a master logs every commit it applies, before anyone knows whether the
// round reached W, and its own releases leave no tombstone, so replaying
// batches on masters could resurrect a released or failed write. A
// master's state comes from quorum rounds only.
func (h *Holder) replay(now int64, m *messages.ReplicationBatch) {
	h.stats.requests.Add(1)
	if h.cfg.Members.Load().IsMaster(h.self.Address) {
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
