//go:build race

package lockercluster_test

import "go.uber.org/goleak"

// leakIgnores is empty under -race: the real-cluster tests do not run.
var leakIgnores []goleak.Option

// raceEnabled is set under -race.
const raceEnabled = true
