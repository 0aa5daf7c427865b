package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/protolocker/locker"
	"github.com/protolocker/locker/registry"
)

// single runs one node of a three-process game: a player named name
// ("ping" or "pong"), or a master only when name is empty.
func single(addr string, masters []string, name string, rounds int, bootstrap bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return fmt.Errorf("port of %q: %w", addr, err)
	}
	partner, last := "pong", int64(2*rounds)
	switch name {
	case "", "ping":
	case "pong":
		partner, last = "ping", 0
	default:
		return fmt.Errorf("-name %q: want ping or pong", name)
	}

	m := listen("node", host, p)
	if err := m.join(masters, bootstrap); err != nil {
		return err
	}
	defer m.close()
	fmt.Printf("node %s, masters %v\n", m.sys.Address(), masters)
	if name == "" {
		fmt.Println("master only; Ctrl-C to stop")
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, os.Interrupt)
		<-stop
		return nil
	}

	// ping registers, then serves once it sees pong; pong registers once
	// it sees ping, so that each finds the other when the ball comes.
	if name == "pong" {
		fmt.Println("waiting for ping...")
		if err := m.waitFor("ping", "", time.Minute); err != nil {
			return err
		}
	}
	seen := make(chan int64, 64)
	for start := time.Now(); ; time.Sleep(500 * time.Millisecond) {
		_, err := m.reg.SpawnNamed(m.sys.Root, playerProps(m.reg, partner, last, seen), name)
		if err == nil {
			break
		}
		// A taken name also matches ErrNoQuorum (the masters refused the
		// write): only a plain lack of quorum is worth waiting out.
		if errors.Is(err, registry.ErrNameTaken) {
			return fmt.Errorf("%s runs elsewhere: %w", name, err)
		}
		if !errors.Is(err, locker.ErrNoQuorum) || time.Since(start) > time.Minute {
			return err
		}
		fmt.Println("waiting for a quorum of masters...")
	}
	fmt.Printf("%s registered\n", name)
	if name == "ping" {
		fmt.Println("waiting for pong...")
		if err := m.waitFor("pong", "", time.Minute); err != nil {
			return err
		}
		if err := m.reg.Send(m.sys.Root, "pong", wrapperspb.Int64(1)); err != nil {
			return err
		}
	}

	// ping ends on ball last, pong after returning ball last-1.
	want := int64(2 * rounds)
	if name == "pong" {
		want--
	}
	for timeout := time.After(time.Minute); ; {
		select {
		case n := <-seen:
			if n >= want {
				time.Sleep(200 * time.Millisecond) // let the last ball travel
				return nil
			}
		case <-timeout:
			return fmt.Errorf("no ball %d within a minute", want)
		}
	}
}
