package lease

import (
	"sync"
	"sync/atomic"
)

// Store is the published view of an Acceptor: safe for concurrent readers
// while the acceptor, its single writer, updates it. A hit takes no lock and
// allocates nothing.
//
// Waiters (WaitPresent, WaitGone) register under a mutex that the writer
// also takes whenever any waiter exists, so a write can never slip between
// a waiter's check and its registration.
type Store struct {
	t *table // the acceptor's records: an entry is published in its record

	waiting atomic.Int64 // registered waiters; the writer skips mu when 0
	mu      sync.Mutex
	present map[string][]*waiter // woken when the key is set
	gone    map[string][]*waiter // woken when the key is deleted
}

type waiter struct {
	ch chan struct{}
}

// NewStore returns an empty Store.
func NewStore() *Store {
	return &Store{
		t:       newTable(),
		present: make(map[string][]*waiter),
		gone:    make(map[string][]*waiter),
	}
}

// Get returns the key's entry. The entry is shared: do not modify it.
func (s *Store) Get(key string) (*Entry, bool) {
	r := s.t.get(key)
	if r == nil {
		return nil, false
	}
	e := r.pub.Load()
	return e, e != nil
}

// Range calls f for every entry until f returns false.
func (s *Store) Range(f func(key string, e *Entry) bool) {
	s.t.each(func(r *record) bool {
		if e := r.pub.Load(); e != nil {
			return f(r.key, e)
		}
		return true
	})
}

// WaitPresent returns the key's entry if it is there now. Otherwise it
// returns a channel closed when the key is next set, and a cancel function
// that the caller must call if it stops waiting before that.
func (s *Store) WaitPresent(key string) (e *Entry, woken <-chan struct{}, cancel func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waiting.Add(1) // before the check: see add
	if e, ok := s.Get(key); ok {
		s.waiting.Add(-1)
		return e, nil, func() {}
	}
	w := s.add(s.present, key)
	return nil, w.ch, func() { s.cancel(s.present, key, w) }
}

// WaitGone returns held == false if the key is absent now. Otherwise it
// returns a channel closed when the key is next deleted (released or
// expired), and a cancel function for a caller that stops waiting first.
func (s *Store) WaitGone(key string) (held bool, woken <-chan struct{}, cancel func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waiting.Add(1) // before the check: see add
	if _, ok := s.Get(key); !ok {
		s.waiting.Add(-1)
		return false, nil, func() {}
	}
	w := s.add(s.gone, key)
	return true, w.ch, func() { s.cancel(s.gone, key, w) }
}

// Waiters returns how many waiters are registered.
func (s *Store) Waiters() int { return int(s.waiting.Load()) }

// add registers a waiter already counted in s.waiting. The count goes up
// before the waiter checks the key, and the writer stores the key before
// it reads the count (both sequentially consistent): either the waiter
// sees the write, or the writer sees the count and takes mu, which the
// waiter holds until it is registered, so no write slips between.
func (s *Store) add(m map[string][]*waiter, key string) *waiter {
	w := &waiter{ch: make(chan struct{})}
	m[key] = append(m[key], w)
	return w
}

func (s *Store) cancel(m map[string][]*waiter, key string, w *waiter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := m[key]
	for i, x := range ws {
		if x == w {
			ws[i] = ws[len(ws)-1]
			ws = ws[:len(ws)-1]
			s.waiting.Add(-1)
			break
		}
	}
	if len(ws) == 0 {
		delete(m, key)
	} else {
		m[key] = ws
	}
}

// set publishes e as r's entry; the acceptor only.
func (s *Store) set(r *record, e *Entry) {
	r.pub.Store(e)
	if s.waiting.Load() > 0 {
		s.wake(s.present, r.key)
	}
}

// del unpublishes r's entry; the acceptor only.
func (s *Store) del(r *record) {
	r.pub.Store(nil)
	if s.waiting.Load() > 0 {
		s.wake(s.gone, r.key)
	}
}

func (s *Store) wake(m map[string][]*waiter, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range m[key] {
		close(w.ch)
		s.waiting.Add(-1)
	}
	delete(m, key)
}
