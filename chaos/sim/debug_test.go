package sim

import (
	"flag"
	"testing"
)

var (
	clientFlag = flag.Int("sim.client", -1, "trace only this client's calls")
	keyFlag    = flag.String("sim.key", "", "trace the syncs of this key")
)

func TestCalm(t *testing.T) {
	p := lin(3)
	p.FaultEvery = 0
	p.Loss, p.Dup = 0, 0
	w := New(1, p)
	w.trace = t.Logf
	err := w.Run()
	t.Logf("stats %+v", w.Stats())
	if err != nil {
		t.Fatal(err)
	}
	if err := linearizable("calm", 1, w.History()); err != nil {
		t.Fatal(err)
	}
}

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
