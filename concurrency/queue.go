package concurrency

import (
	"sync"

	"github.com/protolocker/locker"
)

// queueKey names a queue: one per node and key, process-wide.
type queueKey struct {
	n   *locker.Node
	key string
}

// queues holds the FIFO queues of callers waiting for a key on a node;
// a queue is removed when its last waiter leaves.
var queues = struct {
	sync.Mutex
	m map[queueKey][]*waiter
}{m: map[queueKey][]*waiter{}}

// waiter is a place in a queue. Its turn channel closes when it becomes
// the head: the only caller of the queue allowed to take the key.
type waiter struct {
	q    queueKey
	turn chan struct{}
	once sync.Once
}

// join appends a waiter to the queue of key on n; it is the head at once
// if the queue was empty.
func join(n *locker.Node, key string) *waiter {
	w := &waiter{q: queueKey{n, key}, turn: make(chan struct{})}
	queues.Lock()
	defer queues.Unlock()
	ws := queues.m[w.q]
	if len(ws) == 0 {
		close(w.turn)
	}
	queues.m[w.q] = append(ws, w)
	return w
}

// tryJoin makes a waiter the head of the queue of key on n if the queue
// is empty, and returns nil otherwise.
func tryJoin(n *locker.Node, key string) *waiter {
	q := queueKey{n, key}
	queues.Lock()
	defer queues.Unlock()
	if len(queues.m[q]) > 0 {
		return nil
	}
	w := &waiter{q: q, turn: make(chan struct{})}
	close(w.turn)
	queues.m[q] = []*waiter{w}
	return w
}

// leave takes w out of its queue, once; if w was the head, the next
// waiter becomes the head.
func (w *waiter) leave() {
	w.once.Do(func() {
		queues.Lock()
		defer queues.Unlock()
		ws := queues.m[w.q]
		for i, x := range ws {
			if x != w {
				continue
			}
			ws = append(ws[:i:i], ws[i+1:]...)
			if i == 0 && len(ws) > 0 {
				close(ws[0].turn)
			}
			break
		}
		if len(ws) == 0 {
			delete(queues.m, w.q)
		} else {
			queues.m[w.q] = ws
		}
	})
}

// queued returns how many callers wait for key on n, the head included.
func queued(n *locker.Node, key string) int {
	queues.Lock()
	defer queues.Unlock()
	return len(queues.m[queueKey{n, key}])
}
