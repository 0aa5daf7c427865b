package lease

// Entry is the published state of a held key. Entries are immutable once
// stored: a write stores a new Entry. Callers must not modify Value.
type Entry struct {
	Value     []byte // the holder's value; read-only
	Token     uint64 // fencing token of the Lock or Update that wrote Value
	ExpiresAt int64  // deadline on the owning node's monotonic clock, in ns
}

// Op names a write, as committed and as replayed by replicas.
type Op uint8

// The write operations.
const (
	OpLock Op = iota + 1
	OpUpdate
	OpExtend
	OpRelease
)

// String returns the operation's name.
func (o Op) String() string {
	switch o {
	case OpLock:
		return "lock"
	case OpUpdate:
		return "update"
	case OpExtend:
		return "extend"
	case OpRelease:
		return "release"
	}
	return "unknown"
}

// Record is one committed write in a master's replication log.
type Record struct {
	Op        Op
	Key       string
	Value     []byte
	Token     uint64
	ExpiresAt int64 // the entry's deadline after the write (the deleted one's, for a release)
}

// Status is the table's answer to a request.
type Status uint8

// The statuses a Table returns.
const (
	OK         Status = iota + 1 // granted or applied
	Locked                       // another live promise holds the key
	Mismatch                     // the key holds another value than expected
	NotFound                     // the key is absent where a value was expected
	NoPromise                    // a commit without its live promise
	BadRequest                   // malformed input: empty key, nil value, lease <= 0, zero tag
	Installed                    // extend: the key was absent here and is now installed
)

// String returns the status's name.
func (s Status) String() string {
	switch s {
	case OK:
		return "ok"
	case Locked:
		return "locked"
	case Mismatch:
		return "mismatch"
	case NotFound:
		return "not found"
	case NoPromise:
		return "no promise"
	case BadRequest:
		return "bad request"
	case Installed:
		return "installed"
	}
	return "unknown"
}
