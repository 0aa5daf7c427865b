package measure

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Contest is the outcome of clients competing for one key.
type Contest struct {
	Clients   int
	Attempts  int64
	Wins      int64
	Errors    int64 // failures other than losing to the holder
	Elapsed   time.Duration
	WinsSec   float64
	FailShare float64 // attempts that did not win, of all attempts
	LastErr   string  // the last error, if any
}

// Compete runs attempt in a loop on each of clients goroutines for d (or
// until ctx ends); as in Throughput, no attempt is cancelled at the end. attempt tries to take the key and, when it won, gives
// it back; it reports won, or lost to another holder (err == nil), or
// another failure. Any failure counts as a failed attempt; the run ends
// early once maxErrors attempts, and half of all, failed with an error.
func Compete(ctx context.Context, clients int, d time.Duration, attempt func(ctx context.Context, client int) (won bool, err error)) (Contest, error) {
	stop := stopAfter(ctx, d)
	defer stop.Store(true)
	var attempts, wins, errs atomic.Int64
	var lastErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				won, err := attempt(ctx, c)
				if ctx.Err() != nil {
					return // the whole harness is out of time
				}
				attempts.Add(1)
				switch {
				case err != nil:
					lastErr.Store(err)
					if e := errs.Add(1); e >= maxErrors && e > attempts.Load()/2 {
						stop.Store(true)
					}
				case won:
					wins.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	r := Contest{Clients: clients, Attempts: attempts.Load(), Wins: wins.Load(), Errors: errs.Load(), Elapsed: el}
	r.WinsSec = float64(r.Wins) / el.Seconds()
	if r.Attempts > 0 {
		r.FailShare = float64(r.Attempts-r.Wins) / float64(r.Attempts)
	}
	if r.Errors > 0 {
		r.LastErr = fmt.Sprint(lastErr.Load())
	}
	if r.Errors >= maxErrors && r.Errors > r.Attempts/2 {
		return r, fmt.Errorf("%d attempts failed with an error, the last: %v", r.Errors, r.LastErr)
	}
	return r, nil
}
