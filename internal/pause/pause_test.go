package pause

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestBackoffDoublesWithinItsJitterAndStops(t *testing.T) {
	for attempt, want := range []time.Duration{2, 4, 8, 8, 8} {
		want *= time.Millisecond
		for range 100 {
			d := Backoff(attempt, 2*time.Millisecond, 2)
			assert.GreaterOrEqual(t, d, want/2, "attempt %d", attempt)
			assert.LessOrEqual(t, d, want, "attempt %d", attempt)
		}
	}
}

func TestSleepEndsWithItsDurationContextOrStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		assert.True(t, Sleep(t.Context(), time.Second, nil))
		assert.Equal(t, time.Second, time.Since(start))

		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
		defer cancel()
		assert.False(t, Sleep(ctx, time.Second, nil))

		stop := make(chan struct{})
		time.AfterFunc(10*time.Millisecond, func() { close(stop) })
		start = time.Now()
		assert.False(t, Sleep(t.Context(), time.Second, stop))
		assert.Equal(t, 10*time.Millisecond, time.Since(start))
	})
}
