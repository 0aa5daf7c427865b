package actor

import (
	"math"
	"syscall"
	"testing"
	"time"

	"github.com/protolocker/locker/messages"
)

func cpu() time.Duration {
	var r syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r)
	return time.Duration(r.Utime.Nano() + r.Stime.Nano())
}

func TestTmpOverflow(t *testing.T) {
	f := spawn(t, func(c *Config) { c.MaxLease = 0 })
	time.Sleep(50 * time.Millisecond)
	lease := math.MaxInt64 - f.h.Now() - int64(600*time.Microsecond)
	v := ask[*messages.Vote](t, f, f.accept("k", 1, held("v", 1, time.Duration(lease))))
	_, ok := f.h.Store().Get("k")
	c0 := cpu()
	time.Sleep(200 * time.Millisecond)
	t.Logf("lease %d: vote %v, published %v, cpu in 200ms %v", lease, v.GetStatus(), ok, cpu()-c0)
	f.sync(t)
}
