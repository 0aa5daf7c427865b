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
}

func newTopology(members []*cluster.Member) *topology {
	t := &topology{present: make(map[string]struct{}, len(members)), rdv: cluster.NewRendezvous()}
	for _, m := range members {
		a := m.Address()
		if _, dup := t.present[a]; dup {
			continue
		}
		t.present[a] = struct{}{}
		t.addrs = append(t.addrs, a)
	}
	slices.Sort(t.addrs)
	t.rdv.UpdateMembers(members)
	return t
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
