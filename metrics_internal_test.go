package locker

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/protolocker/locker/internal/proposer"
)

// BenchmarkInstrumentsCall prices what a call records (rounds, duration,
// learn lag), with the no-op provider and with the SDK, to set beside
// BenchmarkLock.
func BenchmarkInstrumentsCall(b *testing.B) {
	for _, c := range []struct {
		name string
		mp   func() *sdkmetric.MeterProvider
	}{{"noop", nil}, {"sdk", func() *sdkmetric.MeterProvider {
		return sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	}}} {
		b.Run(c.name, func(b *testing.B) {
			sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
				return slog.New(slog.DiscardHandler)
			}))
			n, err := Start(sys, Config{MeterProvider: noop.NewMeterProvider()})
			if err != nil {
				b.Fatal(err)
			}
			defer n.Stop()
			in := n.metrics
			if c.mp != nil {
				mp := c.mp()
				in = n.newInstruments(mp)
				defer in.close()
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				in.call(proposer.Lock, proposer.OK, 40*time.Microsecond, 0)
				in.learnLag.Record(ctx, 1e-5, in.selfRec...)
			}
		})
	}
}
