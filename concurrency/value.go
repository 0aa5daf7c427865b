package concurrency

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/protolocker/locker"
	"github.com/protolocker/locker/lease"
)

// headerTag starts every value this package writes.
const headerTag = 0xc5

// headerLen is the length of a value's header: the tag, the session id
// and a sequence number.
const headerLen = 1 + 8 + 8

// reservedPrefix starts the keys the store keeps for itself.
const reservedPrefix = "\x00locker/"

// sequence numbers the Mutexes and Elections of the process.
var sequence atomic.Uint64

// newHeader returns a header unique to one Mutex or Election of session
// id: no other Mutex or Election, in any process, writes it.
func newHeader(id uint64) []byte {
	h := make([]byte, 0, headerLen)
	h = append(h, headerTag)
	h = binary.BigEndian.AppendUint64(h, id)
	return binary.BigEndian.AppendUint64(h, sequence.Add(1))
}

// withHeader returns header followed by value, in a new slice.
func withHeader(header, value []byte) []byte {
	v := make([]byte, 0, len(header)+len(value))
	return append(append(v, header...), value...)
}

// hasHeader reports whether value was written under header.
func hasHeader(value, header []byte) bool {
	return len(value) >= headerLen && bytes.Equal(value[:headerLen], header)
}

// payload returns value without its header; a value this package did not
// write is returned whole.
func payload(value []byte) []byte {
	if len(value) < headerLen || value[0] != headerTag {
		return value
	}
	return value[headerLen:]
}

// checkKey reports a key the store would refuse.
func checkKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: empty key", locker.ErrInvalid)
	case len(key) > lease.MaxKeyLen:
		return fmt.Errorf("%w: key of %d bytes, at most %d", locker.ErrInvalid, len(key), lease.MaxKeyLen)
	case strings.HasPrefix(key, reservedPrefix):
		return fmt.Errorf("%w: keys starting with %q are reserved", locker.ErrInvalid, reservedPrefix)
	}
	return nil
}
