// Package viewchange is the pure state machine of one view change: seal
// the old view, page its state out of a quorum that holds every chosen
// state, merge it into the new view's masters, then choose and commit the
// new view (docs/protocol.md, "Views"). Like the proposer, it has replies
// and time as inputs and messages as outputs; the node or the simulator
// hosts it.
package viewchange

import (
	"fmt"
	"slices"

	"github.com/protolocker/locker/internal/quorum"
	"github.com/protolocker/locker/internal/reqid"
	"github.com/protolocker/locker/internal/view"
	"github.com/protolocker/locker/messages"
)

// Config bounds a change.
type Config struct {
	LockDelay    int64  // how long a recovering master must have been recovering to be trusted, ns
	RoundTimeout int64  // a round stops waiting for silent nodes after this, ns
	PageLimit    uint32 // keys per dump page
	// Transfer moves the old view's state even when the new view has the
	// same masters and W: a rejoin, which installs it into the recovering
	// masters.
	Transfer bool
	// Carried is the newest version up to the old view's whose change
	// carried state (the old view's version when it is not known): the
	// commit tells masters that missed changes whether they may vote on.
	Carried uint64
}

// Outcome is how a change ended.
type Outcome uint8

// The outcomes of a change.
const (
	Pending   Outcome = iota
	OK                // the target view is committed
	Completed         // another view, accepted by an earlier coordinator, is committed instead
	Conflict          // another coordinator or a newer view got in the way; retry against the newest view
	NoQuorum          // too few masters answered, sealed, or installed
)

// Send is a message for the node at address To.
type Send struct {
	To  string
	Msg any
}

// Change is one view change from one view to the next.
type Change struct {
	cfg    Config
	from   view.View
	to     view.View
	ballot uint64
	call   uint64

	phase    phase
	round    uint32
	targets  []string // the current round's addressees
	sent     []Send   // and what they were sent
	resent   int
	deadline int64
	graced   bool // this install page has W acks; the round waits a grace for the rest
	answered []bool
	nAnswers int

	seals            map[string]*messages.SealReply // sealed masters' replies
	higher           uint64                         // a higher view promise seen
	newer            *view.View
	sources          []string // sealed masters whose state is dumped
	dump             dumpState
	inst             installState
	final            bool     // the transfer's last page is out
	installed        []string // masters that installed every page, and their incarnations
	incs             []uint64
	accepts, refused int

	done      bool
	out       Outcome
	completed bool // it committed an earlier coordinator's accepted view
	problem   string
	acks      int // masters of the new view that acknowledged the commit
}

type phase uint8

const (
	phSeal phase = iota + 1
	phDump
	phInstall
	phAccept
	phCommit
	phDone
)

// New returns the change from view from to view to (whose version must be
// from's + 1) at view ballot b. call is the request id base.
func New(cfg Config, from, to view.View, b uint64, call uint64) *Change {
	if cfg.PageLimit == 0 {
		cfg.PageLimit = 1024
	}
	return &Change{cfg: cfg, from: from, to: to, ballot: b, call: call, seals: make(map[string]*messages.SealReply)}
}

// Start sends the seal.
func (c *Change) Start(now int64) []Send {
	if c.to.Version != c.from.Version+1 {
		c.finish(Conflict, fmt.Sprintf("view %d does not follow view %d", c.to.Version, c.from.Version))
		return nil
	}
	return c.send(now, phSeal, c.from.Masters, func(id uint64, _ string) any {
		return &messages.Seal{ReqId: id, Version: c.to.Version, Ballot: c.ballot}
	})
}

// Deadline returns when Tick must next be called.
func (c *Change) Deadline() int64 { return c.deadline }

// Done reports whether the change has ended.
func (c *Change) Done() bool { return c.done }

// Outcome returns how the change ended, and why when it failed.
func (c *Change) Outcome() (Outcome, string) { return c.out, c.problem }

// Committed returns the view the change committed (the target, or the
// one it completed), once the outcome is OK or Completed.
func (c *Change) Committed() view.View { return c.to }

// Higher returns the highest view promise a refusal named (to retry
// above it) and a newer view a master reported.
func (c *Change) Higher() (uint64, *view.View) { return c.higher, c.newer }

// Acks returns how many masters of the committed view acknowledged it.
func (c *Change) Acks() int { return c.acks }

func (c *Change) send(now int64, p phase, targets []string, build func(id uint64, to string) any) []Send {
	c.round++
	c.phase, c.targets, c.resent, c.graced = p, targets, 0, false
	c.answered, c.nAnswers = make([]bool, len(targets)), 0
	c.deadline = now + c.cfg.RoundTimeout
	c.sent = make([]Send, 0, len(targets))
	for i, t := range targets {
		c.sent = append(c.sent, Send{To: t, Msg: build(reqid.Make(c.call, c.round, i), t)})
	}
	return c.sent
}

// Resends is how many times a round is sent again to the nodes that have
// not answered before they count as silent.
const Resends = 2

// resend sends the round again to the nodes that have not answered.
func (c *Change) resend(now int64) []Send {
	c.resent++
	c.deadline = now + c.cfg.RoundTimeout
	var out []Send
	for i, s := range c.sent {
		if !c.answered[i] {
			out = append(out, s)
		}
	}
	return out
}

