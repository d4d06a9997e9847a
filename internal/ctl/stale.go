package ctl

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"locksmith.dev/locksmith/semaphore"
)

func (r *run) removeStaleCommand() *cobra.Command {
	var olderThan time.Duration
	var reason string
	cmd := &cobra.Command{
		Use:   "remove-stale --older-than DURATION",
		Short: "Give back the slot of the machine that has held one longest, if for too long",
		Long: `Remove-stale gives back the slot of the one holder that has held its slot
longest, if it has held it for more than --older-than: a machine that never
came back from its reboot. The removal is recorded in the value (status
--json shows it). Holders whose start is unknown (taken by old locksmith)
are never removed this way; use unlock ID for them.`,
		Args:              maxArgs(0),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: r.action(func(ctx context.Context, _ []string) error {
			if olderThan <= 0 {
				return usagef("remove-stale: --older-than must be a positive duration such as 24h")
			}
			return r.removeStale(ctx, olderThan, reason)
		}),
	}
	cmd.Flags().DurationVar(&olderThan, "older-than", 0, "remove the holder only if it has held its slot for longer than this")
	cmd.Flags().StringVar(&reason, "reason", "stale slot removed by locksmithctl", "why, recorded with the removal")
	return cmd
}

func (r *run) removeStale(ctx context.Context, olderThan time.Duration, reason string) error {
	by := "locksmithctl"
	if host := r.cli.hostname(); host != "" {
		by += " on " + host
	}
	var h semaphore.Holder
	err := r.withSemaphore(ctx, func(ctx context.Context, sem *semaphore.Semaphore) (err error) {
		h, err = sem.RemoveStale(ctx, olderThan, by, reason)
		switch {
		case errors.Is(err, semaphore.ErrNoStaleHolder):
			return explain(err, "remove-stale: no holder in %s is known to have held its slot for more than %s", r.groupName(), olderThan)
		case err != nil:
			return fmt.Errorf("remove-stale in %s: %w", r.groupName(), corruptHint(r.etcdError(ctx, err)))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if r.opts.json {
		return writeJSON(r.cli.Stdout, newHolderJSON(h))
	}
	_, err = fmt.Fprintf(r.cli.Stdout, "Removed: %s (%s, held for %s)\n", h.ID, orDash(h.Hostname), r.heldFor(h))
	return err
}
