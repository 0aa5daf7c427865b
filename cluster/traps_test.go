package lockercluster_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/protolocker/locker"
	lockercluster "github.com/protolocker/locker/cluster"
)

// ClusterTopology is published while the member list's lock is held: the
// lookup's handler returns at once, even while the store can change
// nothing (every master cut off), and Get reads the topology meanwhile.
func TestTopologyHandlerNeverBlocks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startAll(t, 4)
		for _, a := range addrs(3) {
			h.net.Isolate(a)
		}
		start := time.Now()
		for i := range 20 {
			if i%2 == 0 {
				h.view([]string{"n4:1"}, addrs(3))
			} else {
				h.view([]string{"n4:1"}, addrs(4))
			}
		}
		assert.Zero(t, time.Since(start), "twenty topology updates take no time")
		h.net.Heal()
	})
}

// Setup runs before any member is known: a request made then waits for
// the topology, and succeeds once it arrives.
func TestSetupBeforeTopology(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, lockerLookup(addrs(3)))
		for _, a := range addrs(3) {
			h.start(a)
		}
		assert.Nil(t, h.lookupAt("n1:1").Get(cluster.NewClusterIdentity("early", grainKind)),
			"no member hosts the kind yet: nothing within the activation timeout")
		done := make(chan error, 1)
		go func() { _, err := h.request("n2:1", "g"); done <- err }()
		time.Sleep(200 * time.Millisecond)
		h.viewAll(addrs(3))
		require.NoError(t, <-done)
	})
}

// Cluster.Shutdown(false) stops the actor system and never calls the
// lookup's Shutdown: the lookup notices, stops its grains and its store
// node, and the grains come back elsewhere after the lease.
func TestShutdownWithoutGrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startAll(t, 3)
		host, tok := h.hostOf(t, "n1:1", "g")
		m := h.member(host)
		m.sys.Shutdown() // what Cluster.Shutdown(false) does to the lookup
		h.net.Remove(host)
		time.Sleep(200 * time.Millisecond)
		assert.Zero(t, h.lookupAt(host).Hosted(), "the grains were stopped")
		assert.Zero(t, h.live.Live("g"))
		rest := h.dropFromView(addrs(3), host)
		again, tok2 := h.hostOf(t, rest[0], "g")
		assert.NotEqual(t, host, again)
		assert.Greater(t, tok2, tok)
		assert.Empty(t, h.live.Violations())
	})
}

// Cluster.Shutdown(true) calls the lookup's Shutdown twice: the second
// call does nothing. A graceful shutdown releases its grains' keys at
// once: another member activates them without waiting for the lease.
func TestShutdownTwice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startAll(t, 3)
		host, _ := h.hostOf(t, "n1:1", "g")
		l := h.lookupAt(host)
		l.Shutdown()
		l.Shutdown()
		rest := h.dropFromView(addrs(3), host)
		start := time.Now()
		again, _ := h.hostOf(t, rest[0], "g")
		assert.NotEqual(t, host, again)
		assert.Less(t, time.Since(start), 500*time.Millisecond, "no wait for the lease (1s)")
		assert.Empty(t, h.live.Violations())
	})
}

// protoactor never calls RemovePid: when a grain stops, every member's
// PidCache forgets it all the same, and the next request activates it
// again.
func TestCachesForgetStoppedGrains(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startAll(t, 3)
		for _, a := range addrs(3) {
			h.hostOf(t, a, "g")
		}
		for _, a := range addrs(3) {
			_, ok := h.member(a).c.PidCache.Get("g", grainKind)
			require.True(t, ok, "%s cached g", a)
		}
		_, err := h.member("n1:1").c.Request("g", grainKind, wrapperspb.String("stop"))
		require.NoError(t, err)
		time.Sleep(200 * time.Millisecond) // a sweep (lease/10), at most
		for _, a := range addrs(3) {
			_, ok := h.member(a).c.PidCache.Get("g", grainKind)
			assert.False(t, ok, "%s forgot g", a)
		}
		_, err = h.request("n2:1", "g")
		require.NoError(t, err)
		assert.Equal(t, 2, h.live.Started("g"))
		assert.Empty(t, h.live.Violations())
	})
}

// Cluster.Request retries after 50ns, three times: a Get that returned
// nil at once would fail a request whenever the store is busy for a
// moment. Get waits instead, so a request made while the masters are cut
// off succeeds once they are back.
func TestRequestSurvivesAShortOutage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startAll(t, 4)
		for _, a := range addrs(3) {
			h.net.Isolate(a)
		}
		done := make(chan error, 1)
		go func() { _, err := h.request("n4:1", "new"); done <- err }()
		time.Sleep(300 * time.Millisecond)
		h.net.Heal()
		require.NoError(t, <-done)
	})
}

