package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"

	"github.com/protolocker/locker"
	"github.com/protolocker/locker/concurrency"
)

// electionName is the key the nodes campaign for.
const electionName = "demo/leader"

// writeEvery is how often the leader writes to the storage service.
const writeEvery = 250 * time.Millisecond

// linger is how long a node keeps serving as a master after closing its
// session, so that the others can still reach a quorum to close theirs.
const linger = 500 * time.Millisecond

// say prints one line of the node's story: the demo reads them.
func say(format string, args ...any) { fmt.Printf(format+"\n", args...) }

// runNode runs node id of peers: a master of the store that campaigns
// once, leads until it resigns or loses its session, and follows the
// election throughout.
func runNode(id int, peers []string, ttl time.Duration) error {
	if id < 1 || id > len(peers) {
		return fmt.Errorf("-id %d: want 1 to %d", id, len(peers))
	}
	host, p, err := net.SplitHostPort(peers[id-1])
	if err != nil {
		return err
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return fmt.Errorf("port of %q: %w", peers[id-1], err)
	}
	name := fmt.Sprintf("node%d", id)

	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
	r := remote.NewRemote(sys, remote.Configure(host, port))
	r.Start()
	defer sys.Shutdown()
	defer r.Shutdown(false)
	node, err := locker.Start(sys, locker.Config{Masters: peers, Bootstrap: true, RequestTimeout: time.Second})
	if err != nil {
		return err
	}
	defer node.Stop()

	s, err := openSession(node, ttl)
	if err != nil {
		return err
	}
	say("ready at %s, session TTL %v", sys.Address(), ttl)
	cmds := readCommands()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := concurrency.NewElection(s, electionName)
	observed := observe(ctx, e)

	campaign(e, s, name, cmds)
	<-cmds.quit
	closeCtx, closeCancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer closeCancel()
	if err := e.Resign(closeCtx); err != nil {
		say("resign failed: %v", err)
	}
	if err := s.Close(closeCtx); err != nil {
		say("closing the session failed: %v", err)
	}
	say("closed")
	<-cmds.eof
	time.Sleep(linger)
	cancel()
	<-observed
	say("bye")
	return nil
}

// openSession opens a session once a quorum of masters answers: the
// other nodes may still be starting.
func openSession(node *locker.Node, ttl time.Duration) (*locker.Session, error) {
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		s, err := node.NewSession(ctx, ttl)
		cancel()
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, locker.ErrNoQuorum) || time.Now().After(deadline) {
			return nil, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// campaign campaigns until the node leads, then leads: it writes with its
// fencing token until it resigns, loses its session or is told to quit.
func campaign(e *concurrency.Election, s *locker.Session, name string, cmds *commands) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-cmds.quit:
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := e.Campaign(ctx, []byte(name)); err != nil {
		if ctx.Err() == nil {
			say("campaign failed: %v", err)
		}
		return
	}
	say("leader token=%d", e.Token())
	t := time.NewTicker(writeEvery)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-t.C:
			say("write token=%d n=%d", e.Token(), n)
		case <-s.Done():
			say("session lost: %v", s.Err())
			return
		case <-cmds.resign:
			if err := e.Resign(ctx); err != nil {
				say("resign failed: %v", err)
				return
			}
			say("resigned")
			return
		case <-cmds.quit:
			return
		}
	}
}

// observe prints every change of leader until ctx ends; the channel it
// returns closes then.
func observe(ctx context.Context, e *concurrency.Election) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for l := range e.Observe(ctx) {
			say("observed leader=%s token=%d", l.Value, l.Token)
		}
	}()
	return done
}

// commands are what the node is told on its standard input.
type commands struct {
	resign chan struct{} // one per "resign" line
	quit   chan struct{} // closed on "quit", at the end of the input, or on Ctrl-C
	eof    chan struct{} // closed at the end of the input, or on Ctrl-C
}

func readCommands() *commands {
	c := &commands{resign: make(chan struct{}, 1), quit: make(chan struct{}), eof: make(chan struct{})}
	var quitOnce, eofOnce sync.Once
	quit := func() { quitOnce.Do(func() { close(c.quit) }) }
	eof := func() { quit(); eofOnce.Do(func() { close(c.eof) }) }
	go func() {
		in := bufio.NewScanner(os.Stdin)
		for in.Scan() {
			switch in.Text() {
			case "resign":
				select {
				case c.resign <- struct{}{}:
				default:
				}
			case "quit":
				quit()
			}
		}
		eof()
	}()
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt)
		<-sig
		eof()
	}()
	return c
}
