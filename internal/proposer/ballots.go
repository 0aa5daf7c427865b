package proposer

// IndexBits is the number of low ballot bits that hold the node's index.
const IndexBits = 8

// Ballots makes a node's ballots: a hybrid logical clock (wall-clock
// microseconds, advanced past every ballot seen) shifted left by
// IndexBits, with the node's index in the low bits. It is not safe for
// concurrent use; the host serializes it.
type Ballots struct {
	index   uint64
	counter uint64
}

// NewBallots returns the ballot clock of the node with the given index
// (only its low IndexBits are used).
func NewBallots(index uint64) *Ballots {
	return &Ballots{index: index & (1<<IndexBits - 1)}
}

// Next returns a ballot above every ballot made or observed so far, and
// at least wallMicros in its counter.
func (c *Ballots) Next(wallMicros int64) uint64 {
	c.counter = max(c.counter+1, uint64(max(wallMicros, 0)))
	return c.counter<<IndexBits | c.index
}

// Observe advances the clock past a ballot seen in a reply.
func (c *Ballots) Observe(b uint64) {
	c.counter = max(c.counter, b>>IndexBits)
}
