package sim

import (
	"fmt"

	"github.com/protolocker/locker/internal/proposer"
	"github.com/protolocker/locker/lease"
)

// The session workload: each client opens a session (a Lock of a session
// register), attaches one key at a time to it, renews the session, and
// releases the key, closes the session or abandons it. A key attached to
// a session is valid for its holder as long as the session is: until the
// last successful renewal's send time plus the lease, on the holder's
// clock (docs/protocol.md, "Sessions").

// clientSession is a client's open session.
type clientSession struct {
	id    uint64
	key   string
	value string
	end   int64 // global time until which the session is valid
}

// chooseSession picks the next call of the session workload.
func (c *client) chooseSession() (proposer.Request, *Op) {
	w := c.w
	if s := c.sess; s != nil && w.now >= s.end {
		c.sess, c.hold = nil, nil // its Done closed: it never comes back
	}
	ttl := int64(w.p.Lease)/4 + c.rng.Int64N(int64(w.p.Lease)*3/4+1)
	s := c.sess
	if s == nil {
		id := c.rng.Uint64() | 1
		key, val := lease.SessionKey(id), fmt.Sprintf("s%d.%d", c.id, c.left)
		return proposer.Request{Kind: proposer.Lock, Key: key, Value: []byte(val), Lease: ttl},
			&Op{Kind: proposer.Lock, Key: key, Val: val}
	}
	renew := func() (proposer.Request, *Op) {
		return proposer.Request{Kind: proposer.Extend, Key: s.key, Value: []byte(s.value), Lease: ttl},
			&Op{Kind: proposer.Extend, Key: s.key, Val: s.value}
	}
	r := c.rng.IntN(20)
	if c.hold == nil {
		if r < 6 {
			return renew()
		}
		key := c.key(c.rng.IntN(w.p.Keys))
		val := fmt.Sprintf("c%d.%d", c.id, c.left)
		return proposer.Request{Kind: proposer.Lock, Key: key, Value: []byte(val), Session: s.id},
			&Op{Kind: proposer.Lock, Key: key, Val: val}
	}
	switch {
	case r < 10:
		return renew()
	case r < 17:
		h := c.hold
		return proposer.Request{Kind: proposer.Release, Key: h.key, Session: s.id}, &Op{Kind: proposer.Release, Key: h.key, Val: h.value}
	}
	return proposer.Request{Kind: proposer.Release, Key: s.key, Value: []byte(s.value)}, &Op{Kind: proposer.Release, Key: s.key, Val: s.value}
}

// onSendSession shortens what the client may use as it sends: a renewal
// may take effect with a shorter lease, a release ends the key (or, of
// the session, everything).
func (c *client) onSendSession(n *node, req proposer.Request) {
	s := c.sess
	if s == nil {
		return
	}
	switch {
	case req.Kind == proposer.Extend && req.Key == s.key:
		s.end = min(s.end, c.validity(n, n.now(), req.Lease))
	case req.Kind == proposer.Release && req.Key == s.key:
		s.end = min(s.end, c.w.now)
		c.sess = nil
	case req.Kind == proposer.Release:
		c.endHold(c.w.now)
		return
	default:
		return
	}
	c.endHold(s.end)
}

// endHold moves the end of the client's hold to at most end; at or
// before now the hold is over.
func (c *client) endHold(end int64) {
	h := c.hold
	if h == nil {
		return
	}
	h.end = min(h.end, end)
	c.w.checker.setEnd(h.key, h.token, h.end)
	if h.end <= c.w.now {
		c.hold = nil
	}
}

// onDoneSession opens, renews or uses the session after a call.
func (c *client) onDoneSession(cl *call, op *Op, out proposer.Outcome, res proposer.Result) {
	w := c.w
	id, isSession := lease.SessionOf(op.Key)
	s := c.sess
	switch {
	case isSession && op.Kind == proposer.Lock && out == proposer.OK && s == nil:
		c.sess = &clientSession{id: id, key: op.Key, value: op.Val, end: c.validity(cl.node, cl.sent, cl.req.Lease)}
	case s == nil || (isSession && op.Key != s.key):
	case isSession && op.Kind == proposer.Extend && out == proposer.OK:
		if w.now >= s.end {
			c.sess, c.hold = nil, nil // renewed too late: its Done closed before
			break
		}
		s.end = c.validity(cl.node, cl.sent, cl.req.Lease)
		if h := c.hold; h != nil {
			h.end = s.end
			w.checker.setEnd(h.key, h.token, h.end)
		}
	case !isSession && op.Kind == proposer.Lock && out == proposer.OK && cl.req.Session == s.id && c.hold == nil && w.now < s.end:
		w.stats.Tenures++
		c.hold = &holding{key: op.Key, value: op.Val, token: res.Token, end: s.end}
		w.checker.begin(op.Key, res.Token, w.now, s.end, op)
	}
	if c.sess != nil && c.rng.IntN(20) == 0 {
		c.sess, c.hold = nil, nil // abandoned: the session and its key end by expiry
	}
}
