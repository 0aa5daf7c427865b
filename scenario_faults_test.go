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
	"github.com/protolocker/locker/cluster"
	"github.com/protolocker/locker/messages"
)

// A commit acknowledged by fewer than W masters is a failure (the
// reference reports success). When the other masters surely refused it
// (here: their promises expired before the delayed commit came), the lone
// value is taken back; when they stayed silent, the outcome is unknown and
// the value stays until its lease ends.
func TestCommitOnFewerThanWFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := locker.Config{RequestTimeout: time.Second, PromiseTTL: 100 * time.Millisecond}
		c := newCluster(t, names("m", 3), nil, cfg)
		c.net.DelayIf(func(_, to string, msg any) time.Duration {
			if _, commit := msg.(*messages.CommitRequest); commit && to != "m1" {
				return 150 * time.Millisecond
			}
			return 0
		})
		res, err := c.node("m1").Lock(t.Context(), "k", []byte("v"), time.Minute)
		require.ErrorIs(t, err, locker.ErrNoQuorum)
		assert.Contains(t, err.Error(), "did not take effect")
		assert.GreaterOrEqual(t, res.Votes, 2, "a quorum granted the promise")
		assert.Equal(t, 1, res.Commits, "only m1's own lease-holder applied the commit")
		synctest.Wait()
		assert.True(t, c.absent("m1", "k"), "the lone commit was taken back")
		c.net.Heal()
		_, err = c.node("m2").Lock(t.Context(), "k", []byte("w"), time.Minute)
		require.NoError(t, err)

		// Commits lost on the way: unknown outcome, nothing taken back.
		c.net.DropIf(func(_, _ string, msg any) bool {
			_, commit := msg.(*messages.CommitRequest)
			return commit
		})
		res, err = c.node("m1").Lock(ctxFor(t, 300*time.Millisecond), "k2", []byte("v"), 500*time.Millisecond)
		require.ErrorIs(t, err, locker.ErrNoQuorum)
		assert.Contains(t, err.Error(), "may have taken effect")
		assert.Equal(t, 1, res.Commits)
		synctest.Wait()
		assert.True(t, c.holds("m1", "k2", []byte("v")), "kept: it may have reached W")
		time.Sleep(500 * time.Millisecond)
		synctest.Wait()
		assert.True(t, c.absent("m1", "k2"), "gone with its lease")
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
		view, err := cluster.NewView(version, masters, replicas, w)
		require.NoError(t, err)
		for _, req := range []any{
			&messages.PromiseRequest{ReqId: 1, ViewVersion: version, ViewHash: view.Hash()}, // no key, no tag
			&messages.CondRequest{ReqId: 2, Op: messages.Op_OP_EXTEND, Key: "k", ViewVersion: version, ViewHash: view.Hash()},
			&messages.CommitRequest{ReqId: 3, Key: "k", Op: messages.Op(99)},
		} {
			reply, err := sys.Root.RequestFuture(target, req, time.Second).Result()
			require.NoError(t, err)
			assert.Equal(t, messages.Status_STATUS_BAD_REQUEST, reply.(interface{ GetStatus() messages.Status }).GetStatus())
		}
		reply, err := sys.Root.RequestFuture(target, &messages.PromiseRequest{ReqId: 4, Key: "k", Tag: 1, ExpectAbsent: true}, time.Second).Result()
		require.NoError(t, err)
		assert.Equal(t, messages.Status_STATUS_WRONG_VIEW, reply.(*messages.PromiseReply).GetStatus(), "a vote without the view is refused")
		assert.Equal(t, version, reply.(*messages.PromiseReply).GetView().GetVersion())

		after := c.node("m1").Stats()
		assert.Equal(t, before.Unknown+2, after.Unknown)
		assert.Equal(t, before.BadRequests+3, after.BadRequests)
		assert.Equal(t, before.WrongView+1, after.WrongView)
		_, err = c.node("m1").Lock(t.Context(), "k", []byte("v"), time.Second)
		require.NoError(t, err, "the node carries on")
	})
}

// Duplicated and delayed messages are harmless: tags and request ids make
// every step idempotent.
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

// A dead master costs one timeout, not one per round: once a round has
// waited for it in vain, later rounds that only wait for it give it a
// short grace and count it as a refusal, so split promises are resolved
// by a retry instead of a timeout.
func TestDeadMasterCostsOneTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, names("m", 3), nil, locker.Config{})
		c.kill("m3")
		n := c.node("m1")
		// A round that cannot be decided without m3 waits out its context.
		c.net.DropIf(func(from, to string, msg any) bool {
			_, promise := msg.(*messages.PromiseReply)
			return promise && from == "m2"
		})
		_, err := n.Lock(ctxFor(t, 50*time.Millisecond), "a", []byte("x"), time.Second)
		require.ErrorIs(t, err, locker.ErrNoQuorum)
		c.net.Heal()

		// Two lockers of one key on m1, m3 still dead: a split (one grant
		// each) is lost after the grace and retried, well before the
		// context's end.
		for round := range 20 {
			key := fmt.Sprintf("k%d", round)
			start := time.Now()
			errs := make(chan error, 2)
			for _, v := range []string{"a", "b"} {
				go func() {
					_, err := n.Lock(ctxFor(t, time.Second), key, []byte(v), time.Second)
					errs <- err
				}()
			}
			e1, e2 := <-errs, <-errs
			assert.True(t, (e1 == nil) != (e2 == nil), "round %d: one winner: %v / %v", round, e1, e2)
			assert.Less(t, time.Since(start), 200*time.Millisecond, "round %d", round)
		}
	})
}
