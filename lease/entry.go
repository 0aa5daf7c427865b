package lease

// Entry is the published state of a held, unexpired key: what DirtyRead,
// WaitFor and WaitForRelease see. Entries are immutable once stored: a
// write stores a new Entry. Callers must not modify Value.
type Entry struct {
	Value     []byte // the holder's value; read-only
	Token     uint64 // fencing token: the ballot that started the tenure
	ExpiresAt int64  // deadline on this node's monotonic clock, in ns (0 when attached to a session)
	Session   uint64 // the session it lives with (0: none); it is published while the session is live here
}
