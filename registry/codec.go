package registry

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/protolocker/locker"
)

// MaxNameLen bounds the length of a name, in bytes.
const MaxNameLen = 255

// sessionSuffix is the length of the end of a stored value that names
// the registry's session: a zero byte and the session id, big-endian.
const sessionSuffix = 1 + 8

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

// checkPID validates a PID that a name is to be given to.
func checkPID(pid *actor.PID) error {
	switch {
	case pid == nil:
		return fmt.Errorf("%w: nil PID", locker.ErrInvalid)
	case pid.Id == "":
		return fmt.Errorf("%w: PID with an empty id", locker.ErrInvalid)
	case strings.IndexByte(pid.Address, 0) >= 0:
		return fmt.Errorf("%w: PID address %q contains a zero byte", locker.ErrInvalid, pid.Address)
	}
	return nil
}

// encode returns the stored value of pid held by session: its address, a
// zero byte, its id, a zero byte and the session id in 8 bytes. The
// session tells one registry's hold of a PID from another's; the address
// holds no zero byte, so the value splits back exactly. pid must pass
// checkPID.
func encode(pid *actor.PID, session uint64) []byte {
	b := make([]byte, 0, len(pid.Address)+1+len(pid.Id)+sessionSuffix)
	b = append(b, pid.Address...)
	b = append(b, 0)
	b = append(b, pid.Id...)
	b = append(b, 0)
	return binary.BigEndian.AppendUint64(b, session)
}

// split returns the address, id and session of a stored value.
func split(raw []byte) (addr, id []byte, session uint64, ok bool) {
	if len(raw) < 1+1+sessionSuffix || raw[len(raw)-sessionSuffix] != 0 {
		return nil, nil, 0, false
	}
	head := raw[:len(raw)-sessionSuffix]
	i := bytes.IndexByte(head, 0)
	if i < 0 || i == len(head)-1 {
		return nil, nil, 0, false
	}
	return head[:i], head[i+1:], binary.BigEndian.Uint64(raw[len(raw)-8:]), true
}

// decode returns a new PID of the stored value raw.
func decode(raw []byte) (*actor.PID, bool) {
	addr, id, _, ok := split(raw)
	if !ok {
		return nil, false
	}
	return actor.NewPID(string(addr), string(id)), true
}

// pidKey identifies a PID in the registry's maps: address, zero byte, id.
func pidKey(pid *actor.PID) string { return pid.Address + "\x00" + pid.Id }

// describe renders a stored value for error messages.
func describe(raw []byte) string {
	if addr, id, session, ok := split(raw); ok {
		return fmt.Sprintf("%s/%s (session %d)", addr, id, session)
	}
	return fmt.Sprintf("%q", raw)
}
