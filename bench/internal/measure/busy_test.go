package measure

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"
)

func TestRunTime(t *testing.T) {
	t0 := RunTime()
	for end := time.Now().Add(30 * time.Millisecond); time.Now().Before(end); {
	}
	if d := RunTime() - t0; d < 10*time.Millisecond {
		t.Fatalf("30 ms of spinning counted %v", d)
	}
	if RunTime(os.Getppid()) < RunTime() {
		t.Fatal("the parent's CPU time was not added")
	}
}

func TestPaced(t *testing.T) {
	start := time.Now()
	calls := 0
	s, err := Paced(context.Background(), 5, 5*time.Millisecond, func(int) error { calls++; return nil })
	if err != nil || s.N != 5 || calls != 5 {
		t.Fatalf("Paced = %+v, %v after %d calls", s, err, calls)
	}
	if el := time.Since(start); el < 25*time.Millisecond {
		t.Fatalf("5 calls 5 ms apart took %v", el)
	}
	boom := errors.New("boom")
	if _, err := Paced(context.Background(), 4, time.Millisecond, func(int) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("all failing: %v", err)
	}
}

func TestFromDurations(t *testing.T) {
	s, err := FromDurations([]time.Duration{3, 1, 2}, 1, errors.New("x"), nil)
	if err != nil || s.N != 3 || s.Median != 2 || s.Failed != 1 {
		t.Fatalf("FromDurations = %+v, %v", s, err)
	}
	if _, err := FromDurations(nil, 0, nil, context.Canceled); !errors.Is(err, context.Canceled) {
		t.Fatalf("empty: %v", err)
	}
}

func TestNetCPU(t *testing.T) {
	r := Renewals{Calls: 10, Idle: Busy{Wall: time.Second, CPU: 100 * time.Millisecond}, Burst: Busy{Wall: 100 * time.Millisecond, CPU: 30 * time.Millisecond}}
	r.NetCPU()
	if r.CPU != 2*time.Millisecond {
		t.Fatalf("net CPU per renewal = %v, want 2ms", r.CPU)
	}
}
