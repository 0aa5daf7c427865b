package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/protolocker/locker"
)

// segment is a stretch of time in which a holder may use the lock, in
// fake time since the run started.
type segment struct {
	client, tenure int // tenure: the number of the Lock that started it
	token          uint64
	start, end     time.Duration
	trace          *[]string // the tenure's calls, for failure messages
}

func TestMutualExclusion(t *testing.T) {
	p := mutexProfile()
	base := baseSeed(t)
	var tenures, segments, attempts, restarts int
	start := time.Now()
	for i := range p.histories {
		seed := base + int64(i)
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			var segs []segment
			var tried, rs int
			synctest.Test(t, func(t *testing.T) { segs, tried, rs = runHolders(t, seed, p) })
			attempts += tried
			restarts += rs
			tenures += countTenures(segs)
			segments += len(segs)
			checkExclusion(t, seed, segs)
		})
	}
	t.Logf("%d histories, %d locks tried, %d tenures in %d validity intervals, %d master restarts, %v; base seed %d",
		p.histories, attempts, tenures, segments, restarts, time.Since(start).Round(time.Millisecond), base)
}

// runHolders lets p.clients clients compete for one key for p.duration of
// fake time, while faults change the network, and returns their validity
// intervals, the number of Locks tried and the number of restarts.
func runHolders(t *testing.T, seed int64, p profile) ([]segment, int, int) {
	c := newCluster(t, mastersFor(seed), seed, locker.Config{
		RequestTimeout: 100 * time.Millisecond,
		MaxLease:       200 * time.Millisecond,
	})
	// A killed master is down for up to 500 ms, then rejoins and votes
	// again.
	f := newFaults(c, seed, 20*time.Millisecond, 500*time.Millisecond)
	stop := make(chan struct{})
	var faultsDone sync.WaitGroup
	faultsDone.Go(func() { f.run(stop, func(string) {}) })

	var (
		mu      sync.Mutex
		segs    []segment
		tenures int
		clients sync.WaitGroup
	)
	epoch := time.Now()
	for id := range p.clients {
		clients.Go(func() {
			h := holder{id: id, epoch: epoch, rng: rand.New(rand.NewPCG(uint64(seed), uint64(200+id))), c: c}
			for time.Since(epoch) < p.duration {
				mu.Lock()
				tenures++
				n := tenures
				mu.Unlock()
				mine := h.tenure(n)
				mu.Lock()
				segs = append(segs, mine...)
				mu.Unlock()
			}
		})
	}
	clients.Wait()
	close(stop)
	faultsDone.Wait()
	if f.err != nil {
		t.Fatal(f.err)
	}
	t.Logf("seed %d, %d masters: %d locks tried, %d tenures, %d intervals; faults %v",
		seed, c.size(), tenures, countTenures(segs), len(segs), f.count)
	return segs, tenures, f.count["restart"]
}

type holder struct {
	id    int
	epoch time.Time
	rng   *rand.Rand
	c     *cluster
}

func (h *holder) lease() time.Duration { return time.Duration(50+h.rng.IntN(151)) * time.Millisecond }

// node picks a live master (a majority always is). It may be killed
// during the call, which then fails with ErrStopped: a failed Lock gives
// no interval, a failed extend may only shorten one, and a release ends
// it when sent, so that needs no special case.
func (h *holder) node() *locker.Node {
	for {
		if n := h.c.node(h.rng.IntN(h.c.size())); n != nil {
			return n
		}
	}
}
func (h *holder) now() time.Duration { return time.Since(h.epoch) }

// tenure tries to lock the key once; on success it uses the lock, then
// extends, releases or abandons it, and returns its validity intervals.
func (h *holder) tenure(n int) []segment {
	ctx := context.Background() // bounded by RequestTimeout
	value := []byte(fmt.Sprintf("c%d#%d", h.id, n))
	lease := h.lease()
	sent := h.now()
	res, err := h.node().Lock(ctx, "k", value, lease)
	if err != nil {
		time.Sleep(time.Duration(h.rng.IntN(30)) * time.Millisecond)
		return nil
	}
	var segs []segment
	trace := &[]string{}
	note := func(call string, sent, lease time.Duration, err error) {
		*trace = append(*trace, fmt.Sprintf("%s sent %v lease %v back %v: %v", call, sent, lease, h.now(), err))
	}
	open := func(from, to time.Duration) {
		if from < to {
			segs = append(segs, segment{client: h.id, tenure: n, token: res.Token, start: from, end: to, trace: trace})
		}
	}
	note(fmt.Sprintf("lock (token %d)", res.Token), sent, lease, nil)
	// Valid from the reply (not before: the previous holder may still
	// have been valid when this request was sent) to send + lease.
	end := sent + lease
	open(h.now(), end)
	for {
		time.Sleep(time.Duration(h.rng.Int64N(int64(lease / 2))))
		now := h.now()
		if now >= end || len(segs) == 0 {
			return segs // expired: the holder stops using it
		}
		switch r := h.rng.IntN(10); {
		case r < 5:
			lease = h.lease()
			_, err := h.node().ExtendLease(ctx, "k", value, lease)
			note("extend", now, lease, err)
			switch back := h.now(); {
			case err != nil:
				// It may have been applied on some masters, and a shorter
				// lease than the one left shortens it there.
				end = min(end, now+lease)
				segs[len(segs)-1].end = end
			case back < end:
				end = now + lease
				segs[len(segs)-1].end = end
			default: // lapsed while extending: valid again from the reply
				end = now + lease
				open(back, end)
			}
		case r < 8:
			segs[len(segs)-1].end = now // stop using it before asking
			_, err := h.node().Release(ctx, "k", value)
			note("release", now, 0, err)
			return segs
		default:
			return segs // abandoned: it expires
		}
	}
}

func countTenures(segs []segment) int {
	seen := map[int]bool{}
	for _, s := range segs {
		seen[s.tenure] = true
	}
	return len(seen)
}

// checkExclusion fails if two tenures' intervals overlap, or if tokens do
// not strictly increase with the tenures' starts.
func checkExclusion(t *testing.T, seed int64, segs []segment) {
	slices.SortFunc(segs, func(a, b segment) int { return int(a.start - b.start) })
	repeat := fmt.Sprintf("repeat: go test -run 'TestMutualExclusion/%d$' -chaos.seed=%d -count=20 ./", seed, seed)
	var last segment // the interval reaching furthest so far
	var lastToken uint64
	lastTenure := -1
	for i, s := range segs {
		if i > 0 && s.tenure != last.tenure && s.start < last.end {
			t.Fatalf("seed %d, %d masters: two holders at once:\n%s\n%s\n%s", seed, mastersFor(seed), last, s, repeat)
		}
		if s.tenure != lastTenure {
			if s.token <= lastToken {
				t.Fatalf("seed %d, %d masters: token %d does not exceed the previous holder's %d:\n%s\n%s",
					seed, mastersFor(seed), s.token, lastToken, s, repeat)
			}
			lastToken, lastTenure = s.token, s.tenure
		}
		if i == 0 || s.end > last.end {
			last = s
		}
	}
}

func (s segment) String() string {
	return fmt.Sprintf("client %d (token %d) valid [%v, %v) after:\n\t%s",
		s.client, s.token, s.start, s.end, strings.Join(*s.trace, "\n\t"))
}
