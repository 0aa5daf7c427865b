package measure

import (
	"context"
	"errors"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	d := make([]time.Duration, 100)
	for i := range d {
		d[i] = time.Duration(100-i) * time.Microsecond
	}
	s := summarize(d)
	if s.N != 100 || s.Median != 51*time.Microsecond || s.P99 != 100*time.Microsecond {
		t.Fatalf("summarize = %+v", s)
	}
	if s.Mean != 50500*time.Nanosecond {
		t.Fatalf("mean = %v", s.Mean)
	}
}

func TestLatencyCountsFailures(t *testing.T) {
	boom := errors.New("boom")
	s, err := Latency(context.Background(), 10, func(i int) error {
		if i%5 == 0 {
			return boom
		}
		return nil
	})
	if err != nil || s.N != 8 || s.Failed != 2 || !errors.Is(s.LastErr, boom) {
		t.Fatalf("Latency = %+v, %v", s, err)
	}
	if _, err := Latency(context.Background(), 10, func(int) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("all failing: %v", err)
	}
}

func TestThroughputAndCompete(t *testing.T) {
	ctx := context.Background()
	r, err := Throughput(ctx, 4, 20*time.Millisecond, func(context.Context, int, int) error { return nil })
	if err != nil || r.Ops == 0 || r.PerSec <= 0 {
		t.Fatalf("Throughput = %+v, %v", r, err)
	}
	var tries atomic.Int64
	c, err := Compete(ctx, 4, 20*time.Millisecond, func(context.Context, int) (bool, error) {
		return tries.Add(1)%10 == 0, nil // one attempt in ten wins, whichever client makes it
	})
	if err != nil || c.Wins == 0 || c.FailShare <= 0 || c.FailShare >= 1 {
		t.Fatalf("Compete = %+v, %v", c, err)
	}
}

func TestTightAndMemory(t *testing.T) {
	l := Tight(1000, func(int) {})
	if l.N != 1000 || l.NsPerOp <= 0 {
		t.Fatalf("Tight = %+v", l)
	}
	if Heap() == 0 {
		t.Fatal("Heap = 0")
	}
	_ = RSS() // 0 off Linux
}

func TestInterleaved(t *testing.T) {
	var order []int
	s, errs := Interleaved(context.Background(), 3,
		func(int) error { order = append(order, 0); return nil },
		func(int) error { order = append(order, 1); sink = make([]byte, 1<<10); return nil })
	if errs[0] != nil || errs[1] != nil || s[0].N != 3 || s[1].N != 3 {
		t.Fatalf("Interleaved = %+v, %v", s, errs)
	}
	if len(order) != 6 || order[0] != 0 || order[1] != 1 || order[2] != 0 {
		t.Fatalf("calls ran in order %v", order)
	}
	if s[1].AllocsPerOp < 1 {
		t.Fatalf("allocations of the second op not counted: %+v", s[1])
	}
}

func TestInterleavedPrep(t *testing.T) {
	boom := errors.New("boom")
	prepared := -1
	s, errs := InterleavedCalls(context.Background(), 10, Call{
		Prep: func(i int) error {
			if i == 3 {
				return boom
			}
			sink = make([]byte, 1<<20) // slow and allocating: neither counts
			prepared = i
			return nil
		},
		Do: func(i int) error {
			if prepared != i {
				t.Errorf("call %d ran after preparing %d", i, prepared)
			}
			return nil
		},
	})
	if errs[0] != nil || s[0].N != 9 || s[0].Failed != 1 || !errors.Is(s[0].LastErr, boom) {
		t.Fatalf("InterleavedCalls = %+v, %v", s, errs)
	}
	if s[0].AllocsPerOp >= 1 {
		t.Fatalf("the preparation's allocations were counted: %+v", s[0])
	}
}

var sink []byte

func TestCPUCost(t *testing.T) {
	c, err := CPUCost(100, []int{os.Getpid()}, func(int) error {
		for end := time.Now().Add(100 * time.Microsecond); time.Now().Before(end); {
		}
		return nil
	})
	if err != nil || c.Wall < 100*time.Microsecond || c.CPU == 0 {
		t.Fatalf("CPUCost = %+v, %v", c, err)
	}
}
