//go:build !race

package lockercluster_test

import "go.uber.org/goleak"

// leakIgnores are the goroutines a real protoactor cluster leaves behind
// after Cluster.Shutdown, which nothing in its API stops: the test
// provider's TTL loop (it ranges over a stopped ticker), the log
// throttles of gossip (they end after their period), and gRPC's
// reconnection of endpoint writers towards members that are gone. Those
// writers never close the connections of their failed attempts, so a
// stream opened on one keeps its watcher goroutine
// (newClientStreamWithParams.func4) until the connection closes.
var leakIgnores = []goleak.Option{
	goleak.IgnoreTopFunction("github.com/asynkron/protoactor-go/cluster/clusterproviders/test.(*Provider).startTtlReport.func1"),
	goleak.IgnoreTopFunction("github.com/asynkron/protoactor-go/cluster.(*Gossiper).StartGossiping.NewThrottle.func3.1"),
	goleak.IgnoreTopFunction("github.com/asynkron/protoactor-go/cluster.NewGossipActor.NewThrottleWithLogger.func2.1"),
	goleak.IgnoreTopFunction("google.golang.org/grpc/internal/grpcsync.(*CallbackSerializer).run"),
	goleak.IgnoreTopFunction("google.golang.org/grpc.(*addrConn).resetTransport"),
	goleak.IgnoreTopFunction("google.golang.org/grpc.newClientStreamWithParams.func4"),
	goleak.IgnoreAnyFunction("github.com/asynkron/protoactor-go/remote.(*endpointWriter).initialize"),
}

// raceEnabled is set under -race.
const raceEnabled = false
