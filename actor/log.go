package actor

import (
	"log/slog"

	"github.com/protolocker/locker/internal/view"
)

// logged is the state the holder last logged.
type logged struct {
	version              uint64
	voting, sealed       bool
	recovering, delayOff bool
	started              bool
}

// logChanges logs, at Info, what changed in the holder's state since the
// last message: a view installed, voting started or stopped, a view
// change sealing the view or ending, the lock-delay entered or left. It
// logs nothing per request.
func (h *Holder) logChanges(v view.View) {
	if h.log == nil {
		return
	}
	recovering, delayOver := h.acc.Recovering(h.Now())
	now := logged{version: v.Version, voting: h.acc.Voting(), sealed: h.acc.Sealed(),
		recovering: recovering, delayOff: delayOver, started: true}
	was := h.logged
	h.logged = now
	switch {
	case !was.started:
		h.log.Info("locker: lease-holder started", slog.Uint64("view", v.Version), slog.Bool("voting", now.voting),
			slog.Any("masters", v.Masters))
		if recovering {
			h.log.Info("locker: memory incomplete: rejoining, or trusted after the lock-delay",
				slog.Duration("lock_delay", h.cfg.LockDelay))
		}
		return
	case now.version != was.version:
		h.log.Info("locker: view installed", slog.Uint64("view", v.Version), slog.Any("masters", v.Masters),
			slog.Any("replicas", v.Replicas), slog.Int("w", v.W))
	}
	switch {
	case now.voting && !was.voting:
		h.log.Info("locker: voting started", slog.Uint64("view", v.Version))
	case !now.voting && was.voting:
		h.log.Info("locker: voting stopped: memory incomplete", slog.Uint64("view", v.Version))
	}
	if now.recovering && now.delayOff && !was.delayOff {
		h.log.Info("locker: lock-delay over: a view change may trust this empty memory")
	}
	switch {
	case now.sealed && !was.sealed:
		h.log.Info("locker: sealed by a view change", slog.Uint64("view", v.Version))
	case !now.sealed && was.sealed:
		h.log.Info("locker: view change over", slog.Uint64("view", v.Version))
	}
}
