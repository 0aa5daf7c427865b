package main

import (
	"fmt"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/protolocker/locker/registry"
)

// player returns every ball to its partner, found by name, until it gets
// ball last (0: no limit). It reports each ball it gets on seen. The balls
// are protobuf messages so that they can cross protoactor remoting.
type player struct {
	reg     *registry.Registry
	partner string
	last    int64
	seen    chan<- int64
}

// playerProps returns the Props of a player that holds its own name: a
// spawn takes the name first, and fails with registry.ErrNameTaken when
// it is held.
func playerProps(reg *registry.Registry, partner string, last int64, seen chan<- int64) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &player{reg: reg, partner: partner, last: last, seen: seen}
	}, reg.PropsOption())
}

// Receive implements actor.Actor.
func (p *player) Receive(ctx actor.Context) {
	self := ctx.Self()
	switch m := ctx.Message().(type) {
	case *wrapperspb.Int64Value:
		n := m.GetValue()
		if p.last > 0 && n >= p.last {
			fmt.Printf("  %s catches ball %d: end of the rally\n", self.Id, n)
		} else {
			fmt.Printf("  %s returns ball %d to %s\n", self.Id, n, p.partner)
			if err := p.reg.Send(ctx, p.partner, wrapperspb.Int64(n+1)); err != nil {
				fmt.Printf("  %s could not return ball %d: %v\n", self.Id, n, err)
			}
		}
		if p.seen != nil {
			select {
			case p.seen <- n:
			default:
			}
		}
	}
}
