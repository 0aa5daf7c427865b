package locker

import (
	"sync"
	"sync/atomic"
	"time"
)

// suspectGrace is how long a round still waits for suspected nodes once
// every other node has answered.
const suspectGrace = 5 * time.Millisecond

// suspects is a node's failure detector: the addresses that stayed silent
// through a round that waited for them until its context ended. A round
// that only waits for suspects gives them suspectGrace, then counts them
// as refusals, so a dead master costs one timeout, not one per round.
// Any reply clears a suspect.
type suspects struct {
	n  atomic.Int32 // len(m), read without the lock on the hot path
	mu sync.Mutex
	m  map[string]bool
}

func (s *suspects) mark(targets []string, answered []bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string]bool)
	}
	for i, a := range answered {
		if !a && !s.m[targets[i]] {
			s.m[targets[i]] = true
			s.n.Add(1)
		}
	}
}

func (s *suspects) clear(addr string) {
	if s.n.Load() == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m[addr] {
		delete(s.m, addr)
		s.n.Add(-1)
	}
}

// onlyLeft reports whether some targets have not answered and all of them
// are suspects.
func (s *suspects) onlyLeft(targets []string, answered []bool) bool {
	if s.n.Load() == 0 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	left := false
	for i, a := range answered {
		if !a {
			if !s.m[targets[i]] {
				return false
			}
			left = true
		}
	}
	return left
}
