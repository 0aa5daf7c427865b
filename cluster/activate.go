package lockercluster

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"

	"github.com/protolocker/locker"
	"github.com/protolocker/locker/internal/pause"
)

// activate takes key for a new activation of ci on this member, or finds
// the activation that holds it. It retries until the activation timeout:
// after a lost session, a failed round, or while the key is held by a
// member that is no longer in the topology (whose lease then ends).
func (l *IdentityLookup) activate(key string, ci *cluster.ClusterIdentity) *activated {
	ctx, cancel := l.context(l.opts.activation)
	defer cancel()
	var last error
	for attempt := 0; ; attempt++ {
		if attempt > 0 && !sleep(ctx, backoff(attempt)) {
			return &activated{key: key, err: errors.Join(last, ctx.Err())}
		}
		s, err := l.session(ctx)
		if err != nil {
			last = err
			if errors.Is(err, locker.ErrStopped) {
				return &activated{key: key, err: err}
			}
			continue
		}
		name := ci.Identity + "$" + strconv.FormatUint(s.ID(), 36) + "." + strconv.FormatUint(l.seq.Add(1), 36)
		pid := actor.NewPID(l.system.Address(), placementName+"/"+name)
		res, err := s.Lock(ctx, key, encodePID(pid))
		if err == nil {
			return &activated{key: key, a: &activation{ci: ci, key: key, pid: pid, token: res.Token, sess: s}}
		}
		last = err
		if !errors.Is(err, locker.ErrLocked) {
			continue
		}
		holder, err := l.holder(ctx, key)
		switch {
		case err != nil:
			last = err
		case holder == nil:
			// Released meanwhile: take it.
		case holder.Address != l.system.Address() && l.topology().has(holder.Address):
			return &activated{key: key, holder: holder}
		case holder.Address == l.system.Address() && ownedBy(holder, s):
			// A key of this session that no grain holds any more (its
			// release failed): give it back.
			_, _ = s.Release(ctx, key)
		case holder.Address != l.system.Address() && !l.topology().left(holder.Address) && l.confirm(holder, ci):
			// A member this one does not see yet (views differ while a
			// member joins) hosts it.
			return &activated{key: key, holder: holder}
		default:
			// Held by a member that is gone (or by an earlier session of
			// this one): its lease ends, as it is not renewed; wait.
			l.waitRelease(ctx, key)
		}
	}
}

// ownedBy reports that pid names an activation taken on session s.
func ownedBy(pid *actor.PID, s *locker.Session) bool {
	i := strings.LastIndexByte(pid.Id, '$')
	return i >= 0 && strings.HasPrefix(pid.Id[i+1:], strconv.FormatUint(s.ID(), 36)+".")
}

// confirm asks holder's member, which this member has not seen yet (it
// may be joining), whether it hosts ci as holder, within a quarter of the
// lease.
func (l *IdentityLookup) confirm(holder *actor.PID, ci *cluster.ClusterIdentity) bool {
	req := &cluster.ActivationRequest{ClusterIdentity: ci}
	res, err := l.system.Root.RequestFuture(actor.NewPID(holder.Address, placementName), req, l.opts.lease/4).Result()
	r, ok := res.(*cluster.ActivationResponse)
	return err == nil && ok && r.GetPid().Equal(holder)
}

// holder reads the PID that holds key from a quorum; nil when free.
func (l *IdentityLookup) holder(ctx context.Context, key string) (*actor.PID, error) {
	e, err := l.Node().Read(ctx, key)
	switch {
	case errors.Is(err, locker.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return decodePID(e.Value), nil
}

// waitRelease waits until key leaves the local table, at most a tenth
// of the lease when it is not there.
func (l *IdentityLookup) waitRelease(ctx context.Context, key string) {
	ctx, cancel := context.WithTimeout(ctx, l.opts.lease)
	defer cancel()
	if err := l.Node().WaitForRelease(ctx, key); errors.Is(err, locker.ErrNotFound) {
		sleep(ctx, l.opts.lease/10)
	}
}

// release gives back the key of a stopped activation, retrying while its
// session lives; once the session ended the key ended with it.
func (l *IdentityLookup) release(a *activation) {
	ctx, cancel := l.context(l.opts.lease)
	defer cancel()
	for attempt := 0; a.sess.Err() == nil; attempt++ {
		if attempt > 0 && !sleep(ctx, backoff(attempt)) {
			return
		}
		_, err := a.sess.Release(ctx, a.key)
		if err == nil || errors.Is(err, locker.ErrNotOwner) || errors.Is(err, locker.ErrStopped) {
			return
		}
	}
}

// context returns a context bounded by d that ends when the lookup shuts
// down.
func (l *IdentityLookup) context(d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(l.base, d)
	return ctx, cancel
}

// backoff is a jittered wait before retry attempt, doubling from 2ms to
// at most 128ms.
func backoff(attempt int) time.Duration { return pause.Backoff(attempt, 2*time.Millisecond, 6) }

// sleep waits d; false if ctx ends first.
func sleep(ctx context.Context, d time.Duration) bool { return pause.Sleep(ctx, d, nil) }
