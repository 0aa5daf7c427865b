// Package proc runs the harness's child processes. The harness
// re-executes its own binary with a hidden flag (Flag) that names the
// child's role; parent and child then talk in lines over the child's
// stdin and stdout. A child ends when its stdin closes, so none outlives
// the harness.
package proc

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Flag is the hidden command-line flag that makes the binary a child.
const Flag = "bench-child"

// Child is a running child process, seen from the parent.
type Child struct {
	Role  string
	cmd   *exec.Cmd
	in    io.WriteCloser
	lines chan string
	done  chan struct{}
}

// Start re-executes this binary as a child with role and extra arguments.
// The child's stderr goes to the parent's.
func Start(role string, args ...string) (*Child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, append([]string{"-" + Flag + "=" + role}, args...)...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &Child{Role: role, cmd: cmd, in: in, lines: make(chan string, 16), done: make(chan struct{})}
	go func() {
		defer close(c.lines)
		s := bufio.NewScanner(out)
		for s.Scan() {
			c.lines <- s.Text()
		}
	}()
	go func() { _ = cmd.Wait(); close(c.done) }()
	return c, nil
}

// PID returns the child's process id.
func (c *Child) PID() int { return c.cmd.Process.Pid }

// Send writes one line to the child's stdin.
func (c *Child) Send(line string) error {
	_, err := io.WriteString(c.in, line+"\n")
	return err
}

// Expect reads the child's lines until one starts with word and returns
// the rest of it; other lines are skipped. It fails after timeout or when
// the child's stdout closes.
func (c *Child) Expect(word string, timeout time.Duration) (string, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				return "", fmt.Errorf("%s child %d exited before saying %s", c.Role, c.PID(), word)
			}
			if rest, found := strings.CutPrefix(l, word); found {
				return strings.TrimSpace(rest), nil
			}
		case <-t.C:
			return "", fmt.Errorf("%s child %d did not say %s within %v", c.Role, c.PID(), word, timeout)
		}
	}
}

// Close closes the child's stdin, which asks it to exit, and waits up to
// grace for it before killing it.
func (c *Child) Close(grace time.Duration) error {
	_ = c.in.Close()
	select {
	case <-c.done:
		return nil
	case <-time.After(grace):
		_ = c.cmd.Process.Kill()
		<-c.done
		return fmt.Errorf("%s child %d did not exit within %v: killed", c.Role, c.PID(), grace)
	}
}

// PIDs returns the process ids of cs.
func PIDs(cs []*Child) []int {
	ids := make([]int, len(cs))
	for i, c := range cs {
		ids[i] = c.PID()
	}
	return ids
}

// CloseAll closes every child concurrently.
func CloseAll(cs []*Child, grace time.Duration) error {
	errs := make(chan error, len(cs))
	for _, c := range cs {
		go func() { errs <- c.Close(grace) }()
	}
	var all []error
	for range cs {
		all = append(all, <-errs)
	}
	return errors.Join(all...)
}

// Parent is the child's side of the conversation.
type Parent struct {
	in *bufio.Scanner
}

// Serve returns the child's side: lines from stdin, lines to stdout.
func Serve() *Parent { return &Parent{in: bufio.NewScanner(os.Stdin)} }

// Say writes one line to the parent.
func (p *Parent) Say(format string, args ...any) {
	fmt.Fprintf(os.Stdout, format+"\n", args...)
}

// Next returns the parent's next line; ok is false once stdin closed.
func (p *Parent) Next() (line string, ok bool) {
	if !p.in.Scan() {
		return "", false
	}
	return p.in.Text(), true
}
