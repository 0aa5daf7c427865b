package proposer

import (
	"math/rand/v2"
	"sync"
)

// MaxLast bounds how many keys' last writes a Local keeps for the
// one-round path; beyond it, an arbitrary one is forgotten (its next
// write takes two rounds).
const MaxLast = 1 << 20

// MaxLastAttached bounds, apart, the last writes of tenures attached to a
// session, whose only one-round path is their release: a session may
// carry a million names, and each kept write costs some 250 bytes.
const MaxLastAttached = 1 << 16

// Local is a node's ballot clock, last writes and randomness: the Node of
// every call the node hosts. It is safe for concurrent use. wall returns
// the wall clock in microseconds (the hybrid logical clock's floor).
type Local struct {
	wall func() int64
	down func(addr string) bool
	held func(key string) bool

	mu       sync.Mutex
	ballots  *Ballots
	last     map[string]Last
	attached map[string]Last // last writes of tenures attached to a session
	rng      *rand.Rand
}

// NewLocal returns the Node of the node with the given ballot index,
// clock, failure detector and local table (nil: none), seeded for its
// back-off jitter.
func NewLocal(index uint64, wall func() int64, down func(addr string) bool, held func(key string) bool, seed uint64) *Local {
	if down == nil {
		down = func(string) bool { return false }
	}
	if held == nil {
		held = func(string) bool { return false }
	}
	return &Local{wall: wall, down: down, held: held, ballots: NewBallots(index), last: make(map[string]Last),
		attached: make(map[string]Last), rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Ballot returns a new ballot.
func (l *Local) Ballot() uint64 {
	w := l.wall()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ballots.Next(w)
}

// Observe advances the clock past b.
func (l *Local) Observe(b uint64) {
	l.mu.Lock()
	l.ballots.Observe(b)
	l.mu.Unlock()
}

// Take removes and returns key's last write.
func (l *Local) Take(key string) (Last, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if w, ok := l.last[key]; ok {
		delete(l.last, key)
		return w, true
	}
	w, ok := l.attached[key]
	if ok {
		delete(l.attached, key)
	}
	return w, ok
}

// Wrote records key's last write.
func (l *Local) Wrote(key string, w Last) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.last, key)
	delete(l.attached, key)
	m, bound := l.last, MaxLast
	if w.State.GetHeld() && w.State.GetSession() != 0 {
		m, bound = l.attached, MaxLastAttached
	}
	if len(m) >= bound {
		for k := range m {
			delete(m, k)
			break
		}
	}
	m[key] = w
}

// Observed drops key's last write when another proposer wrote the key
// at ballot b since: the one-round path would only be refused.
func (l *Local) Observed(key string, b uint64) {
	l.mu.Lock()
	if w, ok := l.last[key]; ok && b >= w.Next {
		delete(l.last, key)
	}
	if w, ok := l.attached[key]; ok && b >= w.Next {
		delete(l.attached, key)
	}
	l.mu.Unlock()
}

// Jitter returns a random duration in [0, n).
func (l *Local) Jitter(n int64) int64 {
	if n <= 0 {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rng.Int64N(n)
}

// Down reports what the failure detector says of addr.
func (l *Local) Down(addr string) bool { return l.down(addr) }

// Held reports what the node's table says of key.
func (l *Local) Held(key string) bool { return l.held(key) }

// Keeps returns how many last writes it keeps.
func (l *Local) Keeps() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.last) + len(l.attached)
}
