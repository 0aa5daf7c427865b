package lease

import (
	"sync/atomic"

	"github.com/protolocker/locker/internal/view"
	"github.com/protolocker/locker/messages"
)

// Config configures an Acceptor.
type Config struct {
	Self         string    // this node's address
	View         view.View // the view it starts in
	Incarnation  uint64    // random per start, never 0: tells a restart from its predecessor
	MaxLease     int64     // longest lease accepted, in ns; 0: only LeaseCap
	TombstoneTTL int64     // how long a free key is kept before it is dropped, in ns
	LockDelay    int64     // how long a recovering acceptor waits before its empty memory is trusted, in ns
	Voting       bool      // its memory is complete from the start (Bootstrap, a lone master)
	Now          int64     // the clock at start: recovery is counted from it
}

// Acceptor is one node's share of every key register, of view changes and
// of anti-entropy. It has a single writer; see the package doc.
type Acceptor struct {
	cfg       Config
	view      view.View
	voting    bool
	keys      *table // the records, shared with the Store's readers
	floor     uint64 // every dropped key's ballots are at most floor
	store     *Store
	expiry    deadlines // held keys' deadlines
	idle      deadlines // when free keys may be dropped
	abandon   deadlines // when expired keys count as abandoned
	log       changeLog
	cursors   map[string]cursor   // anti-entropy: what each master sent us
	heard     map[string]struct{} // nodes that answered a sync since the start
	vouched   map[string]*vouches
	suspects  map[string]struct{}
	abandoned map[string]struct{}
	sessions  map[uint64]*session // keys attached to each session
	promises  int                 // records that only promised (nothing accepted)
	reg       viewRegister
	inst      installing           // the view change whose state it is installing
	commit    *messages.ViewCommit // the commit of its view (nil: its configuration, or not known yet)
	mayVote   bool                 // it voted in view votedIn, and awaits the commit of its view
	votedIn   uint64
}

// record is one key's acceptor state. Only pub is read by other
// goroutines (the Store's readers); the rest is the acceptor's alone.
type record struct {
	key      string
	promised uint64                // P
	accepted uint64                // A; 0: nothing accepted
	origin   uint64                // the accepted content's origin ballot
	base     uint64                // the ballot its writer computed it from
	tbase    uint64                // the base of the write that started the tenure (free: of the tenure it ended)
	entry    *Entry                // held content (nil when free)
	pub      atomic.Pointer[Entry] // entry while it is live here, else nil: what the Store shows
	seq      uint64                // change number of the accepted content (anti-entropy)
	free     *freeState            // free or never accepted (nil while held)
	chosen   bool                  // the accepted content is known chosen
}

// freeState is what a record keeps only while it holds no tenure.
type freeState struct {
	ended     uint64   // the token of the tenure it ended (0: none known)
	idleUntil int64    // when it may be dropped
	heldBy    []string // the other masters known to hold this state or a newer one
}

// ended returns the token of the tenure a free record ended (0: none
// known, or held).
func (r *record) ended() uint64 {
	if r.free == nil {
		return 0
	}
	return r.free.ended
}

// heldBy returns the other masters known to hold a free record's state
// or a newer one.
func (r *record) heldBy() []string {
	if r.free == nil {
		return nil
	}
	return r.free.heldBy
}

// freed returns the record's free state, made empty if it had none.
func (r *record) freed() *freeState {
	if r.free == nil {
		r.free = &freeState{}
	}
	return r.free
}

// New returns an acceptor with no keys.
func New(cfg Config) *Acceptor {
	a := &Acceptor{
		cfg:       cfg,
		view:      cfg.View,
		voting:    cfg.Voting,
		store:     NewStore(),
		cursors:   make(map[string]cursor),
		heard:     make(map[string]struct{}),
		vouched:   make(map[string]*vouches),
		suspects:  make(map[string]struct{}),
		abandoned: make(map[string]struct{}),
		sessions:  make(map[uint64]*session),
	}
	a.keys = a.store.t
	return a
}

// Store returns the published view of the held keys, for concurrent
// readers.
func (a *Acceptor) Store() *Store { return a.store }

// View returns the view the acceptor is in.
func (a *Acceptor) View() view.View { return a.view }

// Voting reports whether its memory is complete: it may vote on keys
// when it is a master of its view and no view change seals it.
func (a *Acceptor) Voting() bool { return a.voting }

// Votes reports whether it votes on keys now.
func (a *Acceptor) Votes() bool {
	return a.voting && a.view.IsMaster(a.cfg.Self) && !a.reg.sealed(a.view)
}

