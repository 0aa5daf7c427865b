package locker

// Batching exposes to the tests how many requests the node's outboxes
// sent, and in how many messages.
func Batching(n *Node) (requests, frames uint64) { return n.batching() }
