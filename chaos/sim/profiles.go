package sim

import "time"

// Profiles are the named workloads and fault mixes. "lin" profiles have
// leases longer than the run, so the linearizability model needs no
// expiry; "mutex" profiles have short leases and check mutual exclusion
// and tokens in simulated real time.
var Profiles = map[string]Profile{
	"lin3":   lin(3),
	"lin5":   lin(5),
	"mutex3": mutex(3),
	"mutex5": mutex(5),
	"sess3":  sessions(3),
	"sess5":  sessions(5),
}

func base(masters int) Profile {
	return Profile{
		Masters: masters, Replicas: 1, Spares: 2,
		Loss: 0.05, Dup: 0.05, Delay: 2 * time.Millisecond, Drift: 0.01,
		FaultEvery: 150 * time.Millisecond, Crashes: true, ViewChanges: true, Partitions: true,
		RoundTimeout: 20 * time.Millisecond, ReqTimeout: 400 * time.Millisecond, Interval: 20 * time.Millisecond,
	}
}

func lin(masters int) Profile {
	p := base(masters)
	p.Clients, p.Ops, p.Keys = 6, 40, 3
	p.Think = 10 * time.Millisecond
	p.Lease, p.MaxLease, p.LockDelay = time.Hour, time.Hour, 2*time.Hour
	return p
}

func mutex(masters int) Profile {
	p := base(masters)
	p.Clients, p.Ops, p.Keys = 6, 120, 2
	p.Think = 5 * time.Millisecond
	p.Short = true
	p.Lease, p.MaxLease, p.LockDelay = 60*time.Millisecond, 100*time.Millisecond, 150*time.Millisecond
	return p
}

func sessions(masters int) Profile {
	p := mutex(masters)
	p.Sessions = true
	return p
}
