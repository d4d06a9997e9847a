package daemon

import (
	"context"
	"fmt"
	"time"

	"locksmith.dev/locksmith/internal/clock"
)

// CheckError is how a post-reboot check failed.
type CheckError struct {
	// Command is the check that failed.
	Command string
	// Err says how.
	Err error
}

func (e *CheckError) Error() string { return fmt.Sprintf("post-reboot check %q: %v", e.Command, e.Err) }

// Unwrap returns Err.
func (e *CheckError) Unwrap() error { return e.Err }

// postRebootChecks runs the post-reboot checks until all pass in one round,
// retrying failed rounds with back-off while the next round would start
// before PostRebootTimeout has passed since the first. A check still
// running at that time is stopped. Progress is reported to report, with the round's number and,
// for a failed round to be retried, its *CheckError (to be logged once, as a warning). It returns
// the number of rounds run and nil when a round passed, the last failure (wrapping its
// *CheckError) when time ran out, or ctx's cause.
func (e *env) postRebootChecks(ctx context.Context, report func(round int, failed *CheckError, status string)) (int, error) {
	if len(e.cfg.PostRebootChecks) == 0 {
		return 0, nil
	}
	deadline := e.clock.Now().Add(e.cfg.PostRebootTimeout)
	b := backoff{initial: e.cfg.RetryInitial, max: max(DefaultCheckRetryMax, e.cfg.RetryInitial)}
	for round := 1; ; round++ {
		report(round, nil, fmt.Sprintf("running post-reboot checks (round %d); the reboot slot is released once they pass", round))
		err := e.checkRound(ctx, deadline)
		if err == nil {
			e.log.Info("post-reboot checks passed", "round", round)
			return round, nil
		}
		if ctx.Err() != nil {
			return round, context.Cause(ctx)
		}
		d := b.delay()
		if e.cfg.PostRebootTimeout == 0 || !e.clock.Now().Add(d).Before(deadline) {
			return round, fmt.Errorf("%w (not passed within the post-reboot timeout of %s, %d rounds)", err, e.cfg.PostRebootTimeout, round)
		}
		report(round, err, fmt.Sprintf("post-reboot checks failed (round %d), retrying in %s: %v", round, d, err))
		if err := clock.Sleep(ctx, e.clock, d); err != nil {
			return round, err
		}
	}
}

// checkRound runs every check once, in order, stopping at the first
// failure. With a PostRebootTimeout, checks are stopped at deadline.
func (e *env) checkRound(ctx context.Context, deadline time.Time) *CheckError {
	if e.cfg.PostRebootTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = clock.WithTimeout(ctx, e.clock, deadline.Sub(e.clock.Now()))
		defer cancel()
	}
	for _, c := range e.cfg.PostRebootChecks {
		if err := e.d.Runner.Run(ctx, c); err != nil {
			return &CheckError{c, err}
		}
	}
	return nil
}
