package reqid

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPartsRoundTrip(t *testing.T) {
	call := Base(12345)
	for _, round := range []uint32{0, 1, 255, 256, 300} {
		for _, i := range []int{0, 1, MaxTargets - 1} {
			id := Make(call, round, i)
			assert.Equal(t, call, Call(id))
			assert.Equal(t, round%256, Round(id))
			assert.Equal(t, i, Index(id))
		}
	}
	assert.NotEqual(t, Call(Make(Base(1), 255, MaxTargets-1)), Call(Make(Base(2), 0, 0)))
}
