package lockerbench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/protolocker/locker"
	"github.com/protolocker/locker/bench/internal/measure"
	"github.com/protolocker/locker/bench/internal/report"
)

// Memory figures' key and value: keys are "lease/" and 7 digits (13
// bytes), values 8 bytes.
const (
	memKeyPrefix = "lease/"
	memValue     = "holder-1"
)

// HeldLeaseMemory takes count leases on a single in-process node (the
// zero Config: one master, W = 1, no remote) and returns the growth of
// the live heap, after a full collection, per held lease: what one master
// keeps per lease. The RSS growth of the process is given too.
func HeldLeaseMemory(ctx context.Context, count int) (report.Row, error) {
	row := report.Row{System: "locker 1 node", Op: fmt.Sprintf("%d leases", count), N: count}
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}))
	defer sys.Shutdown()
	n, err := locker.Start(sys, locker.Config{MaxLease: time.Hour})
	if err != nil {
		return row, err
	}
	defer n.Stop()
	// Warm the node's paths so that their one-time allocations are not
	// counted.
	if _, err := n.Lock(ctx, "warm", []byte(memValue), time.Hour); err != nil {
		return row, err
	}
	debug.FreeOSMemory()
	heap0, rss0 := measure.SettledHeap(), measure.RSS()
	const workers = 8
	var retried atomic.Int64
	start := time.Now()
	v := []byte(memValue)
	if err := measure.Each(ctx, count, workers, func(i int) error {
		key := memKeyPrefix + pad7(i)
		if err := lockSettled(ctx, n, key, v, &retried); err != nil {
			return fmt.Errorf("lock %s: %w", key, err)
		}
		return nil
	}); err != nil {
		return row, err
	}
	took := time.Since(start)
	heap1 := measure.Heap()
	debug.FreeOSMemory()
	rss1 := measure.RSS()
	for _, i := range []int{0, count / 2, count - 1} {
		if _, err := n.DirtyRead(memKeyPrefix + pad7(i)); err != nil {
			return row, fmt.Errorf("lease %d not held: %w", i, err)
		}
	}
	row.Bytes = float64(int64(heap1)-int64(heap0)) / float64(count)
	row.RSSBytes = float64(int64(rss1)-int64(rss0)) / float64(count)
	row.Note = fmt.Sprintf("%d leases taken in %v by %d goroutines; %d-byte keys, %d-byte values",
		count, took.Round(time.Millisecond), workers, len(memKeyPrefix)+7, len(memValue))
	if r := retried.Load(); r > 0 {
		row.Note += fmt.Sprintf("; %d Locks found no quorum (the node's own acceptor did not answer within RoundTimeout) and were settled by a Read and tried again", r)
	}
	return row, nil
}

// lockSettled locks key for value; a Lock that finds no quorum, or ends
// indeterminate, is settled by a Read (which settles the write) and,
// unless it took effect, tried again, up to 3 times; retried counts
// those.
func lockSettled(ctx context.Context, n *locker.Node, key string, value []byte, retried *atomic.Int64) error {
	var err error
	for try := 0; try < 3; try++ {
		if _, err = n.Lock(ctx, key, value, time.Hour); err == nil || !errors.Is(err, locker.ErrNoQuorum) && !errors.Is(err, locker.ErrIndeterminate) {
			return err
		}
		retried.Add(1)
		e, rerr := n.Read(ctx, key)
		switch {
		case rerr == nil && bytes.Equal(e.Value, value):
			return nil
		case rerr != nil && !errors.Is(rerr, locker.ErrNotFound):
			return fmt.Errorf("%w; then the Read: %w", err, rerr)
		}
	}
	return err
}

func pad7(i int) string {
	s := strconv.Itoa(i)
	for len(s) < 7 {
		s = "0" + s
	}
	return s
}
