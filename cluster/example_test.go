//go:build !race

package lockercluster_test

import (
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/cluster/clusterproviders/test"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/protobuf/types/known/wrapperspb"

	lockercluster "github.com/protolocker/locker/cluster"
)

// A one-member cluster on loopback: the lookup activates the grain once,
// and the grain reads its activation's fencing token.
func Example() {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	self := fmt.Sprintf("127.0.0.1:%d", port)

	lookup := lockercluster.NewIdentityLookup(
		lockercluster.WithSeeds(self), // the store's first masters
		lockercluster.WithBootstrap(), // a new cluster
	)
	counter := cluster.NewKind("counter", actor.PropsFromProducer(func() actor.Actor {
		n := 0
		return actor.ReceiveFunc(func(ctx actor.Context) {
			if _, ok := ctx.Message().(*wrapperspb.StringValue); ok {
				n++
				token, ok := lockercluster.Token(ctx)
				ctx.Respond(wrapperspb.String(fmt.Sprintf("count %d, token found %v, positive %v", n, ok, token > 0)))
			}
		})
	}))
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}))
	c := cluster.New(sys, cluster.Configure("example", test.NewTestProvider(test.NewInMemAgent()), lookup,
		remote.Configure("127.0.0.1", port), cluster.WithKinds(counter)))
	c.StartMember()
	defer c.Shutdown(true)

	for range 2 {
		res, err := c.Request("c", "counter", wrapperspb.String("inc"))
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(res.(*wrapperspb.StringValue).GetValue())
	}
	fmt.Println("hosted here:", lookup.Hosted())
	// Output:
	// count 1, token found true, positive true
	// count 2, token found true, positive true
	// hosted here: 1
}
