package registry_test

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/protolocker/locker"
	"github.com/protolocker/locker/registry"
)

// An actor takes its name when it starts, is found by name, and gives
// the name back when it stops.
func Example() {
	sys := actor.NewActorSystem(
		actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return slog.New(slog.DiscardHandler) }),
		actor.WithDeadLetterThrottleInterval(10*time.Millisecond),
	)
	defer sys.Shutdown()
	node, err := locker.Start(sys, locker.Config{}) // a single-node store
	if err != nil {
		fmt.Println(err)
		return
	}
	defer node.Stop()
	reg := registry.New(node, registry.WithLease(time.Second))
	defer reg.Close()

	got := make(chan string, 1)
	props := actor.PropsFromFunc(func(ctx actor.Context) {
		if msg, ok := ctx.Message().(string); ok {
			got <- msg
		}
	}, actor.WithReceiverMiddleware(reg.Middleware()))
	pid, err := reg.SpawnNamed(sys.Root, props, "ping")
	if err != nil {
		fmt.Println(err)
		return
	}
	where, ok := reg.WhereIs("ping")
	fmt.Println("ping registered:", ok, where.Id)

	_, err = reg.SpawnNamed(sys.Root, props, "ping")
	fmt.Println("second ping:", err)

	if err := reg.Send(sys.Root, "ping", "hello"); err != nil {
		fmt.Println(err)
	}
	fmt.Println("ping got:", <-got)

	_ = sys.Root.StopFuture(pid).Wait()
	// The release runs in the background: wait for it (ErrNotFound when
	// it is already done).
	_ = node.WaitForRelease(context.Background(), registry.DefaultKeyPrefix+"ping")
	_, ok = reg.WhereIs("ping")
	fmt.Println("ping registered after stop:", ok)
	// Output:
	// ping registered: true ping
	// second ping: registry: name taken: "ping" is already registered here
	// ping got: hello
	// ping registered after stop: false
}
