// Package messages is locker's wire protocol: protobuf messages exchanged
// between a coordinating node and the lease-holder actors of the cluster.
// locker.proto is the source; `go generate ./...` regenerates locker.pb.go
// (gen.sh installs protoc and protoc-gen-go when they are missing).
//
// Every request with a req_id is answered to its sender (the coordinator's
// reply sink) with the same req_id; the low 12 bits name the target's
// index in the call, so the coordinator counts each master once.
//
//   - PromiseRequest (coordinator → every master; Lock, Update phase one):
//     grant a promise on key for tag if the view matches, no other promise
//     is live and the value is as expected. Answered by PromiseReply with
//     the master's max token; a grant is one vote towards W.
//   - CommitRequest (coordinator → every master; phase two, after W
//     grants): apply value with token if the promise of tag is still live.
//     CommitReply OK is one commit towards W.
//   - AbortRequest (coordinator → every master; after a lost round): drop
//     the promise of tag. No answer.
//   - CondRequest (coordinator → every master; ExtendLease, Release): the
//     single conditional round. CondReply OK (or INSTALLED for an extend on
//     a master that lacked the key, NOT_FOUND for a release of an absent
//     key) is one acknowledgement towards W.
//   - ReadRequest (coordinator → every master; Read): ReadReply with the
//     master's entry; W identical answers make the result.
//   - ReplicationBatch (master → replicas, every ReplicationInterval): the
//     master's committed writes, replayed by token. No answer.
//   - ViewUpdate (any node → every node of the old and new views;
//     SetNodes, SetW, or repairing a voter with an older view): install a
//     newer membership. ViewAck carries the node's version after it.
//   - Ping (coordinator → every master; Node.Ping): answered by Pong, and
//     nothing else: the fan-out floor.
//
// View travels inside PromiseReply and CondReply when a voter refuses a
// vote for a membership mismatch (STATUS_WRONG_VIEW).
package messages
