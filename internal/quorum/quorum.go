// Package quorum is locker's quorum arithmetic, in one place: the size of
// a majority, the decision of a round from its yes and no answers, and
// how many masters a view change must seal.
package quorum

// Majority returns the smallest quorum of n voters that any two quorums
// intersect: n/2 + 1.
func Majority(n int) int { return n/2 + 1 }

// Outcome is the state of a quorum round.
type Outcome uint8

// The outcomes of Decide.
const (
	Pending Outcome = iota // more answers could still change the result
	Won                    // at least w voters said yes
	Lost                   // too many said no for w yes votes to be possible
)

// Decide is the decision of a round among n voters needing w yes votes,
// after yes grants and no refusals (voters given up on count as no). It
// is Won as soon as yes >= w, Lost as soon as the voters still able to
// say yes cannot make w, and Pending otherwise.
func Decide(w, n, yes, no int) Outcome {
	switch {
	case yes >= w:
		return Won
	case n-no < w:
		return Lost
	default:
		return Pending
	}
}

// Meet returns how many of n voters a set must hold to share a member
// with every quorum of w: n - w + 1.
func Meet(n, w int) int { return n - w + 1 }
