package sim

import (
	"flag"
	"testing"
)

var (
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
