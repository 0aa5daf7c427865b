package measure

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// CPU returns the user plus system CPU time used so far by this process
// and by the processes pids (read from /proc, in clock ticks of 10 ms;
// 0 for a process it cannot read).
func CPU(pids ...int) time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	total := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	for _, pid := range pids {
		total += procCPU(pid)
	}
	return total
}

// procCPU reads utime and stime of pid from /proc/<pid>/stat.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')') // the command name may hold spaces
	if i < 0 || i+2 > len(s) {
		return 0
	}
	f := strings.Fields(s[i+2:])
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const tick = 10 * time.Millisecond // USER_HZ = 100 on Linux
	return time.Duration(utime+stime) * tick
}

// Cost is the wall and CPU time of calls run one after the other.
type Cost struct {
	N    int
	Wall time.Duration // per call
	CPU  time.Duration // per call, over every process counted
}

// CPUCost runs op n times in sequence and returns the wall time and the
// CPU time of this process and pids per call. It fails on the first error.
func CPUCost(n int, pids []int, op func(i int) error) (Cost, error) {
	cpu0, start := CPU(pids...), time.Now()
	for i := range n {
		if err := op(i); err != nil {
			return Cost{}, err
		}
	}
	wall, cpu := time.Since(start), CPU(pids...)-cpu0
	return Cost{N: n, Wall: wall / time.Duration(n), CPU: cpu / time.Duration(n)}, nil
}
