package actor

import (
	"fmt"

	protoactor "github.com/asynkron/protoactor-go/actor"
)

// Spawn starts the holder on system and makes it reachable under Name.
//
// protoactor registers a named actor before its mailbox is ready, so a
// message that another node sends to the well-known name during the spawn
// races with it. The holder is therefore spawned under a fresh id that no
// one knows yet, and Name is then registered, in one atomic step, as an
// alias process that forwards to it. The returned PID is the holder's own;
// Unregister removes the alias.
func (h *Holder) Spawn(system *protoactor.ActorSystem) (*protoactor.PID, error) {
	pid := system.Root.SpawnPrefix(h.Props(), Name+"-")
	proc, ok := system.ProcessRegistry.GetLocal(pid.Id)
	if !ok {
		return nil, fmt.Errorf("lease-holder %s did not start", pid.Id)
	}
	if _, ok := system.ProcessRegistry.Add(&alias{pid: pid, proc: proc}, Name); !ok {
		_ = system.Root.StopFuture(pid).Wait()
		return nil, fmt.Errorf("process id %q is taken", Name)
	}
	return pid, nil
}

// Unregister removes the alias that Spawn registered under Name.
func Unregister(system *protoactor.ActorSystem) {
	system.ProcessRegistry.Remove(system.NewLocalPID(Name))
}

// alias forwards everything sent to Name to the holder's process.
type alias struct {
	pid  *protoactor.PID
	proc protoactor.Process
}

func (a *alias) SendUserMessage(_ *protoactor.PID, m any)   { a.proc.SendUserMessage(a.pid, m) }
func (a *alias) SendSystemMessage(_ *protoactor.PID, m any) { a.proc.SendSystemMessage(a.pid, m) }
func (a *alias) Stop(*protoactor.PID)                       { a.proc.Stop(a.pid) }
