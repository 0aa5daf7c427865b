package etcdbench

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/protolocker/locker/bench/internal/report"
)

// HeldLeaseMemory grants count leases, each with one key on it (as a
// lock holder's would be), and returns the growth per lease of the
// members' live heap (after a full collection) and RSS, averaged over the
// three members. The RSS includes bbolt's memory-mapped database (on
// /dev/shm it is resident); the heap includes raft log entries kept in
// memory until the next snapshot.
func (c *Cluster) HeldLeaseMemory(ctx context.Context, count int) (report.Row, error) {
	row := report.Row{System: c.System, Op: fmt.Sprintf("%d leases, a key on each, per member", count), N: count}
	heap0, rss0, err := c.mem()
	if err != nil {
		return row, err
	}
	const workers = 64
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < count; i += workers {
				g, err := c.cli.Grant(ctx, 3600)
				if err == nil {
					_, err = c.cli.Put(ctx, "/lease/"+strconv.Itoa(i), "holder-1", clientv3.WithLease(g.ID))
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return row, err
	}
	took := time.Since(start)
	heap1, rss1, err := c.mem()
	if err != nil {
		return row, err
	}
	row.Bytes = (heap1 - heap0) / float64(count)
	row.RSSBytes = (rss1 - rss0) / float64(count)
	row.Note = fmt.Sprintf("%d leases granted and keys put in %v by %d goroutines; averaged over the 3 members", count, took.Round(time.Millisecond), workers)
	return row, nil
}

// mem asks every member for its heap and RSS and returns the means.
func (c *Cluster) mem() (heap, rss float64, err error) {
	for _, m := range c.members {
		if err := m.Send("MEM"); err != nil {
			return 0, 0, err
		}
		line, err := m.Expect("MEM", 30*time.Second)
		if err != nil {
			return 0, 0, err
		}
		h, r, _ := strings.Cut(line, " ")
		hv, err1 := strconv.ParseFloat(h, 64)
		rv, err2 := strconv.ParseFloat(r, 64)
		if err1 != nil || err2 != nil {
			return 0, 0, fmt.Errorf("bad MEM answer %q", line)
		}
		heap += hv / float64(len(c.members))
		rss += rv / float64(len(c.members))
	}
	return heap, rss, nil
}