// AcceptedView returns the next view this acceptor accepted in a view
// change not committed yet, if any.
func (a *Acceptor) AcceptedView() (view.View, bool) {
	if a.reg.accepted == nil {
		return view.View{}, false
	}
	v, err := view.FromProto(a.reg.accepted.GetView())
	return v, err == nil
}

// Sealed reports whether a view change seals its view: it votes on no
// key until the change commits.
func (a *Acceptor) Sealed() bool { return a.reg.sealed(a.view) }

// Incarnation returns the acceptor's incarnation.
func (a *Acceptor) Incarnation() uint64 { return a.cfg.Incarnation }

// Len returns the number of keys it keeps (held, expired or free).
func (a *Acceptor) Len() int { return a.keys.len() }

// Counts is what an acceptor keeps.
type Counts struct {
	Keys     int // keys with an accepted state (held, expired or free)
	Promises int // keys with only a promise
	Sessions int // sessions with keys attached here
}

// Counts returns how many keys, promises and sessions it keeps.
func (a *Acceptor) Counts() Counts {
	return Counts{Keys: a.keys.len() - a.promises, Promises: a.promises, Sessions: len(a.sessions)}
}

// Recovering reports whether its memory is incomplete (it does not vote
// on keys yet), and if so whether LockDelay has passed since it started,
// after which a view change may trust its empty memory.
func (a *Acceptor) Recovering(now int64) (recovering, delayOver bool) {
	if a.voting {
		return false, false
	}
	return true, a.recoveredFor(now) >= a.cfg.LockDelay
}

// Floor returns the ballot below which dropped keys refuse writes.
func (a *Acceptor) Floor() uint64 { return a.floor }

// Adopt installs a newer view learned from another node (not through a
// commit naming this acceptor's install): it reports whether it did.
func (a *Acceptor) Adopt(v view.View) bool { return a.adopt(v, nil) }

// Handle answers one message received at now from the node at address
// from. known is false for a message type it does not handle; reply is
// nil when the message expects no answer.
func (a *Acceptor) Handle(now int64, from string, msg any) (reply any, known bool) {
	switch m := msg.(type) {
	case *messages.Prepare:
		return a.prepare(now, m), true
	case *messages.Accept:
		return a.accept(now, m), true
	case *messages.ReadRequest:
		return a.read(now, m), true
	case *messages.Learn:
		return a.learn(now, m), true
	case *messages.SyncRequest:
		return a.serveSync(now, m), true
	case *messages.SyncReply:
		a.ApplySync(now, from, m)
		return nil, true
	case *messages.Seal:
		return a.seal(now, m), true
	case *messages.DumpRequest:
		return a.dump(now, m), true
	case *messages.Install:
		return a.install(now, m), true
	case *messages.ViewAccept:
		return a.viewAccept(now, m), true
	case *messages.ViewCommit:
		return a.viewCommit(m), true
	}
	return nil, false
}

// gate checks that a key vote names this acceptor's view and that it
// votes.
func (a *Acceptor) gate(version, hash uint64) messages.Status {
	switch {
	case version != a.view.Version || hash != a.view.Hash() || !a.view.IsMaster(a.cfg.Self):
		return messages.Status_STATUS_WRONG_VIEW
	case a.reg.sealed(a.view):
		return messages.Status_STATUS_SEALED
	case !a.voting:
		return messages.Status_STATUS_NOT_READY
	}
	return messages.Status_STATUS_OK
}

// refusal is the Vote for a request that gate refused.
func (a *Acceptor) refusal(id uint64, s messages.Status) *messages.Vote {
	v := &messages.Vote{ReqId: id, Status: s}
	if s == messages.Status_STATUS_WRONG_VIEW {
		v.View = a.view.Proto()
	}
	return v
}

// Keys returns every key the acceptor keeps, in no order.
func (a *Acceptor) Keys() []string {
	keys := make([]string, 0, a.keys.len())
	a.keys.each(func(r *record) bool {
		keys = append(keys, r.key)
		return true
	})
	return keys
}

// State returns a key's accepted ballot and state (what it has left at
// now), as a vote would report them.
func (a *Acceptor) State(now int64, key string) (accepted uint64, st *messages.State) {
	if r := a.keys.get(key); r != nil {
		return r.accepted, r.report(now)
	}
	return 0, nil
}

// Promise returns a key's promised ballot, and whether its accepted state
// is known chosen.
func (a *Acceptor) Promise(key string) (promised uint64, chosen bool) {
	if r := a.keys.get(key); r != nil {
		return r.promised, r.chosen
	}
	return a.floor, false
}
