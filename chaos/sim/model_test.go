package sim

import (
	"fmt"

	"github.com/anishathalye/porcupine"

	"github.com/protolocker/locker/internal/proposer"
)

// state is one key's state in the model: free, or held by a value.
type state struct {
	held bool
	val  string
}

// step returns the states a key can be in after op, none if its output
// is impossible from s. Leases outlast the run, so nothing expires.
func step(s state, op *Op) []any {
	if op.Kind == proposer.Read {
		if s.held == op.Found && (!s.held || s.val == op.Got) {
			return []any{s}
		}
		return nil
	}
	var allowed bool
	next := s
	switch op.Kind {
	case proposer.Lock:
		allowed, next = !s.held, state{held: true, val: op.Val}
	case proposer.Update:
		allowed, next = s.held && s.val == op.Old, state{held: true, val: op.Val}
	case proposer.Extend:
		allowed = s.held && s.val == op.Val
	case proposer.Release:
		allowed, next = !s.held || s.val == op.Val, state{}
	}
	switch {
	case op.Result == ResultOK && allowed:
		return []any{next}
	case op.Result == ResultRefused:
		if refusalFits(s, op) {
			return []any{s}
		}
		return nil
	case op.Result == ResultUnknown && allowed:
		return []any{s, next}
	case op.Result == ResultUnknown:
		return []any{s}
	}
	return nil
}

// refusalFits checks the reason of a definite refusal against the state:
// a refusal that names the key's state (locked, not owner, not found) must
// be true of it; a refusal for want of a quorum says nothing.
func refusalFits(s state, op *Op) bool {
	want := op.Val
	if op.Kind == proposer.Update {
		want = op.Old
	}
	switch op.Outcome {
	case proposer.Locked:
		return s.held
	case proposer.NotOwner:
		return s.held && s.val != want
	case proposer.NotFound:
		return !s.held
	}
	return true
}

var model = porcupine.NondeterministicModel{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range h {
			k := op.Input.(*Op).Key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		parts := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, byKey[k])
		}
		return parts
	},
	Init:  func() []any { return []any{state{}} },
	Step:  func(s, in, _ any) []any { return step(s.(state), in.(*Op)) },
	Equal: func(a, b any) bool { return a.(state) == b.(state) },
	DescribeOperation: func(in, _ any) string {
		op := in.(*Op)
		if op.Kind == proposer.Read {
			if !op.Found {
				return fmt.Sprintf("%s: read -> free", op.Key)
			}
			return fmt.Sprintf("%s: read -> %s", op.Key, op.Got)
		}
		return fmt.Sprintf("%s: %s(%s%s) -> %s [%s]", op.Key, op.Kind, op.Old, op.Val, op.Outcome, op.Node)
	},
	DescribeState: func(s any) string {
		if st := s.(state); st.held {
			return st.val
		}
		return "free"
	},
}
