package main

// fencedStore is the storage service the leader writes to: it refuses a
// write whose fencing token is below the highest it has accepted, so that
// a leader that lost its leadership without knowing cannot overwrite the
// work of the next one.
type fencedStore struct {
	highest  uint64
	accepted int
	refused  int
}

// write applies a write with token, and reports whether it was accepted.
func (s *fencedStore) write(token uint64) bool {
	if token < s.highest {
		s.refused++
		return false
	}
	s.highest = token
	s.accepted++
	return true
}
