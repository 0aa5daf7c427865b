package locker

import (
	"context"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/protolocker/locker/internal/proposer"
)

// meterName is the instrumentation scope of locker's instruments.
const meterName = "github.com/protolocker/locker"

// instruments are a node's OpenTelemetry instruments. Every one carries
// the node's address as the attribute "node". The attribute sets of the
// hot path are built once, so recording a call allocates nothing.
type instruments struct {
	meter     metric.Meter
	node      attribute.KeyValue
	rounds    metric.Int64Counter
	duration  metric.Float64Histogram
	silent    metric.Int64Counter
	learnLag  metric.Float64Histogram
	renewals  metric.Int64Counter
	lost      metric.Int64Counter
	observed  metric.Registration
	byOutcome map[proposer.Kind]map[proposer.Outcome][]metric.AddOption
	byKind    map[proposer.Kind][]metric.RecordOption
	self      []metric.AddOption
	selfRec   []metric.RecordOption
	renewOK   []metric.AddOption
	renewFail []metric.AddOption
}

var (
	kinds    = []proposer.Kind{proposer.Lock, proposer.Update, proposer.Extend, proposer.Release, proposer.Read}
	outcomes = []proposer.Outcome{proposer.OK, proposer.Locked, proposer.NotOwner, proposer.NotFound,
		proposer.NoQuorum, proposer.Indeterminate, proposer.Invalid}
	refusals = []string{"rejected", "wrong_view", "not_ready", "sealed", "bad_request"}
)

// newInstruments creates the node's instruments on mp; a failure of the
// provider leaves the instrument a no-op (OpenTelemetry returns one with
// the error).
func (n *Node) newInstruments(mp metric.MeterProvider) *instruments {
	m := mp.Meter(meterName)
	in := &instruments{meter: m, node: attribute.String("node", n.Address()),
		byOutcome: map[proposer.Kind]map[proposer.Outcome][]metric.AddOption{},
		byKind:    map[proposer.Kind][]metric.RecordOption{}}
	self := metric.WithAttributeSet(attribute.NewSet(in.node))
	in.self, in.selfRec = []metric.AddOption{self}, []metric.RecordOption{self}
	for _, k := range kinds {
		op := attribute.String("op", k.String())
		in.byKind[k] = []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(in.node, op))}
		in.byOutcome[k] = map[proposer.Outcome][]metric.AddOption{}
		for _, o := range outcomes {
			in.byOutcome[k][o] = []metric.AddOption{
				metric.WithAttributeSet(attribute.NewSet(in.node, op, attribute.String("outcome", o.String())))}
		}
	}
	in.renewOK = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(in.node, attribute.String("outcome", "ok")))}
	in.renewFail = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(in.node, attribute.String("outcome", "failed")))}
	in.rounds, _ = m.Int64Counter("locker.rounds", metric.WithDescription("calls by operation and outcome"))
	in.duration, _ = m.Float64Histogram("locker.round.duration", metric.WithUnit("s"),
		metric.WithDescription("how long a call took, by operation"))
	in.silent, _ = m.Int64Counter("locker.masters.silent",
		metric.WithDescription("rounds that stopped waiting for a master that did not answer"))
	in.learnLag, _ = m.Float64Histogram("locker.learn.lag", metric.WithUnit("s"),
		metric.WithDescription("from a call's decision until this node's lease-holder holds the chosen state"))
	in.renewals, _ = m.Int64Counter("locker.session.renewals", metric.WithDescription("session renewals by outcome"))
	in.lost, _ = m.Int64Counter("locker.sessions.lost", metric.WithDescription("sessions whose Done closed unrenewed"))
	in.observed = n.observeHolder(m, in)
	return in
}

// observeHolder registers the lease-holder's gauges and counters, read
// when the metrics are collected.
func (n *Node) observeHolder(m metric.Meter, in *instruments) metric.Registration {
	keys, _ := m.Int64ObservableGauge("locker.keys", metric.WithDescription("keys with an accepted state on this node"))
	promises, _ := m.Int64ObservableGauge("locker.promises", metric.WithDescription("keys with only a promise on this node"))
	sessions, _ := m.Int64ObservableGauge("locker.sessions", metric.WithDescription("sessions with keys attached on this node"))
	expired, _ := m.Int64ObservableCounter("locker.expirations", metric.WithDescription("keys unpublished by expiry"))
	refused, _ := m.Int64ObservableCounter("locker.votes.refused", metric.WithDescription("votes this node refused, by reason"))
	byReason := make([]metric.ObserveOption, len(refusals))
	for i, r := range refusals {
		byReason[i] = metric.WithAttributeSet(attribute.NewSet(in.node, attribute.String("reason", r)))
	}
	self := metric.WithAttributeSet(attribute.NewSet(in.node))
	reg, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		s := n.holder.Stats()
		o.ObserveInt64(keys, int64(s.Keys-s.Promises), self)
		o.ObserveInt64(promises, int64(s.Promises), self)
		o.ObserveInt64(sessions, int64(s.Sessions), self)
		o.ObserveInt64(expired, int64(s.Expired), self)
		for i, v := range []uint64{s.Rejected, s.WrongView, s.NotReady, s.Sealed, s.BadRequests} {
			o.ObserveInt64(refused, int64(v), byReason[i])
		}
		return nil
	}, keys, promises, sessions, expired, refused)
	if err != nil {
		return nil
	}
	return reg
}

// call records a finished call.
func (in *instruments) call(kind proposer.Kind, out proposer.Outcome, took time.Duration, silent int) {
	ctx := context.Background()
	if o, ok := in.byOutcome[kind][out]; ok {
		in.rounds.Add(ctx, 1, o...)
	}
	if o, ok := in.byKind[kind]; ok {
		in.duration.Record(ctx, took.Seconds(), o...)
	}
	if silent > 0 {
		in.silent.Add(ctx, int64(silent), in.self...)
	}
}

// Meter returns the meter of the node's instruments, for layers built on
// the node (the registry), and the attribute naming the node, which every
// instrument carries.
func (n *Node) Meter() (metric.Meter, attribute.KeyValue) { return n.metrics.meter, n.metrics.node }

// close unregisters the observed instruments.
func (in *instruments) close() {
	if in.observed != nil {
		_ = in.observed.Unregister()
	}
}

// meterProvider returns the configured provider, or the global one.
func (c *Config) meterProvider() metric.MeterProvider {
	if c.MeterProvider != nil {
		return c.MeterProvider
	}
	return otel.GetMeterProvider()
}
