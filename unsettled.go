package locker

import "sync"

// maxUnsettled bounds the keys a node remembers as unsettled.
const maxUnsettled = 1 << 14

// unsettled is the set of keys whose last write from this node ended
// indeterminate: its state may sit on fewer than W masters, where a later
// call can still complete it. The node's next Read of such a key writes
// the newest state back (a repair read), which settles it: the write has
// then either taken effect or never will.
type unsettled struct {
	mu   sync.Mutex
	keys map[string]struct{}
}

// mark records key as unsettled (unless the set is full).
func (u *unsettled) mark(key string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.keys == nil {
		u.keys = make(map[string]struct{})
	}
	if len(u.keys) < maxUnsettled {
		u.keys[key] = struct{}{}
	}
}

// clear forgets key: a repair read settled it.
func (u *unsettled) clear(key string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	delete(u.keys, key)
}

// has reports whether key is unsettled.
func (u *unsettled) has(key string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	_, ok := u.keys[key]
	return ok
}
