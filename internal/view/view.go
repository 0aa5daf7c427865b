package view

import (
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"

	"github.com/protolocker/locker/internal/quorum"
	"github.com/protolocker/locker/messages"
)

// View is one membership of the cluster. Views are values: a change makes
// a new View with a higher Version.
type View struct {
	Version  uint64   // increases by one with every change
	Masters  []string // addresses of the voting nodes, sorted
	Replicas []string // addresses of non-voting nodes, sorted
	W        int      // votes a write needs; quorum.Majority(len(Masters)) <= W <= len(Masters)

	fp uint64 // Hash, computed once by NewView and FromProto
}

// ErrInvalidView reports a membership that must not be installed.
var ErrInvalidView = errors.New("view: invalid view")

// NewView returns a validated view with sorted copies of the address
// lists. w == 0 means a majority of the masters.
func NewView(version uint64, masters, replicas []string, w int) (View, error) {
	v := View{Version: version, Masters: sorted(masters), Replicas: sorted(replicas), W: w}
	if v.W == 0 {
		v.W = quorum.Majority(len(v.Masters))
	}
	v.fp = v.hash()
	return v, v.Validate()
}

// Validate checks that addresses are non-empty and distinct, that no node
// is both master and replica, and that W is a majority of the masters at
// most their number, so that any two write quorums intersect.
func (v View) Validate() error {
	if len(v.Masters) == 0 {
		return fmt.Errorf("%w: no masters", ErrInvalidView)
	}
	seen := make(map[string]bool, len(v.Masters)+len(v.Replicas))
	for _, a := range append(slices.Clone(v.Masters), v.Replicas...) {
		if a == "" {
			return fmt.Errorf("%w: empty address", ErrInvalidView)
		}
		if seen[a] {
			return fmt.Errorf("%w: %q named twice", ErrInvalidView, a)
		}
		seen[a] = true
	}
	n := len(v.Masters)
	if v.W < quorum.Majority(n) || v.W > n {
		return fmt.Errorf("%w: W=%d with %d masters (needs %d..%d so that quorums intersect)",
			ErrInvalidView, v.W, n, quorum.Majority(n), n)
	}
	return nil
}

// Hash fingerprints the voting part of the view (version, masters, W).
// Voters refuse requests whose fingerprint differs from theirs.
func (v View) Hash() uint64 {
	if v.fp != 0 {
		return v.fp
	}
	return v.hash()
}

func (v View) hash() uint64 {
	h := fnv.New64a()
	_, _ = h.Write(strconv.AppendUint(nil, v.Version, 10))
	for _, m := range v.Masters {
		_, _ = h.Write([]byte{0})
		_, _ = h.Write([]byte(m))
	}
	_, _ = h.Write(strconv.AppendInt([]byte{1}, int64(v.W), 10))
	return h.Sum64()
}

// IsMaster reports whether addr votes in this view.
func (v View) IsMaster(addr string) bool {
	_, ok := slices.BinarySearch(v.Masters, addr)
	return ok
}

// Nodes returns every address of the view, masters first.
func (v View) Nodes() []string {
	return append(slices.Clone(v.Masters), v.Replicas...)
}

// Proto returns the view as a wire message.
func (v View) Proto() *messages.View {
	return &messages.View{Version: v.Version, Masters: v.Masters, Replicas: v.Replicas, W: uint32(v.W)}
}

// FromProto validates a wire view.
func FromProto(m *messages.View) (View, error) {
	if m == nil {
		return View{}, fmt.Errorf("%w: missing", ErrInvalidView)
	}
	v := View{Version: m.GetVersion(), Masters: sorted(m.GetMasters()), Replicas: sorted(m.GetReplicas()), W: int(m.GetW())}
	v.fp = v.hash()
	return v, v.Validate()
}

func sorted(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	if c == nil {
		c = []string{}
	}
	return c
}
