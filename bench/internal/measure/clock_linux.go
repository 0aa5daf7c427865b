package measure

import (
	"time"

	"golang.org/x/sys/unix"
)

// threadCPU reads the CPU-time clock of thread tid. For a thread on a
// CPU at that moment the kernel adds the time since its last tick or
// switch, which schedstat, /proc/<pid>/stat and even the process's own
// clock leave out: a burst of a few milliseconds on threads that never
// sleep would read as no CPU at all.
func threadCPU(tid int) (time.Duration, bool) {
	const sched, thread = 2, 4 // CPUCLOCK_SCHED, CPUCLOCK_PERTHREAD_MASK
	id := int32(^uint32(tid)<<3 | sched | thread)
	var ts unix.Timespec
	if err := unix.ClockGettime(id, &ts); err != nil {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
