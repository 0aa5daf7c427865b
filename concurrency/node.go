package concurrency

import (
	"fmt"

	"github.com/protolocker/locker"
)

// nodeOf returns the node s runs on.
func nodeOf(s *locker.Session) (*locker.Node, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: nil session", locker.ErrInvalid)
	}
	return s.Node(), nil
}
