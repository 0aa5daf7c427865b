package chaos

import (
	"flag"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"go.uber.org/goleak"
)

var (
	seedFlag   = flag.Int64("chaos.seed", 0, "base seed of the chaos histories (0: CHAOS_SEED or random)")
	longFlag   = flag.Bool("chaos.long", false, "run the long profile (or CHAOS_LONG=1)")
	strictFlag = flag.Bool("chaos.strict", false, "also require a refused Lock or Update to meet a state that forbids it")
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// profile sizes one test's runs.
type profile struct {
	histories int           // independent runs, each on a fresh cluster
	clients   int           // concurrent clients per run
	ops       int           // operations per client (linearizability)
	duration  time.Duration // fake time per run (mutual exclusion)
}

func linProfile() profile {
	if long() {
		return profile{histories: 100, clients: 6, ops: 80}
	}
	return profile{histories: 20, clients: 5, ops: 40}
}

func mutexProfile() profile {
	if long() {
		return profile{histories: 40, clients: 6, duration: time.Minute}
	}
	return profile{histories: 12, clients: 4, duration: 15 * time.Second}
}

func long() bool { return *longFlag || os.Getenv("CHAOS_LONG") == "1" }

// baseSeed returns the seed of the first history: the flag, else
// CHAOS_SEED, else a random one. History i uses baseSeed()+i.
func baseSeed(t *testing.T) int64 {
	if *seedFlag != 0 {
		return *seedFlag
	}
	if s, err := strconv.ParseInt(os.Getenv("CHAOS_SEED"), 10, 64); err == nil && s != 0 {
		return s
	}
	s := rand.Int64N(1 << 40)
	t.Logf("base seed %d", s)
	return s
}

// mastersFor picks 3 or 5 masters from a history's seed, so that a seed
// alone repeats a history.
func mastersFor(seed int64) int { return 3 + 2*int(seed&1) }
