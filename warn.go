package locker

import (
	"log/slog"
	"sync"
	"time"
)

// warnEvery is the least time between two Warn lines of one kind.
const warnEvery = 10 * time.Second

// warnings rate-limits the node's Warn lines: one per message per
// warnEvery, with the count of those left out since.
type warnings struct {
	mu   sync.Mutex
	last map[string]time.Time
	left map[string]int
}

// warn logs msg at Warn through the actor system's logger, at most once
// per warnEvery for one msg.
func (n *Node) warn(msg string, attrs ...any) {
	w := &n.warned
	now := time.Now()
	w.mu.Lock()
	if w.last == nil {
		w.last, w.left = map[string]time.Time{}, map[string]int{}
	}
	if t, ok := w.last[msg]; ok && now.Sub(t) < warnEvery {
		w.left[msg]++
		w.mu.Unlock()
		return
	}
	left := w.left[msg]
	w.last[msg], w.left[msg] = now, 0
	w.mu.Unlock()
	if left > 0 {
		attrs = append(attrs, slog.Int("repeats_not_logged", left))
	}
	n.system.Logger().Warn("locker: "+msg, attrs...)
}
