package main

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/protobuf/types/known/wrapperspb"

	lockercluster "github.com/protolocker/locker/cluster"
)

// counterKind is the grain kind of the example.
const counterKind = "counter"

// counter is the grain: it counts its increments (in memory: a new
// activation starts from zero) and answers with its host and its
// activation's fencing token.
type counter struct{ n int }

// Receive implements actor.Actor.
func (g *counter) Receive(ctx actor.Context) {
	if _, ok := ctx.Message().(*wrapperspb.StringValue); ok {
		g.n++
		tok, _ := lockercluster.Token(ctx)
		ctx.Respond(wrapperspb.String(fmt.Sprintf("%s %d %d", ctx.Self().Address, tok, g.n)))
	}
}

// runMember runs member id of peers until "quit" or the end of its input.
func runMember(id int, peers []string, lease time.Duration, bootstrap bool) error {
	if id < 1 || id > len(peers) {
		return fmt.Errorf("-id %d is not a position in -peers (%d addresses)", id, len(peers))
	}
	host, p, err := net.SplitHostPort(peers[id-1])
	if err != nil {
		return fmt.Errorf("peer %d: %w", id, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return fmt.Errorf("peer %d: %w", id, err)
	}
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}))
	opts := []lockercluster.Option{lockercluster.WithSeeds(peers...), lockercluster.WithLease(lease)}
	if bootstrap {
		opts = append(opts, lockercluster.WithBootstrap())
	}
	lookup := lockercluster.NewIdentityLookup(opts...)
	kind := cluster.NewKind(counterKind, actor.PropsFromProducer(func() actor.Actor { return &counter{} }))
	cfg := cluster.Configure("grains", newStaticProvider(peers, counterKind), lookup,
		remote.Configure(host, port), cluster.WithKinds(kind))
	c := cluster.New(sys, cfg)
	c.StartMember()
	if err := lookup.Err(); err != nil {
		c.Shutdown(false)
		return err
	}
	fmt.Println("ready", sys.Address())

	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		f := strings.Fields(in.Text())
		switch {
		case len(f) == 2 && f[0] == "inc":
			res, err := c.Request(f[1], counterKind, wrapperspb.String("inc"), cluster.WithTimeout(lease+time.Second))
			if s, ok := res.(*wrapperspb.StringValue); err == nil && ok {
				fmt.Println("count", f[1], s.GetValue())
			} else {
				fmt.Println("error", f[1], err)
			}
		case len(f) == 1 && f[0] == "quit":
			c.Shutdown(true)
			fmt.Println("bye")
			return nil
		default:
			fmt.Println("error unknown command:", in.Text())
		}
	}
	c.Shutdown(true)
	return nil
}
