package lease

import (
	"strconv"
	"strings"

	"github.com/protolocker/locker/messages"
)

// SessionPrefix starts the key of every session's register.
const SessionPrefix = "\x00locker/session/"

// SessionKey returns the key of session id's register: a session is a
// key like any other, held for the session's TTL and renewed by
// extending it.
func SessionKey(id uint64) string { return SessionPrefix + strconv.FormatUint(id, 16) }

// SessionOf returns the session whose register key is, if it is one.
func SessionOf(key string) (uint64, bool) {
	s, ok := strings.CutPrefix(key, SessionPrefix)
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseUint(s, 16, 64)
	return id, err == nil && id != 0 && SessionKey(id) == key
}

// session is what an acceptor knows of one session: the keys whose
// accepted state is attached to it, and whether its register is live
// here, which is when those keys are published. keys may also name keys
// attached to it once and detached since (a slice costs a third of a
// set); they are skipped, and compacted away once they are many.
type session struct {
	keys []string
	live int // keys attached now
	up   bool
}

// attach indexes key under session id.
func (a *Acceptor) attach(now int64, key string, id uint64) *session {
	s := a.sessions[id]
	if s == nil {
		s = &session{up: a.sessionLive(now, id)}
		a.sessions[id] = s
	}
	s.keys = append(s.keys, key)
	s.live++
	return s
}

// detach removes key from session id's index.
func (a *Acceptor) detach(id uint64) {
	s := a.sessions[id]
	if s == nil {
		return
	}
	s.live--
	switch {
	case s.live <= 0:
		delete(a.sessions, id)
	case len(s.keys) > 2*s.live+16:
		a.compact(id, s)
	}
}

// attached reports whether key's accepted state is attached to session
// id.
func (a *Acceptor) attached(key string, id uint64) bool {
	r := a.keys.get(key)
	return r != nil && r.entry != nil && r.entry.Session == id
}

// compact keeps the keys still attached to session id, once each.
func (a *Acceptor) compact(id uint64, s *session) {
	seen := make(map[string]struct{}, s.live)
	kept := s.keys[:0]
	for _, k := range s.keys {
		if _, dup := seen[k]; !dup && a.attached(k, id) {
			seen[k] = struct{}{}
			kept = append(kept, k)
		}
	}
	clear(s.keys[len(kept):])
	s.keys = kept
}

// sessionLive reports whether session id's register holds a live state
// here.
func (a *Acceptor) sessionLive(now int64, id uint64) bool {
	r := a.keys.get(SessionKey(id))
	return r != nil && r.entry != nil && r.entry.Session == 0 && r.entry.ExpiresAt > now
}

// sessionChanged publishes or unpublishes the keys attached to the
// session whose register is key, when its liveness here changed: O(keys
// of the session) on a change, nothing on a renewal. Keys unpublished
// are abandoned TombstoneTTL later, like expired ones.
func (a *Acceptor) sessionChanged(now int64, key string) {
	id, ok := SessionOf(key)
	if !ok {
		return
	}
	s := a.sessions[id]
	if s == nil {
		return
	}
	live := a.sessionLive(now, id)
	if live == s.up {
		return
	}
	s.up = live
	for _, k := range s.keys {
		if !a.attached(k, id) {
			continue
		}
		r := a.keys.get(k)
		if live {
			a.store.set(r, r.entry)
			continue
		}
		a.store.del(r)
		a.abandon.push(deadline{at: now + a.cfg.TombstoneTTL, key: k})
	}
}

// lapsed reports whether a held record is no longer live here: its
// lease ran out, or its session is not live.
func (a *Acceptor) lapsed(now int64, r *record) bool {
	if r.entry.Session != 0 {
		return !a.sessionLive(now, r.entry.Session)
	}
	return r.entry.ExpiresAt <= now
}

// sessionReport fills in a vote on an attached state with this
// acceptor's state of its session: a proposer judges whether an attached
// tenure lives from W masters' reports of its session, never from one.
func (a *Acceptor) sessionReport(now int64, r *record, v *messages.Vote) {
	if r == nil || r.entry == nil || r.entry.Session == 0 {
		return
	}
	v.SessionAccepted, v.SessionState = a.State(now, SessionKey(r.entry.Session))
}
