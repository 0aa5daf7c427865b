//go:build !race

package remotetest

import (
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"
)

// deadPeer is set by a test that kills a member while the others keep
// running and sending to it. See TestMain.
var deadPeer atomic.Bool

// TestMain runs the tests and then checks, like goleak.VerifyTestMain,
// that they left no goroutine behind. The cluster teardown (startCluster's
// cleanup) stops every node, flushes every connection and only then stops
// the remotes, so that runs of healthy clusters leave nothing: the check
// is strict for them.
//
// A test that kills one member while the others run (deadPeer) leaves
// protoactor internals behind that nothing in protoactor's API stops;
// only for such runs are they ignored:
//
//   - remote.(*endpointWriter).initialize: a survivor's first send to the
//     dead address spawns a new endpoint writer, whose Started handler
//     tries to connect MaxRetryCount (5) times and sleeps 2 s after each
//     failure, ~10 s in all, in the writer's mailbox goroutine.
//     Remote.Shutdown(false) does not stop the endpoint manager, and
//     Shutdown(true) blocks until the loop ends.
//   - grpcsync.(*CallbackSerializer).run and grpc.(*addrConn).resetTransport:
//     the goroutines of the grpc.ClientConn each of those attempts dials.
//     endpointWriter.initializeInternal stores every new conn in
//     state.conn without closing the previous one, so the conns of the
//     failed attempts are never closed (the last one is, when the writer
//     stops after its last attempt).
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		var opts []goleak.Option
		if deadPeer.Load() {
			opts = append(opts,
				goleak.IgnoreAnyFunction("github.com/asynkron/protoactor-go/remote.(*endpointWriter).initialize"),
				goleak.IgnoreTopFunction("google.golang.org/grpc/internal/grpcsync.(*CallbackSerializer).run"),
				goleak.IgnoreTopFunction("google.golang.org/grpc.(*addrConn).resetTransport"),
			)
		}
		if err := goleak.Find(opts...); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: Errors on successful test run: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}
