// Package messages is locker's wire protocol: protobuf messages exchanged
// between nodes' proposers and view changes and the lease-holder actors of
// the cluster. locker.proto is the source; `go generate ./...` regenerates
// locker.pb.go (gen.sh installs protoc and protoc-gen-go when missing).
//
// Every request with a req_id is answered to its sender (the node's reply
// sink) with the same req_id. A req_id is a call id, a round number and
// the target's index in the call (see cluster.ReqID), so a node counts each
// master once per round and drops replies of rounds it left.
//
// Key registers (docs/protocol.md, "Acceptor rules"):
//   - Prepare, Accept, ReadRequest (proposer → every master): answered by
//     Vote. A promise or an acceptance is one vote towards W.
//   - Learn (proposer → masters that did not accept, replicas, its own
//     node): a chosen state. LearnAck when req_id is set.
//   - SyncRequest (every node → every master, each ReplicationInterval):
//     anti-entropy; SyncReply carries the master's changed keys.
//
// View changes (docs/protocol.md, "Views"):
//   - Seal (coordinator → masters of the old view): SealReply.
//   - DumpRequest (coordinator → sealed masters): DumpPage.
//   - Install (coordinator → masters of the new view): InstallAck.
//   - ViewAccept (coordinator → sealed masters): ViewAccepted.
//   - ViewCommit (coordinator, or any node repairing an older one → every
//     node of both views): ViewAck.
//
// Ping (node → every master; Node.Ping) is answered by Pong and nothing
// else: the fan-out floor that rounds are measured against.
package messages
