package concurrency_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/protolocker/locker"
	"github.com/protolocker/locker/concurrency"
)

// quiet is an actor system whose logs are discarded.
func quiet() *actor.ActorSystem {
	return actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
}

// Two sessions on a one-node store take turns on a mutex; the holder
// selects on its session's Done while it works.
func Example_mutex() {
	system := quiet()
	defer system.Shutdown()
	node, err := locker.Start(system, locker.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer node.Stop()
	ctx := context.Background()
	s1, _ := node.NewSession(ctx, 5*time.Second)
	s2, _ := node.NewSession(ctx, 5*time.Second)
	defer s1.Close(ctx)
	defer s2.Close(ctx)

	m1 := concurrency.NewMutex(s1, "jobs/lock")
	m2 := concurrency.NewMutex(s2, "jobs/lock")
	if err := m1.Lock(ctx); err != nil {
		fmt.Println(err)
		return
	}
	first := m1.Token()
	fmt.Println("m1 holds it:", first > 0)
	fmt.Println("m2 tries:", errors.Is(m2.TryLock(ctx), locker.ErrLocked))

	select {
	case <-s1.Done():
		fmt.Println("lost the lock:", s1.Err())
		return
	case <-time.After(10 * time.Millisecond): // the work the lock protects
	}
	fmt.Println("m1 unlocks:", m1.Unlock(ctx))
	fmt.Println("m2 locks:", m2.Lock(ctx))
	fmt.Println("m2's token is above m1's:", m2.Token() > first)
	fmt.Println("m2 unlocks:", m2.Unlock(ctx))
	// Output:
	// m1 holds it: true
	// m2 tries: true
	// m1 unlocks: <nil>
	// m2 locks: <nil>
	// m2's token is above m1's: true
	// m2 unlocks: <nil>
}

// Two campaigners on a one-node store: the second leads once the first
// resigns, and an observer sees both in turn.
func Example_election() {
	system := quiet()
	defer system.Shutdown()
	node, err := locker.Start(system, locker.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer node.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	alice, _ := node.NewSession(ctx, 5*time.Second)
	bob, _ := node.NewSession(ctx, 5*time.Second)
	defer alice.Close(ctx)
	defer bob.Close(ctx)

	ea := concurrency.NewElection(alice, "leader")
	eb := concurrency.NewElection(bob, "leader")
	leaders := ea.Observe(ctx)

	if err := ea.Campaign(ctx, []byte("alice")); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("observed:", string((<-leaders).Value))

	won := make(chan error)
	go func() { won <- eb.Campaign(ctx, []byte("bob")) }()
	fmt.Println("alice resigns:", ea.Resign(ctx))
	fmt.Println("bob campaigned:", <-won)
	fmt.Println("observed:", string((<-leaders).Value))

	l, _ := ea.Leader(ctx)
	fmt.Println("leader:", string(l.Value), "token:", l.Token == eb.Token())
	fmt.Println("bob proclaims:", eb.Proclaim(ctx, []byte("bob, again")))
	fmt.Println("observed:", string((<-leaders).Value))
	fmt.Println("bob resigns:", eb.Resign(ctx))
	_, err = ea.Leader(ctx)
	fmt.Println("leader now:", err)
	// Output:
	// observed: alice
	// alice resigns: <nil>
	// bob campaigned: <nil>
	// observed: bob
	// leader: bob token: true
	// bob proclaims: <nil>
	// observed: bob, again
	// bob resigns: <nil>
	// leader now: concurrency: no leader: locker: not found
}
