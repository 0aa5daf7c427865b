package measure

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Rate is the outcome of a timed concurrent run.
type Rate struct {
	Clients int
	Ops     int64
	Errors  int64
	Elapsed time.Duration
	PerSec  float64
	LastErr string // the last failure, if any
}

// maxErrors ends a run whose operations keep failing: once this many
// failed and failures outnumber successes.
const maxErrors = 100

// Throughput runs op in a loop on each of clients goroutines for d (or
// until ctx ends) and counts the calls that succeeded. At the end no call
// is cancelled: each client finishes the call it is in, and the time
// counted runs until the last one returns. (Cancelling calls in flight
// would be a fault of its own: a coordinator may take the masters that
// did not answer a cancelled call for suspects.) Each client passes
// its index and its own call counter. The run ends early, and reports
// the last error, once maxErrors calls failed and failures outnumber
// successes; fewer failures are counted in Errors.
func Throughput(ctx context.Context, clients int, d time.Duration, op func(ctx context.Context, client, i int) error) (Rate, error) {
	stop := stopAfter(ctx, d)
	defer stop.Store(true)
	var ops, errs atomic.Int64
	var lastErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				err := op(ctx, c, i)
				switch {
				case err == nil:
					ops.Add(1)
				case ctx.Err() != nil:
					return // the whole harness is out of time
				default:
					lastErr.Store(err)
					if e := errs.Add(1); e >= maxErrors && e > ops.Load() {
						stop.Store(true)
					}
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	r := Rate{Clients: clients, Ops: ops.Load(), Errors: errs.Load(), Elapsed: el,
		PerSec: float64(ops.Load()) / el.Seconds()}
	if r.Errors > 0 {
		r.LastErr = fmt.Sprint(lastErr.Load())
	}
	if r.Errors >= maxErrors && r.Errors > r.Ops {
		return r, fmt.Errorf("%d calls failed, the last: %v", r.Errors, r.LastErr)
	}
	return r, nil
}

// stopAfter returns a flag that turns true after d or when ctx ends.
func stopAfter(ctx context.Context, d time.Duration) *atomic.Bool {
	var stop atomic.Bool
	go func() {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		stop.Store(true)
	}()
	return &stop
}
