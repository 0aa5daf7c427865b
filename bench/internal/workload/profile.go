// Package workload defines the workloads every system runs, the
// operations a system supplies for them, and the profiles that size them.
package workload

import (
	"fmt"
	"time"
)

// Profile sizes the workloads.
type Profile struct {
	Name           string
	N              int           // sequential calls per latency workload
	RegistryN      int           // Register+Unregister pairs
	LookupN        int           // calls per tight lookup loop (DirtyRead, WhereIs)
	RateTime       time.Duration // length of each throughput run
	RateClients    []int         // concurrent clients of the throughput runs
	ContestTime    time.Duration // length of the same-key contest
	ContestClients int
	MemCounts      []int         // held leases for locker's memory figure
	EtcdMemCount   int           // held leases for etcd's memory figure
	MutexTime      time.Duration // length of the blocking Mutex run
	MutexClients   int           // clients of one Mutex, a session each
	KeepAliveN     int           // renewals timed per system
	KeepAliveIdle  time.Duration // idle span before them, for the CPU baseline
	Names          int           // names held for the keep-alive CPU window
	NamesIdle      time.Duration // window before the names are taken
	NamesWindow    time.Duration // window with the names held
	Settle         time.Duration // longest wait for the CPU use to settle before a CPU window
	Budget         time.Duration
}

// Profiles are the named profiles.
var Profiles = map[string]Profile{
	// smoke: seconds, for CI; every workload still runs.
	"smoke": {
		Name: "smoke", N: 100, RegistryN: 20, LookupN: 100_000,
		RateTime: 300 * time.Millisecond, RateClients: []int{8, 64},
		ContestTime: 300 * time.Millisecond, ContestClients: 8,
		MemCounts: []int{10_000}, EtcdMemCount: 500,
		MutexTime: 300 * time.Millisecond, MutexClients: 8,
		KeepAliveN: 20, KeepAliveIdle: 500 * time.Millisecond,
		Names: 1000, NamesIdle: time.Second, NamesWindow: 3 * time.Second, Settle: time.Second,
		Budget: 2 * time.Minute,
	},
	// full: the figures of the README, under six minutes on two cores.
	"full": {
		Name: "full", N: 5000, RegistryN: 2000, LookupN: 5_000_000,
		RateTime: 3 * time.Second, RateClients: []int{8, 64},
		ContestTime: 3 * time.Second, ContestClients: 8,
		MemCounts: []int{100_000, 1_000_000}, EtcdMemCount: 20_000,
		MutexTime: 3 * time.Second, MutexClients: 8,
		KeepAliveN: 200, KeepAliveIdle: time.Second,
		Names: 100_000, NamesIdle: 3 * time.Second, NamesWindow: 20 * time.Second, Settle: 4 * time.Second,
		Budget: 6 * time.Minute,
	},
}

// Lookup returns the named profile.
func Lookup(name string) (Profile, error) {
	p, ok := Profiles[name]
	if !ok {
		return Profile{}, fmt.Errorf("unknown profile %q: smoke or full", name)
	}
	return p, nil
}
