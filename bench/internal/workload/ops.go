package workload

import (
	"context"
	"time"

	"github.com/protolocker/locker/bench/internal/measure"
	"github.com/protolocker/locker/bench/internal/report"
)

// Op is one operation of a system, as a workload calls it: i is the
// call's index in its run. A nil Do means the system does not run the
// workload.
type Op struct {
	Name string
	Do   func(ctx context.Context, i int) error
	// Setup, if set, runs once before a run of calls, untimed (it takes
	// the key that Do renews, say, so that the key is fresh however late
	// in the run the workload comes).
	Setup func(ctx context.Context) error
	// Prep, if set, runs before each call of Do, untimed (it takes the
	// lock that Do releases).
	Prep func(ctx context.Context, i int) error
}

// ClientOp is an operation of one of several concurrent clients.
type ClientOp struct {
	Name string
	Do   func(ctx context.Context, client, i int) error
}

// TryOp is one attempt of a client to take a contested key, giving it
// back when it won; err == nil && !won means another client held it.
type TryOp struct {
	Name string
	Do   func(ctx context.Context, client int) (won bool, err error)
}

// RunOp is a workload that runs its clients itself for d: clients
// sessions each Lock and Unlock one Mutex in a loop, say. It returns the
// calls that succeeded and failed, as measure.Throughput does.
type RunOp struct {
	Name string
	Run  func(ctx context.Context, clients int, d time.Duration) (measure.Rate, error)
}

// KeepAliveOp times a session's (or lease's) renewals as KeepAlive sizes
// them.
type KeepAliveOp struct {
	Name string
	Run  func(ctx context.Context, k KeepAlive) (measure.Renewals, error)
}

// KeepAlive sizes a keep-alive run: N renewals one every Period, timed
// each; then the CPU of a renewal, over CPUCalls of the same renewal
// back to back, less the processes' idle use, measured over Idle before
// the renewals, once it settled (measure.Quiet, for up to Settle).
type KeepAlive struct {
	N        int
	Period   time.Duration
	Idle     time.Duration
	Settle   time.Duration
	CPUCalls int
}

// HoldOp takes names and keeps them alive as Names sizes it, measuring
// the CPU of every process of the system, then gives them back.
type HoldOp struct {
	Name string
	Run  func(ctx context.Context, n Names) (measure.Hold, error)
}

// Names sizes a names run: the CPU over Idle before Count names are
// taken, and over Window once they are held; before each of the two,
// the processes' CPU use is left up to Settle to settle (measure.Quiet).
type Names struct {
	Count        int
	Idle, Window time.Duration
	Settle       time.Duration
}

// Ops is one system under test. Optional operations are nil, or have a
// nil Do.
type Ops struct {
	System string // row label, e.g. "locker 3 procs"
	Floor  string // row label of its floor, if it has one
	PIDs   []int  // the system's child processes, whose CPU time counts

	Lock     Op       // takes a new key each call and keeps it
	Extend   Op       // renews the lease of one held key
	Release  Op       // gives back a key that Prep took
	Pair     Op       // takes one key and gives it back
	Rate     ClientOp // Pair on a key of the client's own
	Contest  TryOp    // Pair on one key shared by every client
	Read     Op       // consistent read of a held key
	Local    *Op      // local (possibly stale) read over the network, if any
	Register Op       // registers a name and unregisters it

	Mutex     RunOp       // clients on one Mutex, blocking
	KeepAlive KeepAliveOp // a session's (or lease's) renewal, paced
	Names     HoldOp      // many names on one session (or lease), held

	Floor1 *Op // one quorum round trip with no work: the floor of Extend and Release
	Floor2 *Op // two back to back: the floor of Lock

	// Remote, if set, runs the sequential workloads (Warm and the
	// tables of Sequential) in another process, the caller's, and
	// returns their rows; the Op fields are then unused and the other
	// workloads skip the system, but for Mutex, KeepAlive and Names
	// when they are set.
	Remote func(ctx context.Context, p Profile, id string) ([]report.Row, error)
}
