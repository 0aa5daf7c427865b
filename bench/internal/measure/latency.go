// Package measure runs operations and summarizes how long they took:
// sequential latency samples, timed concurrent throughput, contests for
// one key, tight lookup loops, and heap and RSS readings.
package measure

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"time"
)

// Sample summarizes sequential latencies.
type Sample struct {
	N      int
	Median time.Duration
	P99    time.Duration
	Mean   time.Duration
	// AllocsPerOp counts the heap allocations of the whole process
	// during the calls (other goroutines' included), per call.
	AllocsPerOp float64
	Failed      int   // calls that returned an error (not in the figures)
	LastErr     error // the last of them
}

// Latency runs op n times, one after the other, and records the
// duration of each call that succeeded. Failed calls are counted, not
// timed; the run fails when no call succeeded or more than half failed.
// It stops early, with what it has, when ctx ends.
func Latency(ctx context.Context, n int, op func(i int) error) (Sample, error) {
	s, errs := Interleaved(ctx, n, op)
	return s[0], errs[0]
}

// Interleaved is Latency for several operations whose calls alternate
// (the first op's call i, the second's call i, ..., then call i+1), so
// that each sees the same conditions of the machine: their ratios hold
// even while other work comes and goes. It returns a sample and an error
// per op.
func Interleaved(ctx context.Context, n int, ops ...func(i int) error) ([]Sample, []error) {
	calls := make([]Call, len(ops))
	for j, op := range ops {
		calls[j] = Call{Do: op}
	}
	return InterleavedCalls(ctx, n, calls...)
}

// Call is one operation of InterleavedCalls: Prep, if set, runs before
// each call of Do, untimed and with its allocations not counted (it
// brings the system into the state Do acts on, e.g. takes the lock that
// Do releases). A failed Prep counts as a failed call of Do.
type Call struct {
	Prep func(i int) error
	Do   func(i int) error
}

// InterleavedCalls is Interleaved for calls that may need an untimed
// preparation each.
func InterleavedCalls(ctx context.Context, n int, ops ...Call) ([]Sample, []error) {
	k := len(ops)
	d := make([][]time.Duration, k)
	failed := make([]int, k)
	lastErr := make([]error, k)
	allocs := make([]uint64, k)
	for j := range d {
		d[j] = make([]time.Duration, 0, n)
	}
	// ReadMemStats stops the world, but outside the timed call; it is
	// exact where runtime/metrics counts small objects by whole spans.
	var ms runtime.MemStats
	read := func() uint64 { runtime.ReadMemStats(&ms); return ms.Mallocs }
	for i := 0; i < n && ctx.Err() == nil; i++ {
		for j, op := range ops {
			if failed[j] > n/2 {
				continue
			}
			if op.Prep != nil {
				if err := op.Prep(i); err != nil {
					failed[j], lastErr[j] = failed[j]+1, fmt.Errorf("preparing the call: %w", err)
					continue
				}
			}
			a0 := read()
			start := time.Now()
			err := op.Do(i)
			el := time.Since(start)
			allocs[j] += read() - a0
			if err != nil {
				failed[j], lastErr[j] = failed[j]+1, err
				continue
			}
			d[j] = append(d[j], el)
		}
	}
	samples := make([]Sample, k)
	errs := make([]error, k)
	for j := range ops {
		s := summarize(d[j])
		s.Failed, s.LastErr = failed[j], lastErr[j]
		if calls := len(d[j]) + failed[j]; calls > 0 {
			s.AllocsPerOp = float64(allocs[j]) / float64(calls)
		}
		switch {
		case failed[j] > n/2 || (len(d[j]) == 0 && lastErr[j] != nil):
			errs[j] = fmt.Errorf("%d of %d calls failed, the last: %w", failed[j], len(d[j])+failed[j], lastErr[j])
		case len(d[j]) == 0:
			errs[j] = fmt.Errorf("no call finished: %w", ctx.Err())
		}
		samples[j] = s
	}
	return samples, errs
}

func summarize(d []time.Duration) Sample {
	if len(d) == 0 {
		return Sample{}
	}
	slices.Sort(d)
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	return Sample{
		N:      len(d),
		Median: d[len(d)/2],
		P99:    d[min(len(d)-1, len(d)*99/100)],
		Mean:   sum / time.Duration(len(d)),
	}
}