// Cluster.RequestFuture uses one call configuration for the whole
// process, whose sender is the root context of the first cluster that
// made a call; lockercluster.RequestFuture sends from the cluster it is
// given.
func TestRequestFutureSendsFromItsCluster(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startAll(t, 3)
		ask := func(c *cluster.Cluster, f func() (*actor.Future, error)) string {
			fut, err := f()
			require.NoError(t, err)
			res, err := fut.Result()
			require.NoError(t, err)
			return res.(*wrapperspb.StringValue).GetValue()
		}
		for i, a := range addrs(3) {
			c := h.member(a).c
			got := ask(c, func() (*actor.Future, error) {
				return lockercluster.RequestFuture(c, fmt.Sprintf("g%d", i), grainKind, wrapperspb.String("sender"), time.Second)
			})
			assert.Equal(t, a, got, "the request came from %s", a)
		}
		_, err := lockercluster.RequestFuture(nil, "g", grainKind, wrapperspb.String("x"), time.Second)
		assert.ErrorIs(t, err, lockercluster.ErrNoActivation)
	})
}

// Every message the lookup sends between members is a proto type of
// protoactor's cluster package or of locker, which every member links: a
// type a member does not link would crash it.
func TestWireMessagesAreLinked(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startAll(t, 3)
		var mu sync.Mutex
		seen := map[protoreflect.FullName]bool{}
		h.net.DropIf(func(_, _ string, msg any) bool {
			mu.Lock()
			defer mu.Unlock()
			if m, ok := msg.(proto.Message); ok {
				seen[m.ProtoReflect().Descriptor().FullName()] = true
			} else {
				seen[protoreflect.FullName(fmt.Sprintf("%T", msg))] = false
			}
			return false
		})
		for i := range 10 {
			h.hostOf(t, addrs(3)[i%3], fmt.Sprintf("g%d", i))
		}
		h.net.DropIf(nil)
		mu.Lock()
		defer mu.Unlock()
		assert.True(t, seen["cluster.ActivationRequest"])
		assert.True(t, seen["cluster.ActivationResponse"])
		for name, isProto := range seen {
			assert.True(t, isProto, "%s is not a proto message", name)
			if !strings.HasPrefix(string(name), "google.protobuf.") { // the test's own grain messages
				assert.Regexp(t, `^(cluster|actor|locker|messages)\.`, string(name))
			}
			_, err := protoregistry.GlobalTypes.FindMessageByName(name)
			assert.NoError(t, err, name)
		}
	})
}

// A grain vetoed at Started would drop its queued messages: the lookup
// takes the key before it spawns, so while the key is held by an
// activation its host does not know (an earlier incarnation's), nothing is
// spawned; the activation comes once that lease is over.
func TestKeyIsTakenBeforeSpawning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startAll(t, 3)
		key := lockercluster.Key(grainKind, "held")
		stale := actor.NewPID("n2:1", "an-earlier-incarnation")
		start := time.Now()
		_, err := h.lookupAt("n1:1").Node().Lock(t.Context(), key, pidValue(stale), time.Second)
		require.NoError(t, err)
		done := make(chan string, 1)
		go func() { host, _ := h.hostOf(t, "n3:1", "held"); done <- host }()
		time.Sleep(900 * time.Millisecond)
		assert.Zero(t, h.live.Started("held"), "nothing is spawned while the key is held")
		assert.Equal(t, "n2:1", <-done)
		assert.GreaterOrEqual(t, time.Since(start), time.Second)
		assert.Equal(t, 1, h.live.Started("held"))
	})
}

// Bad input gets an error, never a panic.
func TestBadInput(t *testing.T) {
	for _, l := range []*lockercluster.IdentityLookup{
		lockercluster.NewIdentityLookup(lockercluster.WithLease(0)),
		lockercluster.NewIdentityLookup(lockercluster.WithVoters(0)),
		lockercluster.NewIdentityLookup(lockercluster.WithSeeds("a:1", "a:1")),
		lockercluster.NewIdentityLookup(lockercluster.WithSeeds("a:1"), lockercluster.WithSeedKind("seed")),
		lockercluster.NewIdentityLookup(lockercluster.WithGrace(-time.Second)),
	} {
		assert.Error(t, l.Err())
		assert.Nil(t, l.Node())
		assert.Nil(t, l.Get(cluster.NewClusterIdentity("a", "b")))
		l.RemovePid(nil, nil)
		l.Setup(nil, nil, false)
		l.Shutdown()
	}
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, func(string, bool) cluster.IdentityLookup {
			return lockercluster.NewIdentityLookup() // no seeds
		})
		h.start("n1:1")
		l := h.lookupAt("n1:1")
		assert.ErrorContains(t, l.Err(), "no seeds")
		assert.Nil(t, l.Get(cluster.NewClusterIdentity("a", grainKind)))

		g := startAll(t, 1)
		gl := g.lookupAt("n1:1")
		assert.Nil(t, gl.Get(nil))
		assert.Nil(t, gl.Get(cluster.NewClusterIdentity("", grainKind)))
		assert.Nil(t, gl.Get(cluster.NewClusterIdentity(string(make([]byte, 5000)), grainKind)))
		_, ok := gl.Token(nil)
		assert.False(t, ok)
		_, ok = lockercluster.Token(nil)
		assert.False(t, ok)
		_, err := locker.Start(nil, locker.Config{})
		assert.Error(t, err)
	})
}