// Step feeds one reply to the change.
func (c *Change) Step(now int64, msg any) []Send {
	r, ok := msg.(interface{ GetReqId() uint64 })
	if !ok || c.done {
		return nil
	}
	id := r.GetReqId()
	if reqid.Call(id) != c.call || reqid.Round(id) != c.round&(1<<reqid.RoundBits-1) {
		return nil
	}
	i := reqid.Index(id)
	if i >= len(c.targets) || c.answered[i] {
		return nil
	}
	c.answered[i] = true
	c.nAnswers++
	switch c.phase {
	case phSeal:
		return c.onSeal(now, c.targets[i], msg)
	case phDump:
		return c.onDump(now, i, msg)
	case phInstall:
		return c.onInstall(now, i, msg)
	case phAccept:
		return c.onAccept(now, msg)
	case phCommit:
		return c.onCommit(i, msg)
	}
	return nil
}

// Tick ends a round whose silent nodes it stops waiting for.
func (c *Change) Tick(now int64) []Send {
	if c.done || now < c.deadline {
		return nil
	}
	if c.resent < Resends && c.phase != phCommit && !c.graced {
		return c.resend(now)
	}
	switch c.phase {
	case phSeal:
		return c.sealDecided(now, true)
	case phDump:
		c.finish(NoQuorum, "a sealed master stopped answering during the state transfer")
	case phInstall:
		return c.installDecided(now, true)
	case phAccept:
		c.finish(NoQuorum, fmt.Sprintf("%d of %d masters of view %d accepted view %d, %d needed", c.accepts,
			len(c.from.Masters), c.from.Version, c.to.Version, c.from.W))
	case phCommit:
		c.end(OK)
	}
	return nil
}

func (c *Change) finish(out Outcome, problem string) {
	c.problem = problem
	c.end(out)
}

func (c *Change) end(out Outcome) {
	if out == OK && c.completed {
		out = Completed
	}
	c.out, c.done, c.phase, c.deadline = out, true, phDone, 0
}

// onSeal records a seal reply.
func (c *Change) onSeal(now int64, from string, msg any) []Send {
	r, ok := msg.(*messages.SealReply)
	if !ok {
		return nil
	}
	switch r.GetStatus() {
	case messages.Status_STATUS_OK:
		c.seals[from] = r
	case messages.Status_STATUS_REJECTED:
		c.higher = max(c.higher, r.GetPromised())
	case messages.Status_STATUS_WRONG_VIEW:
		if v, err := view.FromProto(r.GetView()); err == nil && v.Version > c.from.Version {
			c.newer = &v
			c.finish(Conflict, fmt.Sprintf("view %d was replaced by view %d", c.from.Version, v.Version))
			return nil
		}
	}
	return c.sealDecided(now, c.nAnswers == len(c.targets))
}

// sealDecided moves on once enough masters are sealed to freeze the old
// view and hold every state it chose (or when the round is over).
func (c *Change) sealDecided(now int64, over bool) []Send {
	n, w := len(c.from.Masters), c.from.W
	var voting, trusted []string
	for _, m := range c.from.Masters {
		r := c.seals[m]
		switch {
		case r == nil:
		case r.GetVoting():
			voting = append(voting, m)
			trusted = append(trusted, m)
		case r.GetRecoveringNs() >= c.cfg.LockDelay:
			trusted = append(trusted, m)
		}
	}
	sealed := len(c.seals)
	switch {
	case sealed >= w && len(voting) >= quorum.Meet(n, w):
		c.sources = voting
	case sealed >= w && len(trusted) >= quorum.Meet(n, w) && over:
		c.sources = trusted // the lock-delay fallback: only once every answer is in
	case over && c.higher > 0:
		c.finish(Conflict, fmt.Sprintf("another view change holds a higher ballot (%d)", c.higher))
		return nil
	case over:
		c.finish(NoQuorum, fmt.Sprintf("%d of %d masters sealed (%d needed), %d of them voting (%d needed, or recovering masters that have waited out the lock-delay)",
			sealed, n, w, len(voting), quorum.Meet(n, w)))
		return nil
	default:
		return nil
	}
	if acc := c.acceptedView(); acc != nil {
		return c.complete(now, acc)
	}
	if c.needsInstall() {
		return c.startDump(now)
	}
	return c.startAccept(now, nil, nil)
}

// acceptedView returns the seal reply naming the highest accepted view, if
// any sealed master accepted one: Paxos makes the change complete it.
func (c *Change) acceptedView() *messages.SealReply {
	var best *messages.SealReply
	for _, r := range c.seals {
		if r.GetAcceptedBallot() != 0 && (best == nil || r.GetAcceptedBallot() > best.GetAcceptedBallot()) {
			best = r
		}
	}
	return best
}

// complete finishes an earlier coordinator's accepted view instead of the
// target: its state was installed before it was accepted.
func (c *Change) complete(now int64, r *messages.SealReply) []Send {
	v, err := view.FromProto(r.GetAccepted())
	if err != nil || v.Version != c.to.Version {
		c.finish(Conflict, "a sealed master holds a malformed accepted view")
		return nil
	}
	same := v.Hash() == c.to.Hash() && slices.Equal(v.Replicas, c.to.Replicas)
	c.to, c.completed = v, !same
	return c.startAccept(now, r.GetAcceptedInstalled(), r.GetAcceptedIncarnations())
}

// needsInstall reports whether the new view's masters need the old
// view's state: they or W differ, or the change is a rejoin. With the
// same masters and W, the new view's quorums are the old one's, and
// each master keeps its own state; a recovering master stays recovering
// until a rejoin installs the state into it.
func (c *Change) needsInstall() bool {
	return c.cfg.Transfer || !slices.Equal(c.from.Masters, c.to.Masters) || c.from.W != c.to.W
}
