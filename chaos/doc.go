// Package chaos checks the store's safety under network faults. It has no
// API: everything is in its tests, which run real nodes on the in-memory
// network of cluster/clustertest inside testing/synctest bubbles (fake
// time: timeouts, delays and leases elapse instantly and exactly).
//
// TestLinearizable runs randomized concurrent histories of Lock, Update,
// Release and Read on a few keys, with values from a small alphabet and
// leases of a minute (nothing expires during a run; runHistory checks), from clients on 3 or 5
// masters, and checks each history with porcupine against a per-key model
// (held, value): Lock(v) succeeds iff the key is free; Update(old, new) iff
// it holds old; Release(v) iff it holds v or is free (release is
// idempotent); Read returns the state. A write that failed without a
// definite refusal is ambiguous: it may or may not have taken effect, so
// its return is moved to the end of the history and the model accepts
// both outcomes. A refused Lock or Update (ErrLocked, ErrNotOwner,
// ErrNotFound) sent no commit and is checked to have had no effect; its
// reason is not taken as a view of the state unless -chaos.strict (see
// outcome and step in model_test.go). Failed reads are dropped.
//
// TestMutualExclusion uses short leases (50-200 ms): clients lock one key,
// then extend, release or abandon it. Each success gives the holder a
// validity interval from the moment Lock returned to the moment it sent
// the request plus the lease (a successful extension moves the end to its
// own send time plus its lease, a failed one may only bring it closer, a
// release ends it when sent). The test asserts that no two holders'
// intervals overlap on the bubble's single clock, and that fencing tokens
// strictly increase with the start of the intervals.
//
// Faults: a goroutine changes the network every 5-50 (fake) milliseconds
// with the clustertest verbs: Cut, CutOneWay, Isolate, Drop with a
// probability, Delay, Duplicate, and Heal; and it kills masters and
// restarts them later with empty memory at the same address (the
// in-flight calls of a killed master fail with ErrStopped: an ambiguous
// write, a dropped read; clients skip a master while it is down). At most
// (N-1)/2 masters are down or recovering at any time, so that the others
// can always rejoin one (docs/protocol.md, "Restarts and first starts"):
// a restarted master votes only once a view change has moved its peers'
// state into it. Killed masters come back and vote again many times per
// run, in both tests. In TestLinearizable the leases and MaxLease are a
// minute (the model has no expiry, and a run is shorter).
//
// The TestRepro tests are the bugs these checks found, reduced by hand to
// deterministic scenarios; a failing one is a bug still open.
//
// Runs are seeded. The seed is printed when a check fails, with the
// command that repeats it; set it with -chaos.seed=N or CHAOS_SEED=N. The
// seed fixes the workload and the fault schedule; goroutine interleaving
// still varies, so a rare failure may need -count=20 to repeat. The
// default profile is small enough for CI; the long profile runs more and
// longer histories:
//
//	cd chaos && go test -race -count=1 ./...
//	cd chaos && go test -count=1 -v -chaos.long ./...   # or CHAOS_LONG=1
//	cd chaos && go test -run 'TestLinearizable/1234$' -chaos.seed=1234 ./...
package chaos
