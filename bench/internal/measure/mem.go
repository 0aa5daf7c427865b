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
// 50 ms until a reading is within 64 KB of the one before, for up to
// 2 s. What other goroutines still hold as they wind down (the actor
// systems of a cluster just stopped) would otherwise count against a
// growth measured from this baseline.
func SettledHeap() uint64 {
	h := Heap()
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); {
		time.Sleep(50 * time.Millisecond)
		next := Heap()
		if next+64<<10 >= h {
			return next
		}
		h = next
	}
	return h
}

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
