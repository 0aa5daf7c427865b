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
const demoTimeout = 60 * time.Second

// child is one member's process.
type child struct {
	name  string
	addr  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
}

// answer is one "count" line: the grain's host, token and value.
type answer struct {
	host  string
	token uint64
	value int
}

// demo starts three members as child processes and plays the story.
func demo(lease time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), demoTimeout)
	defer cancel()
	start := time.Now()
	peers, err := freeAddrs(3)
	if err != nil {
		return err
	}
	fmt.Printf("three members on %s, activation lease %v\n", strings.Join(peers, ", "), lease)
	var children []*child
	defer func() {
		for _, c := range children {
			_ = c.cmd.Process.Kill()
			_ = c.cmd.Wait()
		}
	}()
	for i := range peers {
		c, err := spawn(i+1, peers, lease)
		if err != nil {
			return err
		}
		children = append(children, c)
	}
	for _, c := range children {
		if _, err := c.expect(ctx, "ready"); err != nil {
			return err
		}
	}
	fmt.Println("every member is ready")

	driver := children[0]
	var first answer
	for range 3 {
		if first, err = driver.inc(ctx, "c"); err != nil {
			return err
		}
		fmt.Printf("%s: inc c -> %d, hosted on %s, token %d\n", driver.name, first.value, first.host, first.token)
	}
	var host *child
	for _, c := range children {
		if c.addr == first.host {
			host = c
		}
	}
	if host == nil {
		return fmt.Errorf("no member at %s", first.host)
	}
	if host == driver {
		driver = children[1]
	}
	fmt.Printf("killing %s, the grain's host (pid %d)\n", host.name, host.cmd.Process.Pid)
	killed := time.Now()
	_ = host.cmd.Process.Kill()
	_ = host.cmd.Wait()

	var again answer
	for {
		if ctx.Err() != nil {
			return errors.New("the grain did not come back")
		}
		a, err := driver.inc(ctx, "c")
		if err == nil && a.host != first.host {
			again = a
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	fmt.Printf("%s: inc c -> %d, now hosted on %s, token %d (was %d), %v after the kill\n",
		driver.name, again.value, again.host, again.token, first.token, time.Since(killed).Round(10*time.Millisecond))
	if again.token <= first.token {
		return fmt.Errorf("the token did not increase: %d then %d", first.token, again.token)
	}
	for _, c := range children {
		if c != host {
			if _, err := io.WriteString(c.stdin, "quit\n"); err != nil {
				return err
			}
		}
	}
	for _, c := range children {
		if c != host {
			if _, err := c.expect(ctx, "bye"); err != nil {
				return err
			}
		}
	}
	fmt.Printf("the grain came back elsewhere with a greater token; done in %v\n", time.Since(start).Round(100*time.Millisecond))
	return nil
}

// spawn starts member id as a copy of this program.
func spawn(id int, peers []string, lease time.Duration) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "-id", strconv.Itoa(id), "-peers", strings.Join(peers, ","), "-lease", lease.String())
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{name: fmt.Sprintf("member %d", id), addr: peers[id-1], cmd: cmd, stdin: stdin, lines: make(chan string, 16)}
	go func() {
		defer close(c.lines)
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			c.lines <- s.Text()
		}
	}()
	return c, nil
}

// expect waits for the child's next line starting with word.
func (c *child) expect(ctx context.Context, word string) (string, error) {
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				return "", fmt.Errorf("%s exited", c.name)
			}
			if strings.HasPrefix(l, word) {
				return l, nil
			}
			if strings.HasPrefix(l, "error") {
				return l, fmt.Errorf("%s: %s", c.name, l)
			}
		case <-ctx.Done():
			return "", fmt.Errorf("waiting for %q from %s: %w", word, c.name, ctx.Err())
		}
	}
}

// inc asks the child to increment grain name and reads its answer.
func (c *child) inc(ctx context.Context, name string) (answer, error) {
	if _, err := io.WriteString(c.stdin, "inc "+name+"\n"); err != nil {
		return answer{}, err
	}
	l, err := c.expect(ctx, "count")
	if err != nil {
		return answer{}, err
	}
	var a answer
	var got string
	if _, err := fmt.Sscanf(l, "count %s %s %d %d", &got, &a.host, &a.token, &a.value); err != nil {
		return answer{}, fmt.Errorf("%s: %q: %w", c.name, l, err)
	}
	return a, nil
}

// freeAddrs returns n loopback addresses with ports free a moment ago.
func freeAddrs(n int) ([]string, error) {
	addrs := make([]string, n)
	for i := range addrs {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		addrs[i] = l.Addr().String()
		defer l.Close()
	}
	return addrs, nil
}
