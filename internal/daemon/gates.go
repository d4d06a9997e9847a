package daemon

import (
	"context"
	"fmt"

	"locksmith.dev/locksmith/history"
	"locksmith.dev/locksmith/internal/clock"
)

// waitGates waits until the reboot window is open and no Blocker holds the reboot back,
// holding no slot. A blocked machine says why (status, log, history) and asks again every
// BlockerInterval, the window first.
func (m *Machine) waitGates(ctx context.Context) error {
	defer func() { m.blockedBy = "" }()
	for {
		if err := m.waitWindow(ctx); err != nil {
			return err
		}
		reason := m.blocked(ctx)
		if reason == "" {
			return nil
		}
		if reason != m.blockedBy {
			m.record(history.Event{Kind: history.Blocked, Reason: reason})
			m.blockedBy = reason
		}
		m.enter(StateBlocked, fmt.Sprintf("reboot blocked: %s; asking again in %s", reason, m.cfg.BlockerInterval))
		if err := clock.Sleep(ctx, m.clock, m.cfg.BlockerInterval); err != nil {
			return err
		}
	}
}

// blocked asks every Blocker, each within BlockerTimeout, and returns the first reason to wait,
// "" if none. A blocker that fails to tell is logged as a warning.
func (e *env) blocked(ctx context.Context) string {
	for _, b := range e.d.Blockers {
		bctx, cancel := clock.WithTimeout(ctx, e.clock, e.cfg.BlockerTimeout)
		reason, err := b.Blocked(bctx)
		cancel()
		if err != nil {
			e.log.Warn("a reboot blocker could not tell", "blocker", b.Name(), "error", err, "blocks", reason != "")
		}
		if reason != "" {
			return reason
		}
	}
	return ""
}
