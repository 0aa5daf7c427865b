package measure

import (
	"runtime"
	"time"
)

// Loop is the cost of one call in a tight loop.
type Loop struct {
	N           int
	NsPerOp     float64
	AllocsPerOp float64
}

// Tight calls op n times on this goroutine and reports the mean time and
// heap allocations per call (the allocations of the whole process during
// the loop, as testing.B counts them).
func Tight(n int, op func(i int)) Loop {
	for i := range min(n, 1000) { // warm caches
		op(i)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	for i := range n {
		op(i)
	}
	el := time.Since(start)
	runtime.ReadMemStats(&after)
	return Loop{
		N:           n,
		NsPerOp:     float64(el.Nanoseconds()) / float64(n),
		AllocsPerOp: float64(after.Mallocs-before.Mallocs) / float64(n),
	}
}
