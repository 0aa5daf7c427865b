package viewchange_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker/internal/viewchange"
	"github.com/protolocker/locker/messages"
)

func TestTransferKeepsTheLeastLeaseLeftAmongEqualBallots(t *testing.T) {
	c := newCluster(t)
	v1 := threeMasters(c)
	c.accept("k", 100, held("a", 100, maxLease), "m1")
	c.now += 1e9
	c.accept("k", 100, held("a", 100, maxLease), "m2") // accepted later: 1 s more left
	m4 := c.start("m4", v1, false)
	v2 := mkView(t, 2, []string{"m1", "m2", "m3", "m4"}, nil, 0)
	co := c.change("m1", viewchange.Config{}, v1, v2, 7)
	require.Equal(t, viewchange.OK, c.run(co))
	_, want := c.accs["m1"].State(c.now, "k")
	_, got := m4.State(c.now, "k")
	require.True(t, got.GetHeld())
	assert.Equal(t, want.GetLeaseNs(), got.GetLeaseNs(), "the smaller of the two")
}

func TestTransferMergesTheHighestAcceptedBallotPerKeyAcrossPages(t *testing.T) {
	c := newCluster(t)
	v1 := threeMasters(c)
	// m1 and m2 page their keys out at different frontiers: m1 has every
	// key, m2 only the odd ones, with newer states for some.
	for i := range 20 {
		key := fmt.Sprintf("k%02d", i)
		c.accept(key, uint64(100+i), held("old", uint64(100+i), maxLease), "m1")
		if i%2 == 1 {
			b := uint64(100 + i)
			if i%4 == 1 {
				b = uint64(500 + i)
			}
			c.accept(key, b, held(fmt.Sprintf("new%d", i), b, maxLease), "m2")
		}
	}
	m4 := c.start("m4", v1, false)
	v2 := mkView(t, 2, []string{"m1", "m2", "m3", "m4"}, nil, 0)
	co := c.change("m1", viewchange.Config{PageLimit: 3}, v1, v2, 7)
	require.Equal(t, viewchange.OK, c.run(co))
	seen := map[string]int{}
	for _, e := range c.log {
		if in, ok := e.msg.(*messages.Install); ok && e.to == "m4" {
			for _, x := range in.GetEntries() {
				seen[x.GetKey()]++
			}
		}
	}
	for i := range 20 {
		key := fmt.Sprintf("k%02d", i)
		want := uint64(100 + i)
		if i%4 == 1 {
			want = uint64(500 + i)
		}
		a, st := m4.State(c.now, key)
		assert.Equal(t, want, a, key)
		if i%4 == 1 {
			assert.Equal(t, fmt.Sprintf("new%d", i), string(st.GetValue()), key)
		}
		assert.Equal(t, 1, seen[key], "%s is in exactly one page", key)
	}
}

func TestAMasterThatRestartsDuringTheTransferDropsOutOfTheInstall(t *testing.T) {
	c := newCluster(t)
	v1 := threeMasters(c)
	writeKeys(c, 10)
	c.start("m4", v1, false)
	v2 := mkView(t, 2, []string{"m1", "m2", "m3", "m4"}, nil, 0)
	restarted := false
	c.net = func(e env) verdict {
		if in, ok := e.msg.(*messages.Install); ok && e.to == "m4" && in.GetPage() == 1 && !restarted {
			restarted = true
			c.start("m4", v1, false) // its first page is gone
		}
		return deliver
	}
	co := c.change("m1", viewchange.Config{PageLimit: 2}, v1, v2, 7)
	require.Equal(t, viewchange.OK, c.run(co), "W = 3 masters of view 2 installed everything")
	require.True(t, restarted)
	m4 := c.accs["m4"]
	assert.False(t, m4.Voting(), "the later incarnation installed only part of the state")
	commits := sent[*messages.ViewCommit](c, co)
	require.NotEmpty(t, commits)
	assert.NotContains(t, commits[0].GetInstalled(), "m4")
	c.requireView(v2, "m1", "m2", "m3", "m4")
}

func TestTooFewMastersOfTheNewViewInstallingEndsNoQuorum(t *testing.T) {
	c := newCluster(t)
	v1 := threeMasters(c)
	writeKeys(c, 3)
	c.start("m4", v1, false)
	v2 := mkView(t, 2, []string{"m1", "m2", "m3", "m4"}, nil, 0)
	c.net = func(e env) verdict {
		if is[*messages.Install](e) && (e.to == "m3" || e.to == "m4") {
			return drop
		}
		return deliver
	}
	co := c.change("m1", viewchange.Config{}, v1, v2, 7)
	assert.Equal(t, viewchange.NoQuorum, c.run(co))
	assert.Empty(t, sent[*messages.ViewAccept](c, co), "view 2 is never proposed")
	c.requireView(v1, "m1", "m2", "m3")
}
