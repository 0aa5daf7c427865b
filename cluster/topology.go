package lockercluster

import (
	"slices"

	"github.com/asynkron/protoactor-go/cluster"
)

// topology is one ClusterTopology as the lookup uses it: immutable once
// built, shared through an atomic pointer.
type topology struct {
	addrs   []string            // member addresses, sorted
	present map[string]struct{} // the same, as a set
	rdv     *cluster.Rendezvous // placement of new activations
	gone    map[string]struct{} // addresses of earlier topologies that are absent from this one
	kinds   map[string][]string // address -> the kinds the member hosts
}

// newTopology builds the topology of members, following prev (nil for
// the first).
func newTopology(members []*cluster.Member, prev *topology) *topology {
	t := &topology{present: make(map[string]struct{}, len(members)), rdv: cluster.NewRendezvous(),
		gone: map[string]struct{}{}, kinds: make(map[string][]string, len(members))}
	for _, m := range members {
		a := m.Address()
		if _, dup := t.present[a]; dup {
			continue
		}
		t.present[a] = struct{}{}
		t.addrs = append(t.addrs, a)
		t.kinds[a] = m.GetKinds()
	}
	slices.Sort(t.addrs)
	t.rdv.UpdateMembers(members)
	if prev != nil {
		for _, set := range []map[string]struct{}{prev.present, prev.gone} {
			for a := range set {
				if !t.has(a) {
					t.gone[a] = struct{}{}
				}
			}
		}
	}
	return t
}

// left reports that addr was a member of an earlier topology and is not
// one of this.
func (t *topology) left(addr string) bool {
	_, ok := t.gone[addr]
	return ok
}

// hosting returns the addresses of the members that host kind, sorted.
func (t *topology) hosting(kind string) []string {
	var out []string
	for _, a := range t.addrs {
		if slices.Contains(t.kinds[a], kind) {
			out = append(out, a)
		}
	}
	return out
}

// has reports that addr is a member.
func (t *topology) has(addr string) bool {
	_, ok := t.present[addr]
	return ok
}

// place returns the member that a new activation of ci goes to: "" when
// no member hosts its kind.
func (t *topology) place(ci *cluster.ClusterIdentity) string {
	return t.rdv.GetByClusterIdentity(ci)
}
