package proposer

import "github.com/protolocker/locker/internal/quorum"

// tally counts one round's answers, one per master, and what the
// refusals said.
type tally struct {
	w, n      int
	seen, yes []bool
	nYes, nNo int
	answered  int // masters that replied (silence and known-down excluded)

	rejected, wrongView, notReady, sealed, bad int
	newer                                      int  // accept refusals from masters that accepted a newer ballot
	contended                                  bool // a refusal named a promise above its master\'s last write (+1): another call is under way
	conflict                                   bool // a master holds another view at the same version
	notMaster                                  bool // a master holds this very view but is not in it by its own address
}

func newTally(w, n int) tally {
	return tally{w: w, n: n, seen: make([]bool, n), yes: make([]bool, n)}
}

// add counts master i once; answered says it replied (rather than being
// given up on). It reports whether the answer was new.
func (t *tally) add(i int, yes, answered bool) bool {
	if i < 0 || i >= t.n || t.seen[i] {
		return false
	}
	t.seen[i], t.yes[i] = true, yes
	if yes {
		t.nYes++
	} else {
		t.nNo++
	}
	if answered {
		t.answered++
	}
	return true
}

func (t *tally) outcome() quorum.Outcome { return quorum.Decide(t.w, t.n, t.nYes, t.nNo) }
