package proposer

import "github.com/protolocker/locker/messages"

// Node is what a call needs of the node that hosts it: ballots, the
// states it wrote last (for the one-round path) and randomness for
// back-off. Implementations used from several goroutines must be safe
// for concurrent use.
type Node interface {
	// Ballot returns a new ballot above every ballot seen.
	Ballot() uint64
	// Observe advances the ballot clock past b.
	Observe(b uint64)
	// Take removes and returns the state this node last wrote to key, if
	// it keeps it. Taking it is what keeps two calls of the node from
	// using the same promised ballot.
	Take(key string) (Last, bool)
	// Wrote records the state this node just had chosen for key.
	Wrote(key string, l Last)
	// Jitter returns a random duration in [0, n).
	Jitter(n int64) int64
	// Down reports that the master at addr is known down: a round counts
	// it as a refusal from the start (and still sends to it, so that its
	// answer shows it is back).
	Down(addr string) bool
	// Held reports that the node's own table shows key held: a Lock then
	// reads before it prepares, so that callers spinning on a held key do
	// not raise its promise and keep its holder's release from landing.
	Held(key string) bool
}

// Last is the state a node had chosen for a key, and the ballot its
// acceptors promised it next.
type Last struct {
	Version uint64          // the view it was chosen in
	Next    uint64          // ballot promised to this node by the accepting quorum
	State   *messages.State // what was chosen
	Sent    int64           // when its accept was sent, on the node's clock: a held state lives until Sent + lease here
}

// left returns how long the held state l wrote has at least left, on the
// node's clock at now.
func (l Last) left(now int64) int64 {
	if !l.State.GetHeld() {
		return 0
	}
	return max(l.Sent+l.State.GetLeaseNs()-now, 0)
}
