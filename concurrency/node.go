package concurrency

import (
	"fmt"
	"reflect"

	"github.com/protolocker/locker"
)

// nodeOf returns the node s runs on: from a Node method on
// locker.Session when it has one, otherwise from the session's field n,
// which holds it.
func nodeOf(s *locker.Session) (*locker.Node, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: nil session", locker.ErrInvalid)
	}
	if a, ok := any(s).(interface{ Node() *locker.Node }); ok {
		if n := a.Node(); n != nil {
			return n, nil
		}
	}
	f := reflect.ValueOf(s).Elem().FieldByName("n")
	if !f.IsValid() || f.Type() != reflect.TypeFor[*locker.Node]() || f.IsNil() {
		return nil, fmt.Errorf("%w: the session has no node", locker.ErrInvalid)
	}
	return (*locker.Node)(f.UnsafePointer()), nil
}
