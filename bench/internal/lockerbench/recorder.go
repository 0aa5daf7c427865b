package lockerbench

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// extendTimes is a MeterProvider for one node that keeps the duration of
// each of its Extend calls (the "locker.round.duration" histogram, op
// "extend") and counts its session renewals that failed; every other
// instrument is a no-op.
type extendTimes struct {
	noop.MeterProvider
	meter *extendMeter
}

type extendMeter struct {
	noop.Meter
	hist    *extendHist
	renewed *renewalCount
}

type extendHist struct {
	noop.Float64Histogram
	mu     sync.Mutex
	d      []time.Duration
	notify chan struct{} // a token after each recording
}

type renewalCount struct {
	noop.Int64Counter
	mu     sync.Mutex
	failed int
}

func newExtendTimes() *extendTimes {
	return &extendTimes{meter: &extendMeter{
		hist:    &extendHist{notify: make(chan struct{}, 1)},
		renewed: &renewalCount{},
	}}
}

func (e *extendTimes) Meter(string, ...metric.MeterOption) metric.Meter { return e.meter }

func (m *extendMeter) Float64Histogram(name string, opts ...metric.Float64HistogramOption) (metric.Float64Histogram, error) {
	if name == "locker.round.duration" {
		return m.hist, nil
	}
	return m.Meter.Float64Histogram(name, opts...)
}

func (m *extendMeter) Int64Counter(name string, opts ...metric.Int64CounterOption) (metric.Int64Counter, error) {
	if name == "locker.session.renewals" {
		return m.renewed, nil
	}
	return m.Meter.Int64Counter(name, opts...)
}

func (h *extendHist) Record(_ context.Context, seconds float64, opts ...metric.RecordOption) {
	set := metric.NewRecordConfig(opts).Attributes()
	if op, ok := set.Value(attribute.Key("op")); !ok || op.AsString() != "extend" {
		return
	}
	h.mu.Lock()
	h.d = append(h.d, time.Duration(seconds*float64(time.Second)))
	h.mu.Unlock()
	select {
	case h.notify <- struct{}{}:
	default:
	}
}

func (c *renewalCount) Add(_ context.Context, v int64, opts ...metric.AddOption) {
	set := metric.NewAddConfig(opts).Attributes()
	if o, ok := set.Value(attribute.Key("outcome")); ok && o.AsString() == "failed" {
		c.mu.Lock()
		c.failed += int(v)
		c.mu.Unlock()
	}
}

// durations returns a copy of the Extend durations recorded so far.
func (e *extendTimes) durations() []time.Duration {
	h := e.meter.hist
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]time.Duration(nil), h.d...)
}

// count returns how many Extend calls were recorded.
func (e *extendTimes) count() int {
	h := e.meter.hist
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.d)
}

// failed returns the session renewals that failed.
func (e *extendTimes) failed() int {
	c := e.meter.renewed
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.failed
}

// recorded is signalled after each Extend recorded.
func (e *extendTimes) recorded() <-chan struct{} { return e.meter.hist.notify }
