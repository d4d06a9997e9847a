package daemon

import (
	"context"
	"fmt"
	"time"

	"locksmith.dev/locksmith/internal/clock"
)

// postRebootChecks runs the post-reboot checks until all pass in one round,
// retrying failed rounds with back-off while the next round would start
// before PostRebootTimeout has passed since the first. A check still
// running at that time is stopped. Progress is reported to report. It
// returns nil when a round passed, the last failure when time ran out, or
// ctx's cause.
func (m *Machine) postRebootChecks(ctx context.Context, report func(status string)) error {
	if len(m.cfg.PostRebootChecks) == 0 {
		return nil
	}
	deadline := m.clock.Now().Add(m.cfg.PostRebootTimeout)
	b := backoff{initial: m.cfg.RetryInitial, max: max(DefaultCheckRetryMax, m.cfg.RetryInitial)}
	for round := 1; ; round++ {
		report(fmt.Sprintf("running post-reboot checks (round %d); the reboot slot is released once they pass", round))
		err := m.checkRound(ctx, deadline)
		if err == nil {
			m.log.Info("post-reboot checks passed", "round", round)
			return nil
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		d := b.delay()
		if m.cfg.PostRebootTimeout == 0 || !m.clock.Now().Add(d).Before(deadline) {
			return fmt.Errorf("%w (not passed within the post-reboot timeout of %s, %d rounds)", err, m.cfg.PostRebootTimeout, round)
		}
		m.log.Warn("post-reboot check failed; retrying", "error", err, "round", round, "retry_in", d)
		report(fmt.Sprintf("post-reboot checks failed (round %d), retrying in %s: %v", round, d, err))
		if err := clock.Sleep(ctx, m.clock, d); err != nil {
			return err
		}
	}
}

// checkRound runs every check once, in order, stopping at the first
// failure. With a PostRebootTimeout, checks are stopped at deadline.
func (m *Machine) checkRound(ctx context.Context, deadline time.Time) error {
	if m.cfg.PostRebootTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = clock.WithTimeout(ctx, m.clock, deadline.Sub(m.clock.Now()))
		defer cancel()
	}
	for _, c := range m.cfg.PostRebootChecks {
		if err := m.d.Runner.Run(ctx, c); err != nil {
			return fmt.Errorf("post-reboot check %q: %w", c, err)
		}
	}
	return nil
}
