package concurrency

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker"
)

func turn(w *waiter) bool {
	select {
	case <-w.turn:
		return true
	default:
		return false
	}
}

// The head of a queue is its oldest waiter; one that leaves hands the
// turn on only if it was the head.
func TestQueueOrder(t *testing.T) {
	n := new(locker.Node) // a key of the map only
	a, b, c := join(n, "k"), join(n, "k"), join(n, "k")
	other := join(n, "j")
	assert.True(t, turn(a))
	assert.True(t, turn(other), "queues of other keys are apart")
	assert.False(t, turn(b))
	assert.Nil(t, tryJoin(n, "k"))
	b.leave()
	assert.False(t, turn(c), "a waiter that is not the head leaves quietly")
	a.leave()
	a.leave()
	assert.True(t, turn(c))
	assert.Equal(t, 1, queued(n, "k"))
	c.leave()
	assert.Zero(t, queued(n, "k"))
	w := tryJoin(n, "k")
	require.NotNil(t, w)
	assert.True(t, turn(w))
	w.leave()
	other.leave()
	queues.Lock()
	defer queues.Unlock()
	assert.Empty(t, queues.m)
}
