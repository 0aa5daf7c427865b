package lockercluster_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	lockercluster "github.com/protolocker/locker/cluster"
)

// quantiles formats the median, 90th and 99th percentiles of d.
func quantiles(d []time.Duration) string {
	slices.Sort(d)
	q := func(p float64) time.Duration { return d[int(p*float64(len(d)-1))].Round(time.Microsecond) }
	return fmt.Sprintf("%v | %v | %v", q(0.5), q(0.9), q(0.99))
}

// TestLatency measures, in real time on the in-memory network, the
// latency of a repeat request to a warm grain (the PidCache answers), of
// a first activation, and for scale of one store round (a linearizable
// Read) and of a Session.Lock, for each lookup. It runs only when
// LOCKERCLUSTER_LATENCY is set:
//
//	LOCKERCLUSTER_LATENCY=1 go test -run TestLatency -v ./cluster/
func TestLatency(t *testing.T) {
	if os.Getenv("LOCKERCLUSTER_LATENCY") == "" {
		t.Skip("set LOCKERCLUSTER_LATENCY=1 to measure")
	}
	const n = 2000
	rows := []string{"| measure | lookup | p50 | p90 | p99 |", "|---|---|---|---|---|"}
	// Both clusters run at once and the repeat requests alternate between
	// them in batches, so that both see the same load of the machine.
	hs := make([]*harness, len(lookups))
	repeat := make([][]time.Duration, len(lookups))
	for i, l := range lookups {
		hs[i] = startWith(t, 3, l.new(3))
		for _, a := range addrs(3) {
			_, err := hs[i].request(a, "warm")
			require.NoError(t, err)
		}
	}
	for b := range 20 {
		for i, h := range hs {
			for k := range n / 20 {
				start := time.Now()
				_, err := h.request(addrs(3)[(b+k)%3], "warm")
				require.NoError(t, err)
				repeat[i] = append(repeat[i], time.Since(start))
			}
		}
	}
	for i, l := range lookups {
		rows = append(rows, "| repeat request (warm grain) | "+l.name+" | "+quantiles(repeat[i])+" |")
	}
	for i, l := range lookups {
		h := hs[i]
		var first []time.Duration
		sent := func() uint64 { // requests the members sent to masters
			var total uint64
			if _, ok := h.member("n1:1").lookup.(*lockercluster.IdentityLookup); !ok {
				return 0
			}
			for _, a := range addrs(3) {
				total += h.lookupAt(a).Node().Stats().Batched
			}
			return total
		}
		before := sent()
		for i := range n {
			start := time.Now()
			_, err := h.request("n2:1", fmt.Sprintf("new%d", i))
			require.NoError(t, err)
			first = append(first, time.Since(start))
		}
		perActivation := float64(sent()-before) / n
		rows = append(rows, "| first activation | "+l.name+" | "+quantiles(first)+" |")
		if l.name != "lockercluster" {
			continue
		}
		node := h.lookupAt("n2:1").Node()
		before = sent()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		s, err := node.NewSession(ctx, time.Second)
		require.NoError(t, err)
		var reads, locks []time.Duration
		for i := range n {
			start := time.Now()
			_, err := s.Lock(ctx, fmt.Sprintf("k%d", i), []byte("v"))
			require.NoError(t, err)
			locks = append(locks, time.Since(start))
			start = time.Now()
			_, err = node.Read(ctx, fmt.Sprintf("k%d", i))
			require.NoError(t, err)
			reads = append(reads, time.Since(start))
		}
		perLockRead := float64(sent()-before) / n
		s.Orphan()
		cancel()
		rows = append(rows, "| store: one Read (a round) | - | "+quantiles(reads)+" |",
			"| store: one Session.Lock | - | "+quantiles(locks)+" |",
			fmt.Sprintf("| requests to masters per first activation, and per Session.Lock + Read | - | %.1f | %.1f | |", perActivation, perLockRead))
	}
	t.Log("\n" + strings.Join(rows, "\n"))
}
