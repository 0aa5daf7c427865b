package actor

import (
	"github.com/protolocker/locker/lease"
	"github.com/protolocker/locker/messages"
)

var statusToWire = map[lease.Status]messages.Status{
	lease.OK:         messages.Status_STATUS_OK,
	lease.Locked:     messages.Status_STATUS_LOCKED,
	lease.Mismatch:   messages.Status_STATUS_MISMATCH,
	lease.NotFound:   messages.Status_STATUS_NOT_FOUND,
	lease.NoPromise:  messages.Status_STATUS_NO_PROMISE,
	lease.BadRequest: messages.Status_STATUS_BAD_REQUEST,
	lease.Installed:  messages.Status_STATUS_INSTALLED,
}

// wireStatus converts a table status to its wire form.
func wireStatus(s lease.Status) messages.Status {
	if w, ok := statusToWire[s]; ok {
		return w
	}
	return messages.Status_STATUS_BAD_REQUEST
}

// OpFromWire converts a wire operation; ok is false for an unknown one.
func OpFromWire(op messages.Op) (lease.Op, bool) {
	switch op {
	case messages.Op_OP_LOCK:
		return lease.OpLock, true
	case messages.Op_OP_UPDATE:
		return lease.OpUpdate, true
	case messages.Op_OP_EXTEND:
		return lease.OpExtend, true
	case messages.Op_OP_RELEASE:
		return lease.OpRelease, true
	}
	return 0, false
}

// OpToWire converts an operation to its wire form.
func OpToWire(op lease.Op) messages.Op {
	switch op {
	case lease.OpLock:
		return messages.Op_OP_LOCK
	case lease.OpUpdate:
		return messages.Op_OP_UPDATE
	case lease.OpExtend:
		return messages.Op_OP_EXTEND
	case lease.OpRelease:
		return messages.Op_OP_RELEASE
	}
	return messages.Op_OP_UNSPECIFIED
}
