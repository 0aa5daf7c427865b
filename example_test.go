package locker_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/protolocker/locker"
)

// A single node with the zero Config is a complete store: lock a key,
// read it locally, see a second locker refused, release it.
func Example() {
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
	defer system.Shutdown()
	node, err := locker.Start(system, locker.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer node.Stop()
	ctx := context.Background()

	res, err := node.Lock(ctx, "leader", []byte("me"), time.Minute)
	fmt.Println("lock:", err, "token issued:", res.Token > 0)
	v, _ := node.DirtyRead("leader")
	fmt.Println("held by:", string(v))

	_, err = node.Lock(ctx, "leader", []byte("you"), time.Minute)
	fmt.Println("second lock refused:", errors.Is(err, locker.ErrLocked), errors.Is(err, locker.ErrNoQuorum))

	_, err = node.Release(ctx, "leader", []byte("me"))
	fmt.Println("release:", err)
	_, err = node.DirtyRead("leader")
	fmt.Println("after release:", err)
	// Output:
	// lock: <nil> token issued: true
	// held by: me
	// second lock refused: true true
	// release: <nil>
	// after release: locker: not found
}

// Many keys on one session: they live while it is renewed (one round per
// TTL/3, however many keys), and end together when it is closed.
func ExampleNode_NewSession() {
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
	defer system.Shutdown()
	node, err := locker.Start(system, locker.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer node.Stop()
	ctx := context.Background()

	s, err := node.NewSession(ctx, 3*time.Second)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range []string{"worker/1", "worker/2", "worker/3"} {
		if _, err := s.Lock(ctx, name, []byte("node-a")); err != nil {
			fmt.Println(err)
		}
	}
	v, _ := node.DirtyRead("worker/2")
	fmt.Println("worker/2 held by:", string(v))
	_, err = node.Lock(ctx, "worker/2", []byte("node-b"), time.Minute)
	fmt.Println("taken elsewhere:", errors.Is(err, locker.ErrLocked))

	fmt.Println("close:", s.Close(ctx), "done:", errors.Is(s.Err(), locker.ErrSessionClosed))
	_, err = node.DirtyRead("worker/2")
	fmt.Println("after close:", err)
	// Output:
	// worker/2 held by: node-a
	// taken elsewhere: true
	// close: <nil> done: true
	// after close: locker: not found
}
