package actor

import (
	protoactor "github.com/asynkron/protoactor-go/actor"

	"github.com/protolocker/locker/cluster"
	"github.com/protolocker/locker/lease"
	"github.com/protolocker/locker/messages"
)

// handle answers one protocol message and reports whether it knew its
// type.
func (h *Holder) handle(ctx protoactor.Context, msg any) bool {
	now := h.Now()
	// Sweep what is due before deciding: the timer may not have fired yet,
	// and a lease past its deadline must not block, extend or answer.
	h.stats.expired.Add(uint64(h.table.Expire(now)))
	switch m := msg.(type) {
	case *messages.PromiseRequest:
		if v, ok := h.checkView(m.GetViewVersion(), m.GetViewHash()); !ok {
			ctx.Respond(&messages.PromiseReply{ReqId: m.GetReqId(), Status: messages.Status_STATUS_WRONG_VIEW, View: v.Proto()})
			return true
		}
		if !h.Voting() {
			ctx.Respond(&messages.PromiseReply{ReqId: m.GetReqId(), Status: messages.Status_STATUS_NOT_READY})
			return true
		}
		s, max := h.table.Promise(now, m.GetKey(), m.GetExpectAbsent(), m.GetExpected(), m.GetTag())
		h.count(s)
		ctx.Respond(&messages.PromiseReply{ReqId: m.GetReqId(), Status: wireStatus(s), MaxToken: max})
	case *messages.CommitRequest:
		op, _ := OpFromWire(m.GetOp())
		lease := m.GetLeaseNs()
		if h.tooLong(lease) {
			lease = -1 // refused as a bad request
		}
		s, token := h.table.Commit(now, m.GetKey(), m.GetTag(), op, m.GetValue(), m.GetToken(), lease)
		h.count(s)
		ctx.Respond(&messages.CommitReply{ReqId: m.GetReqId(), Status: wireStatus(s), Token: token})
	case *messages.AbortRequest:
		h.stats.requests.Add(1)
		h.table.Abort(m.GetKey(), m.GetTag())
	case *messages.CondRequest:
		h.cond(ctx, now, m)
	case *messages.ReadRequest:
		h.stats.requests.Add(1)
		r := &messages.ReadReply{ReqId: m.GetReqId(), Status: messages.Status_STATUS_NOT_FOUND}
		if !h.Voting() {
			r.Status = messages.Status_STATUS_NOT_READY // its empty table says nothing
		} else if e, ok := h.table.Get(m.GetKey()); ok && e.ExpiresAt > now {
			r.Status, r.Value, r.Token = messages.Status_STATUS_OK, e.Value, e.Token
		}
		ctx.Respond(r)
	case *messages.ReplicationBatch:
		h.replay(now, m)
	case *messages.ViewUpdate:
		h.installView(ctx, m)
	case *messages.Hello:
		h.onHello(ctx, m)
	case *messages.HelloReply:
		h.onHelloReply(m)
	case *messages.Ping:
		ctx.Respond(&messages.Pong{ReqId: m.GetReqId()})
	default:
		return false
	}
	return true
}

func (h *Holder) cond(ctx protoactor.Context, now int64, m *messages.CondRequest) {
	reply := &messages.CondReply{ReqId: m.GetReqId()}
	if v, ok := h.checkView(m.GetViewVersion(), m.GetViewHash()); !ok {
		reply.Status, reply.View = messages.Status_STATUS_WRONG_VIEW, v.Proto()
		ctx.Respond(reply)
		return
	}
	var s lease.Status
	switch {
	case !h.Voting():
		reply.Status = messages.Status_STATUS_NOT_READY
		ctx.Respond(reply)
		return
	case m.GetOp() == messages.Op_OP_EXTEND && h.tooLong(m.GetLeaseNs()):
		s = lease.BadRequest
	case m.GetOp() == messages.Op_OP_EXTEND:
		s, reply.Token = h.table.Extend(now, m.GetKey(), m.GetValue(), m.GetLeaseNs(), m.GetTokenHint())
	case m.GetOp() == messages.Op_OP_RELEASE:
		s, reply.Token = h.table.Release(now, m.GetKey(), m.GetValue(), m.GetTokenHint())
	default:
		s = lease.BadRequest
	}
	h.count(s)
	reply.Status = wireStatus(s)
	ctx.Respond(reply)
}

// checkView reports whether a vote names this node's view, and this node
// is a master of it; it returns the node's view for the refusal.
func (h *Holder) checkView(version, hash uint64) (cluster.View, bool) {
	v := h.cfg.Members.Load()
	if version == v.Version && hash == v.Hash() && v.IsMaster(h.self.Address) {
		return v, true
	}
	h.stats.wrongView.Add(1)
	return v, false
}

// tooLong reports a lease above the holder's MaxLease: a master refuses
// it, since its lock-delay after a restart covers MaxLease only.
func (h *Holder) tooLong(lease int64) bool {
	return h.cfg.MaxLease > 0 && lease > int64(h.cfg.MaxLease)
}

func (h *Holder) count(s lease.Status) {
	h.stats.requests.Add(1)
	if s == lease.BadRequest {
		h.stats.badRequests.Add(1)
	}
}

func (h *Holder) installView(ctx protoactor.Context, m *messages.ViewUpdate) {
	h.stats.requests.Add(1)
	v, err := cluster.FromProto(m.GetView())
	if err != nil {
		h.stats.badRequests.Add(1)
		return
	}
	h.cfg.Members.Install(v)
	h.onView(h.cfg.Members.Load())
	ctx.Respond(&messages.ViewAck{ReqId: m.GetReqId(), Version: h.cfg.Members.Load().Version})
}
