package registry

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// metrics are a registry's instruments, on its node's meter: the names it
// holds, and the names lost with a session.
type metrics struct {
	lost  metric.Int64Counter
	attrs []metric.AddOption
	reg   metric.Registration
}

func (r *Registry) newMetrics() *metrics {
	if r.node == nil {
		return nil
	}
	m, node := r.node.Meter()
	set := metric.WithAttributeSet(attribute.NewSet(node))
	out := &metrics{attrs: []metric.AddOption{set}}
	out.lost, _ = m.Int64Counter("locker.registry.leases_lost", metric.WithDescription("names lost with their registry's session"))
	names, _ := m.Int64ObservableGauge("locker.registry.names", metric.WithDescription("names the registry holds"))
	reg, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		r.mu.Lock()
		n := len(r.held)
		r.mu.Unlock()
		o.ObserveInt64(names, int64(n), set)
		return nil
	}, names)
	if err == nil {
		out.reg = reg
	}
	return out
}

// lostNames counts n names lost with a session.
func (m *metrics) lostNames(n int) {
	if m != nil && n > 0 {
		m.lost.Add(context.Background(), int64(n), m.attrs...)
	}
}

func (m *metrics) close() {
	if m != nil && m.reg != nil {
		_ = m.reg.Unregister()
	}
}
