package locker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/protolocker/locker/internal/proposer"
	"github.com/protolocker/locker/lease"
)

// Summary is a node's state at a glance, as the reference's summary/0:
// what its lease-holder keeps, its view and whether it votes.
type Summary struct {
	Address  string
	Keys     int // keys with an accepted state (held, expired or free)
	Promises int // keys with only a promise
	Sessions int // sessions with keys attached here
	Held     int // keys published in the local table (live here)
	View     ViewInfo
	Master   bool // this node is a master of its view
	Voting   bool // its memory is complete and no view change seals it
	Sealed   bool // a view change is in progress
}

// ViewInfo is a membership.
type ViewInfo struct {
	Version  uint64
	Masters  []string
	Replicas []string
	W        int
}

// Summary returns the node's state. Counting the live keys walks the
// local table: O(keys).
func (n *Node) Summary() Summary {
	h := n.holder.Stats()
	v := n.members.Load()
	held := 0
	n.store.Range(func(string, *lease.Entry) bool { held++; return true })
	return Summary{
		Address: n.Address(), Keys: h.Keys - h.Promises, Promises: h.Promises, Sessions: h.Sessions, Held: held,
		View:   ViewInfo{Version: v.Version, Masters: v.Masters, Replicas: v.Replicas, W: v.W},
		Master: v.IsMaster(n.Address()), Voting: n.holder.Voting() && !n.holder.Sealed(), Sealed: n.holder.Sealed(),
	}
}

// lagKey is the key of a node's lag probe.
func (n *Node) lagKey() string { return reservedPrefix + "lag/" + n.Address() }

// Lag times a probe write and its release through the masters, as the
// reference's lag/0: the time one Lock and one Release take from this
// node now.
func (n *Node) Lag(ctx context.Context) (time.Duration, error) {
	key, value := n.lagKey(), []byte(n.Address())
	lock := proposer.Request{Kind: proposer.Lock, Key: key, Value: value, Lease: int64(time.Second)}
	release := proposer.Request{Kind: proposer.Release, Key: key, Value: value}
	start := time.Now()
	_, err := n.write(ctx, lock)
	if errors.Is(err, ErrLocked) {
		// An earlier probe of this node that was not released: end it,
		// and time a probe from the start.
		if _, err = n.write(ctx, release); err == nil {
			start = time.Now()
			_, err = n.write(ctx, lock)
		}
	}
	if err != nil {
		return 0, fmt.Errorf("lag probe: %w", err)
	}
	if _, err := n.write(ctx, release); err != nil {
		return 0, fmt.Errorf("lag probe release: %w", err)
	}
	return time.Since(start), nil
}
