package measure

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Heap returns the bytes of live heap objects after a full collection.
func Heap() uint64 {
	runtime.GC()
	runtime.GC() // the second one frees what the first one's finalizers released
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// SettledHeap is Heap once the live heap stops shrinking: read every
// 100 ms until a reading is within 64 KB of the one settleSpan before,
// for up to 5 s. What other goroutines still hold as they wind down
// would otherwise count against a growth measured from this baseline:
// an actor system just shut down stays reachable until its dead-letter
// throttle's timer fires (1 s by default), however steady the heap
// looks meanwhile.
func SettledHeap() uint64 {
	const step = 100 * time.Millisecond
	readings := []uint64{Heap()}
	back := int(settleSpan / step)
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); {
		time.Sleep(step)
		readings = append(readings, Heap())
		if n := len(readings); n > back && readings[n-1]+64<<10 >= readings[n-1-back] {
			return readings[n-1]
		}
	}
	return readings[len(readings)-1]
}

// settleSpan is how long SettledHeap wants the heap not to shrink.
const settleSpan = 1100 * time.Millisecond

// RSS returns the resident set size of this process in bytes, from
// /proc/self/status; 0 where that file does not exist.
func RSS() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
