package concurrency

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/protolocker/locker"
)

// Eight goroutines, on three nodes, take turns on one lock: acquisitions
// per second, each an uncontended Unlock away from the next.
func BenchmarkMutexContended(b *testing.B) {
	c := newCluster(b, 3, locker.Config{})
	var ms []*Mutex
	for i := range 8 {
		ms = append(ms, NewMutex(c.session(fmt.Sprintf("m%d", i%3+1), 10*time.Second), "bench"))
	}
	var left atomic.Int64
	left.Store(int64(b.N))
	ctx := b.Context()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for _, m := range ms {
		wg.Go(func() {
			for left.Add(-1) >= 0 {
				if err := m.Lock(ctx); err != nil {
					b.Error(err)
					return
				}
				if err := m.Unlock(ctx); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "acquisitions/s")
}
