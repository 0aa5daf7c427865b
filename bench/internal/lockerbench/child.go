package lockerbench

import (
	"fmt"
	"strings"

	"github.com/protolocker/locker"
	"github.com/protolocker/locker/bench/internal/proc"
)

// Role is the child role of a locker master process.
const Role = "locker-master"

// ChildMain runs one master in a child process. It says "ADDR host:port"
// once its remote listens, reads "MASTERS a,b,c", starts its node, says
// "READY", and runs until its stdin closes, serving as a caller on
// request (serveCaller).
func ChildMain() error {
	p := proc.Serve()
	m := newMember()
	defer m.stop()
	p.Say("ADDR %s", m.addr())
	line, ok := p.Next()
	masters, found := strings.CutPrefix(line, "MASTERS ")
	if !ok || !found {
		return fmt.Errorf("expected MASTERS, got %q", line)
	}
	n, err := locker.Start(m.sys, locker.Config{Masters: strings.Split(masters, ","), Bootstrap: true})
	if err != nil {
		return err
	}
	defer n.Stop()
	p.Say("READY")
	serveCaller(p, n) // until stdin closes
	return nil
}
