package lockercluster

import (
	"strings"
	"testing"

	"github.com/asynkron/protoactor-go/cluster"
	"github.com/stretchr/testify/assert"
)

func topo(addrs ...string) *topology {
	var ms []*cluster.Member
	for _, a := range addrs {
		host, _, _ := strings.Cut(a, ":")
		ms = append(ms, &cluster.Member{Id: a, Host: host, Port: 1, Kinds: []string{"k"}})
	}
	return newTopology(ms, nil)
}

// The rule every member computes alike.
func TestNextMasters(t *testing.T) {
	never := func(string) bool { return false }
	always := func(string) bool { return true }
	for _, c := range []struct {
		name     string
		masters  []string
		present  []string
		voters   int
		departed func(string) bool
		want     []string
	}{
		{"stable", []string{"a:1", "b:1", "c:1"}, []string{"a:1", "b:1", "c:1", "d:1"}, 3, never, []string{"a:1", "b:1", "c:1"}},
		{"fill with the lowest address", []string{"c:1"}, []string{"a:1", "b:1", "c:1", "d:1"}, 3, never, []string{"a:1", "c:1"}},
		{"add before remove", []string{"a:1", "b:1", "c:1"}, []string{"a:1", "b:1", "d:1", "e:1"}, 3, always, []string{"a:1", "b:1", "c:1", "d:1"}},
		{"remove a departed master after the grace", []string{"a:1", "b:1", "c:1", "d:1"}, []string{"a:1", "b:1", "d:1"}, 3, always, []string{"a:1", "b:1", "d:1"}},
		{"keep a departed master during the grace", []string{"a:1", "b:1", "c:1", "d:1"}, []string{"a:1", "b:1", "d:1"}, 3, never, []string{"a:1", "b:1", "c:1", "d:1"}},
		{"too many present: the highest goes", []string{"a:1", "b:1", "c:1", "d:1"}, []string{"a:1", "b:1", "c:1", "d:1"}, 3, never, []string{"a:1", "b:1", "c:1"}},
		{"no one to add, departed removed", []string{"a:1", "b:1", "c:1"}, []string{"a:1", "b:1"}, 3, always, []string{"a:1", "b:1"}},
		{"never below one", []string{"a:1"}, []string{}, 3, always, []string{"a:1"}},
	} {
		assert.Equal(t, c.want, nextMasters(c.masters, topo(c.present...), c.voters, c.departed), c.name)
	}
	assert.Equal(t, "b:1", coordinator([]string{"c:1", "a:1", "b:1"}, topo("b:1", "c:1")))
	assert.Empty(t, coordinator([]string{"a:1"}, topo("b:1")))
	assert.Equal(t, []string{"d:1"}, others([]string{"a:1", "d:1"}, []string{"a:1"}))
}
