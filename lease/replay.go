package lease

import "bytes"

// Replay applies a master's committed write on a replica, or on a master
// that missed it (never while a promise is live on the key). Nodes hear
// the same write from every master, late and in any order between
// masters, so replay is idempotent and ordered by fencing token:
//   - lock and update apply only over an older token, and never over a
//     token this replica saw released (a tombstone kept until the released
//     lease would have expired);
//   - extend moves the expiry of the same token, or installs it;
//   - release deletes the entry of that token or an older one.
//
// left is the lease remaining when the master cut its batch; the replica
// counts it from now.
func (t *Table) Replay(now int64, op Op, key string, value []byte, token uint64, left int64) Status {
	if key == "" || value == nil {
		return BadRequest
	}
	if _, live := t.livePromise(now, key); live {
		return Locked // a round in flight decides the key (a node that was a master may hold one)
	}
	e, held := t.store.Get(key)
	dead := t.tombs[key].token
	switch op {
	case OpLock, OpUpdate, OpExtend:
		if left <= 0 {
			return OK // already over; nothing to show
		}
		if held && e.Token == token && op == OpExtend {
			t.put(key, &Entry{Value: e.Value, Token: token, ExpiresAt: now + left}, e)
			break
		}
		if (held && e.Token >= token) || (dead != 0 && token <= dead) {
			return OK
		}
		t.put(key, &Entry{Value: value, Token: token, ExpiresAt: now + left}, e)
	case OpRelease:
		if held && (e.Token < token || (e.Token == token && bytes.Equal(e.Value, value))) {
			t.remove(key)
		}
		if token > dead {
			until := now + max(left, 0)
			t.tombs[key] = tomb{token: token, until: until}
			t.tombDue.push(deadline{at: until, key: key})
		}
	default:
		return BadRequest
	}
	t.observe(token)
	return OK
}
