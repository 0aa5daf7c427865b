package chaos

import (
	"errors"
	"fmt"
	"hash/fnv"

	"github.com/anishathalye/porcupine"

	"github.com/protolocker/locker"
)

type opKind uint8

const (
	opLock opKind = iota
	opUpdate
	opRelease
	opRead
)

// input is one call: Lock(val), Update(old -> val), Release(val), Read.
type input struct {
	op       opKind
	key      string
	val, old string
}

type result uint8

const (
	ok      result = iota
	refused        // definitely not applied
	unknown        // may or may not have been applied
)

type output struct {
	res   result
	found bool // Read
	val   string
}

// state is one key's state in the model.
type state struct {
	held bool
	val  string
}

// outcome classifies a write's error. A refusal is definite only when no
// commit was sent in any round: Lock and Update fail with ErrLocked,
// ErrNotOwner or ErrNotFound only from the promise phase (write.go,
// refusal.go), and rounds that are retried never reach the commit. A
// Release is one round in which masters that held the value delete it
// even when the round fails, so its failures are all ambiguous, like
// every other error (timeouts, a commit short of W).
func outcome(op opKind, err error) result {
	switch {
	case err == nil:
		return ok
	case op != opRelease && (errors.Is(err, locker.ErrLocked) ||
		errors.Is(err, locker.ErrNotOwner) || errors.Is(err, locker.ErrNotFound)):
		return refused
	}
	return unknown
}

// step returns the states a key can be in after the call, none if the
// output is impossible from s. A refused write changes nothing. Its reason
// is not checked, unless -chaos.strict: a refusal counts the masters that
// answered with another value or none, and these may come from different
// writes (a stale minority plus an ambiguous write applied on a few
// masters), so "locked" does not mean that a linearizable state was held.
func step(s state, in input, out output) []any {
	if in.op == opRead {
		if s.held == out.found && (!s.held || s.val == out.val) {
			return []any{s}
		}
		return nil
	}
	var allowed bool
	next := state{held: true, val: in.val}
	switch in.op {
	case opLock:
		allowed = !s.held
	case opUpdate:
		allowed = s.held && s.val == in.old
	case opRelease:
		allowed = !s.held || s.val == in.val
		next = state{}
	}
	switch {
	case out.res == ok && allowed:
		return []any{next}
	case out.res == refused && (!allowed || !*strictFlag):
		return []any{s}
	case out.res == unknown && allowed:
		return []any{s, next}
	case out.res == unknown:
		return []any{s}
	}
	return nil
}

// model is the per-key model, partitioned by key.
var model = porcupine.NondeterministicModel{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range h {
			k := op.Input.(input).key
			if _, seen := byKey[k]; !seen {
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
	Init: func() []any { return []any{state{}} },
	Step: func(s, in, out any) []any { return step(s.(state), in.(input), out.(output)) },
	Hash: func(s any) uint64 {
		h := fnv.New64a()
		fmt.Fprint(h, s)
		return h.Sum64()
	},
	DescribeOperation: func(in, out any) string { return describe(in.(input), out.(output)) },
	DescribeState: func(s any) string {
		if st := s.(state); st.held {
			return st.val
		}
		return "free"
	},
}

func describe(in input, out output) string {
	res := [...]string{"ok", "refused", "unknown"}[out.res]
	switch in.op {
	case opLock:
		return fmt.Sprintf("%s: Lock(%s) -> %s", in.key, in.val, res)
	case opUpdate:
		return fmt.Sprintf("%s: Update(%s -> %s) -> %s", in.key, in.old, in.val, res)
	case opRelease:
		return fmt.Sprintf("%s: Release(%s) -> %s", in.key, in.val, res)
	}
	if !out.found {
		return fmt.Sprintf("%s: Read -> free", in.key)
	}
	return fmt.Sprintf("%s: Read -> %s", in.key, out.val)
}
