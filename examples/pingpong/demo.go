package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/protolocker/locker"
	"github.com/protolocker/locker/registry"
)

// demo runs three nodes in this process and plays the scripted story.
func demo(rounds int) error {
	nodes := []*member{listen("node1", "127.0.0.1", 0), listen("node2", "127.0.0.1", 0), listen("node3", "127.0.0.1", 0)}
	masters := []string{nodes[0].sys.Address(), nodes[1].sys.Address(), nodes[2].sys.Address()}
	for _, m := range nodes {
		if err := m.join(masters, true); err != nil {
			return err
		}
	}
	n1, n2, n3 := nodes[0], nodes[1], nodes[2]
	defer func() {
		n2.close()
		n3.close()
	}()
	fmt.Printf("three masters: %s, %s, %s; each registry's session lives %v past its last renewal\n", n1, n2, n3, lease)

	// pong gets the odd balls, ping the even ones, and ends the rally.
	last := int64(2 * rounds)
	seen := make(chan int64, 64)
	if err := spawn(n1, "ping", playerProps(n1.reg, "pong", last, seen), nodes); err != nil {
		return err
	}
	if err := spawn(n2, "pong", playerProps(n2.reg, "ping", 0, nil), nodes); err != nil {
		return err
	}
	_, err := n3.sys.Root.SpawnNamed(playerProps(n3.reg, "pong", 0, nil), "ping")
	fmt.Printf("a second ping, spawned on node3: %v\n", err)
	if !errors.Is(err, registry.ErrNameTaken) {
		return fmt.Errorf("a second ping: %v, want %w", err, registry.ErrNameTaken)
	}

	fmt.Printf("\nrally 1, served to pong by name from node3:\n")
	if err := serve(n3, seen, 1, last); err != nil {
		return err
	}

	fmt.Println("\nnode1 crashes: no release, its lease-holder, remote and actor system stop")
	crashed := time.Now()
	n1.crash()
	if pid, ok := n2.reg.WhereIs("ping"); ok {
		fmt.Printf("node2 still finds ping at %s until node1's session expires\n", pid.Address)
	}

	fmt.Println("starting ping on node3, retrying every 100ms while the name is taken")
	last += int64(2 * rounds)
	for tries := 1; ; tries++ {
		_, err := n3.reg.SpawnNamed(n3.sys.Root, playerProps(n3.reg, "pong", last, seen), "ping")
		if err == nil {
			fmt.Printf("ping registered on node3 (%s) at try %d, %v after the crash\n",
				n3.sys.Address(), tries, time.Since(crashed).Round(100*time.Millisecond))
			break
		}
		// Around the expiry the two live masters may disagree for a moment:
		// no quorum either way until the round times out.
		if !errors.Is(err, registry.ErrNameTaken) && !errors.Is(err, locker.ErrNoQuorum) || time.Since(crashed) > 3*lease {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, m := range []*member{n2, n3} { // the masters that committed it may lag a little
		if err := m.waitFor("ping", n3.sys.Address(), time.Second); err != nil {
			return err
		}
	}

	fmt.Printf("\nrally 2, served to pong by name from node2: pong now reaches ping on node3\n")
	if err := serve(n2, seen, last-int64(2*rounds)+1, last); err != nil {
		return err
	}
	fmt.Println("\ndone: node2 and node3 release their names and stop")
	return nil
}

// spawn starts a player named name on m, and waits until every node of
// all sees it (a master that was not needed for the quorum may lag).
func spawn(m *member, name string, props *actor.Props, all []*member) error {
	if _, err := m.reg.SpawnNamed(m.sys.Root, props, name); err != nil {
		return err
	}
	for _, o := range all {
		if err := o.waitFor(name, m.sys.Address(), time.Second); err != nil {
			return err
		}
	}
	fmt.Printf("%s registered on %s\n", name, m)
	return nil
}

// serve sends ball first to pong by name from m, and waits until ping got
// ball last.
func serve(m *member, seen <-chan int64, first, last int64) error {
	if err := m.reg.Send(m.sys.Root, "pong", wrapperspb.Int64(first)); err != nil {
		return err
	}
	timeout := time.After(5 * time.Second)
	for {
		select {
		case n := <-seen:
			if n >= last {
				return nil
			}
		case <-timeout:
			return fmt.Errorf("ball %d did not arrive", last)
		}
	}
}
