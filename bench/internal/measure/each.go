package measure

import (
	"context"
	"sync"
)

// Each runs f(i) for i in [0, count) on workers goroutines, each taking
// every workers-th i, and returns the first error (or ctx's); a worker
// stops at its first error.
func Each(ctx context.Context, count, workers int, f func(i int) error) error {
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < count && ctx.Err() == nil; i += workers {
				if err := f(i); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	return ctx.Err()
}
