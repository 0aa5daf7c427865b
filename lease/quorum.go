package lease

// Outcome is the state of a quorum round.
type Outcome uint8

// The outcomes of Decide.
const (
	Pending Outcome = iota // more replies could still change the result
	Won                    // at least w voters said yes
	Lost                   // too many said no for w yes votes to be possible
)

// Decide is the quorum decision of a round among n voters needing w yes
// votes, after yes grants and no refusals (voters that cannot answer in
// time count as no once the caller gives up on them). It is Won as soon as
// yes >= w, Lost as soon as the voters still able to say yes cannot make w,
// and Pending otherwise.
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
