package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// demoTimeout bounds the whole demo.
const demoTimeout = 30 * time.Second

// child is one node's process.
type child struct {
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	alive bool
}

// event is a line a child printed, or its exit (line empty, exited set).
type event struct {
	c      *child
	line   string
	exited bool
}

// story is the demo's state: its children, their events, the storage
// service and what happened.
type story struct {
	ctx      context.Context
	start    time.Time
	children []*child
	events   chan event
	store    fencedStore
	leaders  []*child       // every leader, in turn
	writes   map[*child]int // writes accepted, per child
	said     map[string]int // lines, per first word
}

// demo starts three nodes as child processes and plays the story.
func demo(ttl time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), demoTimeout)
	defer cancel()
	peers, err := freeAddrs(3)
	if err != nil {
		return err
	}
	st := &story{ctx: ctx, start: time.Now(), events: make(chan event, 64),
		writes: map[*child]int{}, said: map[string]int{}}
	defer st.killAll()
	fmt.Printf("three nodes on %s, sessions of %v; the storage service refuses writes with a stale fencing token\n",
		strings.Join(peers, ", "), ttl)
	for i := range peers {
		if err := st.spawn(i+1, peers, ttl); err != nil {
			return err
		}
	}
	if err := st.await("every node ready", func() bool { return st.said["ready"] == len(peers) }); err != nil {
		return err
	}
	if err := st.await("a leader", func() bool { return len(st.leaders) > 0 }); err != nil {
		return err
	}
	first := st.leader()
	if err := st.awaitWrites(first, 6); err != nil {
		return err
	}
	firstToken := st.store.highest
	st.note("killing %s, the leader (pid %d)", first.name, first.cmd.Process.Pid)
	killed := time.Now()
	_ = first.cmd.Process.Kill()

	if err := st.await("a new leader", func() bool { return st.leader() != first }); err != nil {
		return err
	}
	second := st.leader()
	st.note("%s took over %v after the kill (session TTL %v)", second.name, time.Since(killed).Round(time.Millisecond), ttl)
	if err := st.awaitWrites(second, 6); err != nil {
		return err
	}
	if st.store.write(firstToken) {
		return fmt.Errorf("the storage service accepted a write with %s's old token %d", first.name, firstToken)
	}
	st.note("a write from %s that the network held back arrives now, with token %d: REFUSED as stale", first.name, firstToken)
	st.note("asking %s to resign", second.name)
	resigned := time.Now()
	if err := st.tell(second, "resign"); err != nil {
		return err
	}
	if err := st.await("a new leader", func() bool { return st.leader() != second }); err != nil {
		return err
	}
	third := st.leader()
	st.note("%s took over %v after the request to resign", third.name, time.Since(resigned).Round(time.Millisecond))
	if err := st.awaitWrites(third, 4); err != nil {
		return err
	}
	if err := st.shutdown(); err != nil {
		return err
	}

	var names []string
	for _, c := range st.leaders {
		names = append(names, c.name)
	}
	fmt.Printf("\nleaders in turn: %s\n", strings.Join(names, ", "))
	fmt.Printf("writes accepted: %d, refused as stale: %d\n", st.store.accepted, st.store.refused)
	fmt.Printf("done in %v\n", time.Since(st.start).Round(100*time.Millisecond))
	return nil
}

// freeAddrs returns n loopback addresses with ports free a moment ago.
func freeAddrs(n int) ([]string, error) {
	var addrs []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		addrs = append(addrs, l.Addr().String())
		if err := l.Close(); err != nil {
			return nil, err
		}
	}
	return addrs, nil
}

// spawn starts node id as a copy of this program.
func (st *story) spawn(id int, peers []string, ttl time.Duration) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, "-id", strconv.Itoa(id), "-peers", strings.Join(peers, ","), "-ttl", ttl.String())
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	c := &child{name: fmt.Sprintf("node%d", id), cmd: cmd, stdin: stdin, alive: true}
	st.children = append(st.children, c)
	go func() {
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			st.events <- event{c: c, line: lines.Text()}
		}
		_ = cmd.Wait()
		st.events <- event{c: c, exited: true}
	}()
	return nil
}

// await handles events until done reports true; what names what it
// waits for, in the error when the demo runs out of time.
func (st *story) await(what string, done func() bool) error {
	for !done() {
		select {
		case ev := <-st.events:
			st.handle(ev)
		case <-st.ctx.Done():
			return fmt.Errorf("no %s within %v", what, demoTimeout)
		}
	}
	return nil
}

// awaitWrites handles events until c has had n more writes accepted.
func (st *story) awaitWrites(c *child, n int) error {
	want := st.writes[c] + n
	return st.await(fmt.Sprintf("%d writes from %s", n, c.name), func() bool { return st.writes[c] >= want })
}

// leader returns the latest leader, nil before the first.
func (st *story) leader() *child {
	if len(st.leaders) == 0 {
		return nil
	}
	return st.leaders[len(st.leaders)-1]
}

// handle prints an event, records it, and applies a write to the storage
// service.
func (st *story) handle(ev event) {
	if ev.exited {
		ev.c.alive = false
		st.said["exit"]++
		st.print(ev.c, "exited")
		return
	}
	word, _, _ := strings.Cut(ev.line, " ")
	st.said[word]++
	switch word {
	case "write":
		var token uint64
		var n int
		if _, err := fmt.Sscanf(ev.line, "write token=%d n=%d", &token, &n); err != nil {
			break
		}
		if st.store.write(token) {
			st.writes[ev.c]++
			st.print(ev.c, fmt.Sprintf("write %d with token %d: accepted", n, token))
		} else {
			st.print(ev.c, fmt.Sprintf("write %d with token %d: REFUSED, a newer leader has written", n, token))
		}
		return
	case "leader":
		st.leaders = append(st.leaders, ev.c)
	}
	st.print(ev.c, ev.line)
}

func (st *story) print(c *child, line string) {
	fmt.Printf("%6.2fs  %s  %s\n", time.Since(st.start).Seconds(), c.name, line)
}

// note prints a line of the demo's own.
func (st *story) note(format string, args ...any) {
	fmt.Printf("%6.2fs  demo   %s\n", time.Since(st.start).Seconds(), fmt.Sprintf(format, args...))
}

// tell writes a command to a child's standard input.
func (st *story) tell(c *child, cmd string) error {
	_, err := io.WriteString(c.stdin, cmd+"\n")
	return err
}

// shutdown asks the live nodes to resign and close their sessions while
// they all still serve as masters, then to stop, and waits until they
// exit.
func (st *story) shutdown() error {
	var live []*child
	for _, c := range st.children {
		if c.alive {
			live = append(live, c)
		}
	}
	st.note("asking %d nodes to quit", len(live))
	for _, c := range live {
		if err := st.tell(c, "quit"); err != nil {
			return err
		}
	}
	closed := st.said["closed"] + len(live)
	if err := st.await("closed sessions", func() bool { return st.said["closed"] >= closed }); err != nil {
		return err
	}
	for _, c := range live {
		if err := c.stdin.Close(); err != nil {
			return err
		}
	}
	return st.await("exits", func() bool {
		for _, c := range live {
			if c.alive {
				return false
			}
		}
		return true
	})
}

// killAll kills the children still running, when the demo ends early.
func (st *story) killAll() {
	for _, c := range st.children {
		if c.alive {
			if err := c.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
				fmt.Fprintf(os.Stderr, "killing %s: %v\n", c.name, err)
			}
		}
	}
}
