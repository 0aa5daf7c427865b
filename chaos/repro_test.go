package chaos

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/protolocker/locker"
	"github.com/protolocker/locker/messages"
)

// The first two tests reproduce bugs that TestLinearizable found in
// commit ca59c12 and that 027b203 fixed (masters ignore replication
// batches again); they stay as regression tests. The others reproduce
// bugs still open.

// A released lock comes back. Found by TestLinearizable ("Lock(b) ok;
// Release(b) ok; Read -> free; ...; Read -> b" with no write of b in
// between), reduced here by hand.
//
// When masters pushed their committed writes to each other (commit
// ca59c12), a master that missed a release (m3, cut off) later pushed its
// old "lock b" to the masters that applied the release. A master's own
// release left no tombstone (only replayed releases did), so when the
// releasing masters' batches to each other were lost, both re-installed b
// with its old token: a quorum held a lock that its holder had released,
// a consistent read returned it, and nobody could take the key until the
// lease ended.
func TestReproReleasedLockComesBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := locker.Config{RequestTimeout: 200 * time.Millisecond, ReplicationInterval: 100 * time.Millisecond}
		c := newCluster(t, 3, 1, cfg)
		m1, m2, m3 := c.nodes[0], c.nodes[1], c.nodes[2]

		_, err := m1.Lock(t.Context(), "k", []byte("b"), time.Minute)
		require.NoError(t, err)
		synctest.Wait()
		v, err := m3.DirtyRead("k")
		require.NoError(t, err)
		require.Equal(t, "b", string(v), "m3 applied the lock")

		c.net.Isolate("m3")
		_, err = m1.Release(t.Context(), "k", []byte("b"))
		require.NoError(t, err, "released on m1 and m2")
		_, err = m1.Read(t.Context(), "k")
		require.ErrorIs(t, err, locker.ErrNotFound)

		c.net.Heal()
		c.net.Cut("m1", "m2") // their batches to each other are lost
		time.Sleep(cfg.ReplicationInterval)
		synctest.Wait()
		c.net.Heal()

		e, err := m1.Read(t.Context(), "k")
		assert.ErrorIs(t, err, locker.ErrNotFound, "read %q (token %d) after its release", e.Value, e.Token)
		_, err = m2.Lock(t.Context(), "k", []byte("x"), time.Minute)
		assert.NoError(t, err, "the key was released and nothing locked it since")
	})
}

// A failed Update takes effect after its owner released the key. Same
// cause, other half, found while reducing the first: a master logged and
// pushed every commit it applied, before anyone knew whether the round
// reached W, so a commit that only one master applied (the Update failed,
// and by design an Update's value is not taken back) was installed by
// replay on the masters where the owner had since released the key. A
// tombstone for the release would not have stopped it: the Update's token
// is the newer one.
func TestReproFailedUpdateComesBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := locker.Config{RequestTimeout: 200 * time.Millisecond, ReplicationInterval: 100 * time.Millisecond}
		c := newCluster(t, 3, 1, cfg)
		m1, m2 := c.nodes[0], c.nodes[1]

		_, err := m1.Lock(t.Context(), "k", []byte("old"), time.Minute)
		require.NoError(t, err)
		synctest.Wait()

		c.net.DropIf(func(_, _ string, msg any) bool { // m1's own accept lands
			a, accept := msg.(*messages.Accept)
			return accept && string(a.GetState().GetValue()) == "new"
		})
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
		defer cancel()
		_, err = m1.Update(ctx, "k", []byte("old"), []byte("new"))
		require.ErrorIs(t, err, locker.ErrNoQuorum, "accepted on m1 only")
		c.net.Heal()
		synctest.Wait()

		// The owner releases old: it succeeds if the release is decided
		// before the update is completed, or finds new if the update was
		// completed first. Either way the answer stands.
		_, rerr := m2.Release(t.Context(), "k", []byte("old"))
		before, berr := m2.Read(t.Context(), "k")
		if rerr == nil {
			require.ErrorIs(t, berr, locker.ErrNotFound)
		} else {
			require.ErrorIs(t, rerr, locker.ErrNotOwner)
			require.Equal(t, "new", string(before.Value))
		}
		time.Sleep(cfg.ReplicationInterval)
		synctest.Wait()
		after, aerr := m2.Read(t.Context(), "k")
		assert.Equal(t, berr, aerr, "the state changed after the release with no write: %q -> %q", before.Value, after.Value)
		assert.Equal(t, before.Value, after.Value)
	})
}

