package clustertest

import (
	"maps"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"
)

// link is the actor.Process that one system's address resolver returns for
// every PID of another address. It carries messages from its system (from)
// to the system owning the PID.
type link struct {
	net  *Network
	from string
}

var _ actor.Process = (*link)(nil)

// SendUserMessage implements actor.Process.
func (l *link) SendUserMessage(pid *actor.PID, message any) {
	header, msg, sender := actor.UnwrapEnvelope(message)
	var h map[string]string
	if header != nil && header.Length() > 0 {
		h = header.ToMap()
	}
	l.net.send(l.from, pid, &delivery{header: h, sender: copyPID(sender)}, msg)
}

// SendSystemMessage implements actor.Process.
func (l *link) SendSystemMessage(pid *actor.PID, message any) {
	l.net.send(l.from, pid, &delivery{system: true}, message)
}

// Stop implements actor.Process the way protoactor remote does: by sending
// a Stop system message.
func (l *link) Stop(pid *actor.PID) {
	l.SendSystemMessage(pid, &actor.Stop{})
}

// delivery is one message in flight on the link from src to dst.
type delivery struct {
	from   string
	src    *actor.ActorSystem
	dst    *actor.ActorSystem
	target *actor.PID
	header map[string]string
	sender *actor.PID
	system bool
	msgs   []any // one independent clone per copy to deliver
}

// send routes msg from the system at from to target, applying faults.
func (n *Network) send(from string, target *actor.PID, d *delivery, msg any) {
	if target == nil {
		n.dropped.Add(1)
		return
	}
	clone, ok := cloneMessage(msg)
	if !ok {
		n.dropped.Add(1)
		return
	}
	d.from = from
	d.target = copyPID(target)
	d.msgs = []any{clone}

	var change watchChange
	if d.system {
		change = watchChangeOf(d.target, clone)
	}
	var p plan
	var closed bool
	var filter Filter
	var delayIf func(from, to string, msg any) time.Duration
	if change.op != watchNone {
		n.mu.Lock()
		d.src, d.dst = n.systems[from], n.systems[target.Address]
		p, closed = n.planLocked(from, target.Address), n.closed
		if d.src != nil && !closed {
			n.applyWatchChangeLocked(change)
		}
		n.mu.Unlock()
	} else {
		n.mu.RLock()
		d.src, d.dst = n.systems[from], n.systems[target.Address]
		p, closed = n.planLocked(from, target.Address), n.closed
		filter, delayIf = n.filter, n.delayIf
		n.mu.RUnlock()
	}

	switch {
	case d.src == nil || closed:
		// The sender's node is not on the network (killed or removed).
		n.dropped.Add(1)
	case d.dst == nil:
		n.unreachable(d)
	case p.cut || n.chance(p.drop) || (filter != nil && !d.system && filter(from, target.Address, msg)):
		n.dropped.Add(1)
	default:
		if n.chance(p.dup) {
			dup, _ := cloneMessage(clone) // clone already marshalled once
			d.msgs = append(d.msgs, dup)
			n.duplicated.Add(1)
		}
		if delayIf != nil && !d.system {
			p.delay = max(p.delay, delayIf(from, target.Address, msg))
		}
		if p.delay > 0 {
			n.schedule(p.delay, d)
			return
		}
		n.deliver(d)
	}
}

// deliver hands every copy of d to its target process, provided both ends
// are still the systems that were on the network when d was sent.
func (n *Network) deliver(d *delivery) {
	n.mu.RLock()
	srcOK := n.systems[d.from] == d.src
	dstOK := n.systems[d.target.Address] == d.dst
	n.mu.RUnlock()
	if !dstOK {
		n.unreachable(d)
		return
	}
	if !srcOK {
		n.dropped.Add(uint64(len(d.msgs)))
		return
	}

	for _, msg := range d.msgs {
		target := copyPID(d.target)
		// A missing process yields the dead-letter process, as it does in
		// protoactor remote's endpoint reader.
		proc, found := d.dst.ProcessRegistry.GetLocal(target.Id)
		// Counted before the hand-off, so that whatever the message
		// causes sees it counted.
		if found {
			n.delivered.Add(1)
		} else {
			n.dropped.Add(1)
		}
		if d.system {
			proc.SendSystemMessage(target, msg)
		} else {
			proc.SendUserMessage(target, d.envelope(msg))
		}
	}
}

// unreachable drops d, whose target node is not on the network, and
// answers a Watch the way protoactor remote's endpoint watcher does.
func (n *Network) unreachable(d *delivery) {
	n.dropped.Add(uint64(len(d.msgs)))
	if !d.system {
		return
	}
	if change := watchChangeOf(d.target, d.msgs[0]); change.op == watchAdd && n.forgetWatch(change.key) {
		n.notifyWatcher(change.key, actor.TerminatedReason_AddressTerminated)
	}
}

// envelope rebuilds what the receiving side of protoactor remote would
// pass to the target: the bare message when there is no header and no
// sender, a fresh envelope otherwise.
func (d *delivery) envelope(msg any) any {
	if d.header == nil && d.sender == nil {
		return msg
	}

	return &actor.MessageEnvelope{
		Header:  maps.Clone(d.header),
		Message: msg,
		Sender:  copyPID(d.sender),
	}
}

// cloneMessage copies msg through its wire form. It fails for values that
// are not proto messages or do not marshal, which real remoting could not
// carry either.
func cloneMessage(msg any) (any, bool) {
	m, ok := msg.(proto.Message)
	if !ok || m == nil {
		return nil, false
	}
	b, err := proto.Marshal(m)
	if err != nil {
		return nil, false
	}
	clone := m.ProtoReflect().New().Interface()
	if err := proto.Unmarshal(b, clone); err != nil {
		return nil, false
	}

	return clone, true
}

// copyPID returns a fresh PID, which does not share protoactor's cached
// Process with pid.
func copyPID(pid *actor.PID) *actor.PID {
	if pid == nil {
		return nil
	}

	return &actor.PID{Address: pid.Address, Id: pid.Id, RequestId: pid.RequestId}
}
