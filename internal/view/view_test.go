package view

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestNewViewDefaultsAndValidation(t *testing.T) {
	v, err := NewView(1, []string{"c", "a", "b"}, []string{"r"}, 0)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "c"}, v.Masters, "sorted")
	assert.Equal(t, 2, v.W, "majority by default")
	assert.True(t, v.IsMaster("b"))
	assert.False(t, v.IsMaster("r"))
	assert.Equal(t, []string{"a", "b", "c", "r"}, v.Nodes())

	for name, bad := range map[string]struct {
		masters, replicas []string
		w                 int
	}{
		"no masters":       {nil, nil, 0},
		"empty address":    {[]string{"a", ""}, nil, 0},
		"duplicate":        {[]string{"a", "a", "b"}, nil, 0},
		"master replica":   {[]string{"a", "b"}, []string{"b"}, 0},
		"W above masters":  {[]string{"a", "b", "c"}, nil, 4},
		"W not a majority": {[]string{"a", "b", "c", "d"}, nil, 2},
	} {
		_, err := NewView(1, bad.masters, bad.replicas, bad.w)
		assert.ErrorIs(t, err, ErrInvalidView, name)
	}
}

func TestHashCoversVotingFields(t *testing.T) {
	base, _ := NewView(3, []string{"a", "b", "c"}, nil, 2)
	same, _ := NewView(3, []string{"c", "b", "a"}, []string{"r"}, 2)
	assert.Equal(t, base.Hash(), same.Hash(), "order and replicas do not vote")
	for _, other := range []View{
		{Version: 4, Masters: base.Masters, W: 2},
		{Version: 3, Masters: []string{"a", "b", "d"}, W: 2},
		{Version: 3, Masters: base.Masters, W: 3},
		{Version: 3, Masters: []string{"ab", "c"}, W: 2},
	} {
		assert.NotEqual(t, base.Hash(), other.Hash(), "%+v", other)
	}
}

func TestProtoRoundTrip(t *testing.T) {
	v, _ := NewView(7, []string{"a", "b", "c"}, []string{"r"}, 3)
	got, err := FromProto(v.Proto())
	require.NoError(t, err)
	assert.Equal(t, v, got)
	_, err = FromProto(nil)
	assert.ErrorIs(t, err, ErrInvalidView)
}

func TestMembershipOnlyMovesForward(t *testing.T) {
	v1, _ := NewView(1, []string{"a"}, nil, 0)
	v2, _ := NewView(2, []string{"a", "b", "c"}, nil, 0)
	m := NewMembership(v1)
	assert.True(t, m.Install(v2))
	assert.False(t, m.Install(v1), "older view refused")
	assert.False(t, m.Install(v2), "same version refused")
	assert.Equal(t, v2, m.Load())
}