// Fixed (a regression test now). A Lock that failed is rolled back after a consistent read saw it
// held: the value appears, then vanishes with nobody releasing it. Found
// by TestLinearizable ("Lock(c) fails, commit short of W; Read -> c;
// Lock(b) ok" with no Release(c) in between).
//
// The commit reached every master but the acknowledgements were lost, so
// the coordinator timed out with ErrNoQuorum and released the value "where
// it landed" (write.go, releaseQuietly). A commit that may have reached W
// masters may have been seen: it cannot be taken back. The release is by
// value, so it also deletes an equal value that another Lock committed.
func TestReproFailedLockRolledBackAfterRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, 3, 1, locker.Config{RequestTimeout: 200 * time.Millisecond})
		m1, m2 := c.nodes[0], c.nodes[1]
		c.net.DropIf(func(_, _ string, msg any) bool { // the acceptances of accepts
			v, ok := msg.(*messages.Vote)
			return ok && v.GetStatus() == messages.Status_STATUS_OK && v.GetAccepted() != 0 && v.GetState() == nil
		})
		failed := make(chan error, 1)
		go func() {
			_, err := m1.Lock(t.Context(), "k", []byte("v"), time.Minute)
			failed <- err
		}()
		synctest.Wait() // every master accepted the lock; m1 waits for acks
		e, err := m2.Read(t.Context(), "k")
		require.NoError(t, err)
		require.Equal(t, "v", string(e.Value), "the lock is held on a quorum")

		require.ErrorIs(t, <-failed, locker.ErrNoQuorum, "no acceptance came back")
		c.net.Heal()
		synctest.Wait()
		_, err = m2.Read(t.Context(), "k")
		assert.NoError(t, err, "a read saw the lock held, and nobody released it")
	})
}

// Fixed (a regression test now). A successful Release is undone by a late commit of the Lock it
// released. Found by TestLinearizable ("Lock(c) ok; Release(c) ok; ...;
// Update(c -> c) ok" with no Lock(c) in between).
//
// m3 locks the key with m1 and itself while its promise and commit to m2
// are delayed. The owner releases through m2, which cannot reach m3: m1
// deletes the value, and m2, which has not heard of the lock yet, answers
// "absent", which counts as released. Then m2 grants the late promise and
// applies the late commit: m2 and m3, a quorum, hold the released value.
func TestReproReleaseUndoneByLateCommit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, 3, 1, locker.Config{RequestTimeout: 200 * time.Millisecond})
		m1, m2, m3 := c.nodes[0], c.nodes[1], c.nodes[2]
		c.net.Delay("m3", "m2", 20*time.Millisecond)
		c.net.DropIf(func(from, to string, msg any) bool {
			if _, prepare := msg.(*messages.Prepare); prepare && from == "m3" && to == "m2" {
				c.net.Delay("m3", "m2", 30*time.Millisecond) // the accept lands after the prepare
			}
			return false
		})
		_, err := m3.Lock(t.Context(), "k", []byte("v"), time.Minute)
		require.NoError(t, err, "granted and committed by m1 and m3")

		c.net.CutOneWay("m2", "m3")
		_, err = m2.Release(t.Context(), "k", []byte("v"))
		require.NoError(t, err, "deleted on m1, absent on m2")
		time.Sleep(30 * time.Millisecond)
		synctest.Wait() // the late promise and commit reach m2
		c.net.Heal()

		e, err := m1.Read(t.Context(), "k")
		assert.ErrorIs(t, err, locker.ErrNotFound, "read %q (token %d) after its release", e.Value, e.Token)
		_, err = m1.Lock(t.Context(), "k", []byte("w"), time.Minute)
		assert.NoError(t, err, "the key was released and nothing locked it since")
	})
}

// Fixed (a regression test now). Two holders at once: a delayed ExtendLease with a short lease
// shortens a later, longer one. Found by TestMutualExclusion (5 masters:
// "extend 57ms ok; extend 143ms ok", then another client locked 57 ms
// after the first extend was sent).
//
// A master sets expiry = now + lease on every extend, so an older extend
// that arrives after a newer one moves the expiry back. With the newer
// extend acknowledged by m1 and m2 only, m1 shortened that way, and m3
// still on the older extend, a quorum lets the lease go while its holder
// counts on the newer extend, as the docs tell it to.
func TestReproStaleExtendShortensLease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := locker.Config{RequestTimeout: 200 * time.Millisecond}
		c := newCluster(t, 3, 1, cfg)
		sys, err := c.net.NewSystem("client")
		require.NoError(t, err)
		cfg.Masters = c.addrs
		client, err := locker.Start(sys, cfg)
		require.NoError(t, err)
		t.Cleanup(client.Stop)

		start := time.Now()
		_, err = client.Lock(t.Context(), "k", []byte("h"), 100*time.Millisecond)
		require.NoError(t, err)

		c.net.Delay("client", "m1", 5*time.Millisecond)
		_, err = client.ExtendLease(t.Context(), "k", []byte("h"), 50*time.Millisecond)
		require.NoError(t, err, "m2 and m3 extend; m1's copy is on its way")

		c.net.Delay("client", "m1", 0)
		c.net.Cut("client", "m3")
		_, err = client.ExtendLease(t.Context(), "k", []byte("h"), 200*time.Millisecond)
		require.NoError(t, err, "m1 and m2 extend: the holder may count on 200ms from now")
		c.net.Heal()

		time.Sleep(60 * time.Millisecond) // the old extend reached m1 at 5ms
		_, err = c.nodes[0].Lock(t.Context(), "k", []byte("other"), time.Second)
		assert.Error(t, err, "locked at %v while the holder's lease lasts until 200ms", time.Since(start))
	})
}
