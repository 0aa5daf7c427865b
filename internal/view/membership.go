package view

import (
	"sync"
	"sync/atomic"
)

// Membership is the cell holding a node's current View, shared by the
// node's coordinator and its lease-holder. Reads are lock-free; Install
// only ever moves to a higher version.
type Membership struct {
	mu sync.Mutex // serializes installs
	v  atomic.Pointer[View]
}

// NewMembership returns a cell holding v.
func NewMembership(v View) *Membership {
	m := &Membership{}
	m.v.Store(&v)
	return m
}

// Load returns the current view.
func (m *Membership) Load() View { return *m.v.Load() }

// Install replaces the view with v if v.Version is higher, and reports
// whether it did.
func (m *Membership) Install(v View) bool {
	if v.Version <= m.v.Load().Version {
		return false // the common case, without the lock
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if v.Version <= m.v.Load().Version {
		return false
	}
	m.v.Store(&v)
	return true
}
