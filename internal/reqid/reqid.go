// Package reqid lays out request ids: a call id, a round of the call and
// the index of the target within the round, so that a reply names the
// call it belongs to, the round it answers and the voter that sent it.
//
//	bits 63..20: call    bits 19..12: round    bits 11..0: index
package reqid

// Bit widths of the parts of a request id.
const (
	IndexBits = 12
	RoundBits = 8
	CallShift = IndexBits + RoundBits
)

// MaxTargets is the largest number of targets one round addresses.
const MaxTargets = 1 << IndexBits

// Make returns the id of round (mod 256) of call, sent to target index.
// call must be a multiple of 1<<CallShift (see Base).
func Make(call uint64, round uint32, index int) uint64 {
	return call | uint64(round&(1<<RoundBits-1))<<IndexBits | uint64(index)&(MaxTargets-1)
}

// Base returns the call id numbered n.
func Base(n uint64) uint64 { return n << CallShift }

// Call returns the call an id belongs to.
func Call(id uint64) uint64 { return id >> CallShift << CallShift }

// Round returns the round (mod 256) an id belongs to.
func Round(id uint64) uint32 { return uint32(id>>IndexBits) & (1<<RoundBits - 1) }

// Index returns the target index an id was sent to.
func Index(id uint64) int { return int(id & (MaxTargets - 1)) }
