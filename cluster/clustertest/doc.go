// Package clustertest runs several real protoactor actor systems in one
// process, connected by an in-memory network that can inject faults.
//
// It exists so that multi-node behaviour (request/reply across nodes,
// cross-node Watch, partitions, message loss, delays, duplicates, node
// crashes and restarts) can be tested deterministically, under -race and
// inside testing/synctest bubbles, without gRPC, ports or real time.
//
// Each system created by [Network.NewSystem] gets its own address (for
// example "node1") and an address resolver that routes every PID of another
// address through the network. Crossing the network behaves like the wire:
//
//   - every message (user or system) is cloned with proto.Marshal and
//     proto.Unmarshal, so the receiver never shares memory with the sender;
//     messages that are not proto messages, or fail to marshal, are dropped
//     and counted, because they could not cross a real remote either;
//   - PIDs (target, sender and those inside messages) arrive as fresh values;
//   - a message for an actor that does not exist on a live node is handed to
//     that node's dead-letter process, exactly as protoactor remote does, so a
//     request gets a DeadLetterResponse (future.ErrDeadLetter) and a Watch gets
//     Terminated with reason NotFound;
//   - a message for a node that is not on the network (never joined, killed
//     or removed) is dropped; a Watch sent there is answered locally with
//     Terminated reason AddressTerminated, and watchers of actors on a node
//     that is killed or removed receive Terminated with reason
//     AddressTerminated, like protoactor remote's endpoint watcher does, and
//     every other system's EventStream gets a remote.EndpointTerminatedEvent
//     for its address, as protoactor remote publishes when a connection
//     fails.
//
// Faults are configured per directed link ([Network.Cut],
// [Network.CutOneWay], [Network.Isolate], [Network.Drop], [Network.Delay],
// [Network.Duplicate]) and removed with [Network.Heal]. A cut never produces
// Terminated messages: it only loses messages.
//
// # Using it inside testing/synctest
//
// Create the Network and its systems inside the bubble and call
// [Network.Shutdown] before the bubble function returns (defer it). Delays
// use time.AfterFunc and protoactor futures use timers and sync.Cond, so
// timeouts and delays elapse instantly in fake time. Shutdown matters: a dead
// letter makes protoactor start a goroutine that waits for a ticker, and fake
// time no longer advances once the bubble function has returned, so without
// Shutdown (which outlives that goroutine) the bubble panics with
// "main bubble goroutine has exited but blocked goroutines remain".
//
// # Caveats
//
// A *actor.PID caches the Process it was resolved to the first time it is
// used. Do not use the same *actor.PID value with two different actor
// systems from test code: build one per system with actor.NewPID. Messages
// crossing the network are cloned, so this only concerns PIDs the test
// itself shares.
//
// actor.ActorSystem.Shutdown only marks the system as stopped; it does not
// stop its actors. A killed system's actors may keep running locally, but
// nothing they send reaches the network any more.
package clustertest
