// Package locker is a distributed, consistent, in-memory lease store for
// protoactor-go clusters: locks, mutexes, leader election and global
// names whose entries expire unless their lease is extended.
//
// Every node runs one lease-holder actor (package actor). A node that
// writes a key coordinates the round itself: Lock and Update take two
// phases, a promise then a commit, and succeed only when W masters
// acknowledged the commit; ExtendLease and Release take one conditional
// round. Replicas follow the masters asynchronously. DirtyRead reads the
// local table without a message; Read asks the masters and answers once W
// of them agree.
//
// Fencing tokens: every successful Lock or Update returns a token strictly
// greater than that of any earlier successful Lock or Update of the same
// key. The argument is quorum intersection: the earlier write was
// committed on a quorum Q1, raising the token counter of each of its
// masters to at least its token t; the later write needs promises from a
// quorum Q2, and Q1 and Q2 share a master m (W > N/2). m granted the later
// promise only after applying the earlier commit (while it held the
// earlier promise it refused others, and a commit whose promise has gone
// is refused), so m reported a counter >= t and the new token, one more
// than the highest counter reported, is > t. Expiry and release never
// lower a counter. See docs/protocol.md for the whole argument.
package locker
