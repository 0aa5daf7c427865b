package sim

import (
	"flag"
	"testing"
)

var (
	atFlag     = flag.Duration("sim.at", 0, "TestStates: the simulated time to stop at")
	clientFlag = flag.Int("sim.client", -1, "trace only this client's calls")
	keyFlag    = flag.String("sim.key", "", "trace the syncs of this key")
)

// TestOne replays one run with a trace of its view changes, crashes and
// failed calls (and every decision of -sim.client's calls, syncs of
// -sim.key): go test ./sim/ -run TestOne -sim.profile=P -sim.seed=S -v
func TestOne(t *testing.T) {
	if *profFlag == "" {
		t.Skip("-sim.profile and -sim.seed")
	}
	w := New(*seedFlag, Profiles[*profFlag])
	w.trace = t.Logf
	w.traceClient = *clientFlag
	w.traceKey = *keyFlag
	err := w.Run()
	t.Logf("stats %+v", w.Stats())
	if err != nil {
		t.Fatal(err)
	}
}

// TestStates prints every node's view and state of -sim.key at
// -sim.at (a duration) of a -sim.profile / -sim.seed run.
func TestStates(t *testing.T) {
	if *profFlag == "" || *atFlag == 0 {
		t.Skip("-sim.profile, -sim.seed, -sim.key and -sim.at")
	}
	w := New(*seedFlag, Profiles[*profFlag])
	w.stopAt = int64(*atFlag)
	_ = w.Run()
	for _, n := range w.nodes {
		if n.acc == nil {
			continue
		}
		a, st := n.acc.State(n.now(), *keyFlag)
		p, ch := n.acc.Promise(*keyFlag)
		v := n.acc.View()
		t.Logf("%s alive %v view %d %v w=%d voting %v sealed %v: accepted %d promised %d chosen %v %v",
			n.addr, n.alive, v.Version, v.Masters, v.W, n.acc.Voting(), n.acc.Sealed(), a, p, ch, st)
	}
}
