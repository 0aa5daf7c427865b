package registry

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/protolocker/locker"
)

// MaxNameLen bounds the length of a name, in bytes.
const MaxNameLen = 255

// checkName validates a name.
func checkName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty registry name", locker.ErrInvalid)
	case len(name) > MaxNameLen:
		return fmt.Errorf("%w: registry name of %d bytes exceeds %d", locker.ErrInvalid, len(name), MaxNameLen)
	}
	return nil
}

// encode returns the stored value of pid: its address, a zero byte and its
// id. Both round-trip exactly.
func encode(pid *actor.PID) ([]byte, error) {
	switch {
	case pid == nil:
		return nil, fmt.Errorf("%w: nil PID", locker.ErrInvalid)
	case pid.Id == "":
		return nil, fmt.Errorf("%w: PID with an empty id", locker.ErrInvalid)
	case strings.IndexByte(pid.Address, 0) >= 0:
		return nil, fmt.Errorf("%w: PID address %q contains a zero byte", locker.ErrInvalid, pid.Address)
	}
	b := make([]byte, 0, len(pid.Address)+1+len(pid.Id))
	b = append(b, pid.Address...)
	b = append(b, 0)
	return append(b, pid.Id...), nil
}

// decode is the inverse of encode. It returns a new PID.
func decode(raw []byte) (*actor.PID, bool) {
	i := bytes.IndexByte(raw, 0)
	if i < 0 || i == len(raw)-1 {
		return nil, false
	}
	return actor.NewPID(string(raw[:i]), string(raw[i+1:])), true
}

// describe renders a stored value for error messages.
func describe(raw []byte) string {
	if pid, ok := decode(raw); ok {
		return pid.Address + "/" + pid.Id
	}
	return fmt.Sprintf("%q", raw)
}
