package locker_test

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/protolocker/locker"
	holder "github.com/protolocker/locker/actor"
	"github.com/protolocker/locker/internal/view"
	"github.com/protolocker/locker/messages"
)

// A write accepted by fewer than W masters is not a success (the
// reference reports success). It may still take effect: it is accepted on
// a master, and the next call that finds it the newest state completes
// it, so the masters converge on it instead of keeping it until its lease
// ends.
func TestAcceptOnFewerThanWIsIndeterminate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, names("m", 3), nil, locker.Config{RequestTimeout: time.Second})
		c.net.DropIf(func(_, to string, msg any) bool {
			_, accept := msg.(*messages.Accept)
			return accept && to != "m1"
		})
		_, err := c.node("m1").Lock(t.Context(), "k", []byte("v"), time.Minute)
		require.ErrorIs(t, err, locker.ErrIndeterminate)
		require.ErrorIs(t, err, locker.ErrNoQuorum, "ErrIndeterminate matches ErrNoQuorum")
		// The caller's Read settles the half-done write: it completes it,
		// or erases it (a master's repair of the key it saw on m1 may have
		// done either first). Every master ends on that read's answer.
		c.net.Heal()
		e, err := c.node("m1").Read(t.Context(), "k")
		found := err == nil
		if found {
			assert.Equal(t, "v", string(e.Value))
		} else {
			require.ErrorIs(t, err, locker.ErrNotFound)
		}
		time.Sleep(time.Second) // anti-entropy
		synctest.Wait()
		for _, m := range names("m", 3) {
			assert.Equal(t, found, c.holds(m, "k", []byte("v")), "%s converged", m)
			_, err := c.node(m).Read(t.Context(), "k")
			assert.Equal(t, found, err == nil, "%s reads the same", m)
		}
	})
}

// Unknown and malformed messages to a lease-holder are answered or
// dropped and counted; the node carries on.
func TestBadMessagesAreCounted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, names("m", 3), nil, locker.Config{})
		sys, err := c.net.NewSystem("probe")
		require.NoError(t, err)
		target := actor.NewPID("m1", holder.Name)
		before := c.node("m1").Stats()

		sys.Root.Send(target, wrapperspb.String("hello"))
		sys.Root.Send(target, &messages.Pong{})
		masters, replicas, w, version := c.node("m1").View()
		v, err := view.NewView(version, masters, replicas, w)
		require.NoError(t, err)
		for _, req := range []any{
			&messages.Prepare{ReqId: 1, ViewVersion: version, ViewHash: v.Hash()},                     // no key, no ballot
			&messages.Accept{ReqId: 2, Key: "k", Ballot: 5, ViewVersion: version, ViewHash: v.Hash()}, // no state
			&messages.Accept{ReqId: 3, Key: "k", Ballot: 5, State: &messages.State{Held: true, Origin: 5}, // no value, no lease
				ViewVersion: version, ViewHash: v.Hash()},
		} {
			reply, err := sys.Root.RequestFuture(target, req, time.Second).Result()
			require.NoError(t, err)
			assert.Equal(t, messages.Status_STATUS_BAD_REQUEST, reply.(*messages.Vote).GetStatus())
		}
		reply, err := sys.Root.RequestFuture(target, &messages.Prepare{ReqId: 4, Key: "k", Ballot: 9}, time.Second).Result()
		require.NoError(t, err)
		assert.Equal(t, messages.Status_STATUS_WRONG_VIEW, reply.(*messages.Vote).GetStatus(), "a vote without the view is refused")
		assert.Equal(t, version, reply.(*messages.Vote).GetView().GetVersion())

		after := c.node("m1").Stats()
		assert.Equal(t, before.Unknown+2, after.Unknown)
		assert.Equal(t, before.BadRequests+3, after.BadRequests)
		assert.Equal(t, before.WrongView+1, after.WrongView)
		assert.Zero(t, after.Panics)
		_, err = c.node("m1").Lock(t.Context(), "k", []byte("v"), time.Second)
		require.NoError(t, err, "the node carries on")
	})
}

// Duplicated and delayed messages are harmless: ballots and request ids
// make every step idempotent.
func TestDuplicatesAndDelays(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, names("m", 3), nil, locker.Config{})
		for _, a := range names("m", 3) {
			for _, b := range names("m", 3) {
				if a != b {
					c.net.Duplicate(a, b, 1)
					c.net.Delay(a, b, time.Millisecond)
				}
			}
		}
		var last uint64
		for i := range 20 {
			n := c.node(names("m", 3)[i%3])
			res, err := n.Lock(t.Context(), "k", []byte("v"), time.Second)
			require.NoError(t, err, "round %d", i)
			assert.Equal(t, 2, res.W)
			assert.LessOrEqual(t, res.Commits, 3, "each master counted once")
			assert.Greater(t, res.Token, last)
			last = res.Token
			_, err = n.Release(t.Context(), "k", []byte("v"))
			require.NoError(t, err)
		}
	})
}

// A silent master (cut off, no endpoint event) costs a round at most
// RoundTimeout, and only when the round needs its answer; a master known
// down (its endpoint terminated) costs nothing. Neither costs the
// caller's context (finding 5 of the first design).
func TestSilentMasterCostsARoundTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := locker.Config{RoundTimeout: 50 * time.Millisecond}
		c := newCluster(t, names("m", 3), nil, cfg)
		c.net.Isolate("m3")
		n := c.node("m1")
		// m2's votes are lost: every round needs m3, which never answers.
		c.net.DropIf(func(from, _ string, msg any) bool {
			_, vote := msg.(*messages.Vote)
			return vote && from == "m2"
		})
		start := time.Now()
		_, err := n.Lock(ctxFor(t, time.Minute), "a", []byte("x"), time.Second)
		require.ErrorIs(t, err, locker.ErrNoQuorum)
		assert.LessOrEqual(t, time.Since(start), 2*cfg.RoundTimeout+5*time.Millisecond, "two silent rounds, not the minute")
		c.net.Heal()
		c.net.Isolate("m3")

		// Two lockers of one key on m1, m3 silent: each call ends well
		// before its context, one of them wins.
		for round := range 10 {
			key := fmt.Sprintf("k%d", round)
			start := time.Now()
			errs := make(chan error, 2)
			for _, v := range []string{"a", "b"} {
				go func() {
					_, err := n.Lock(ctxFor(t, time.Minute), key, []byte(v), time.Second)
					errs <- err
				}()
			}
			e1, e2 := <-errs, <-errs
			assert.True(t, (e1 == nil) != (e2 == nil), "round %d: one winner: %v / %v", round, e1, e2)
			assert.Less(t, time.Since(start), 10*cfg.RoundTimeout, "round %d", round)
		}

		c.kill("m3") // now known down
		start = time.Now()
		_, err = n.Lock(ctxFor(t, time.Minute), "z", []byte("x"), time.Second)
		require.NoError(t, err)
		assert.Less(t, time.Since(start), time.Millisecond, "no wait for a master known down")
	})
}
