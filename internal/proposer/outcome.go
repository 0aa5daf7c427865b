package proposer

// Outcome is how a call ended.
type Outcome uint8

// The outcomes of a call.
const (
	Pending       Outcome = iota
	OK                    // done; for a Read, Result.Found says whether the key is held
	Locked                // Lock: another tenure holds the key
	NotOwner              // Update, Extend, Release: another value holds the key
	NotFound              // Update, Extend: the key (or the bound tenure) is not held
	NoQuorum              // failed, and nothing of the call took effect
	Indeterminate         // failed after proposing its own state: it may have taken effect
	Invalid               // a master refused the request as malformed (a lease above its MaxLease)
)

// String returns the outcome's name, as metrics name it.
func (o Outcome) String() string {
	switch o {
	case Pending:
		return "pending"
	case OK:
		return "ok"
	case Locked:
		return "locked"
	case NotOwner:
		return "not_owner"
	case NotFound:
		return "not_found"
	case NoQuorum:
		return "no_quorum"
	case Indeterminate:
		return "indeterminate"
	case Invalid:
		return "invalid"
	}
	return "unknown"
}

// Result is what a call reports.
type Result struct {
	W       int    // the quorum of the view the call ended in
	Votes   int    // masters that promised (or, on the one-round path, accepted)
	Commits int    // masters that accepted the write
	Token   uint64 // the fencing token of the tenure the key is held by after the call
	Value   []byte // Read: the value held
	Found   bool   // Read: whether the key is held
}

// answer is what a call answers once its write-back is chosen.
type answer struct {
	out Outcome
	res Result
}
