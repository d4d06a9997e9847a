package ctl

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"locksmith.dev/locksmith/history"
	"locksmith.dev/locksmith/semaphore"
)

func (r *run) resumeCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "resume",
		Short: "End a freeze of the group: restore the max it had before too many reboots failed",
		Long: `Resume ends a freeze that locksmithd's --max-failures set when too many reboots of the
group failed: it restores the max the group had before, and forgets the failures counted, so
that the budget starts afresh. It prints the new max. Fix what made the reboots fail first;
status and why show the failures. A group that is not frozen is left alone (exit 1).`,
		Args:              exactArgs(0),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE:              r.action(r.resume),
	}
}

func (r *run) resume(ctx context.Context, _ []string) error {
	var st semaphore.State
	err := r.withSemaphore(ctx, func(ctx context.Context, sem *semaphore.Semaphore) (err error) {
		if st, err = sem.Resume(ctx); err != nil {
			if errors.Is(err, semaphore.ErrNotFrozen) {
				return fmt.Errorf("resume: %s is not frozen; nothing to do (set-max changes max)", r.groupName())
			}
			return fmt.Errorf("resume %s: %w", r.groupName(), corruptHint(r.etcdError(ctx, err)))
		}
		r.recordOperator(ctx, history.Event{Kind: history.Resumed, Max: &st.Max})
		return nil
	})
	if err != nil {
		return err
	}
	if r.opts.json {
		return writeJSON(r.cli.Stdout, struct {
			Max int `json:"max"`
		}{st.Max})
	}
	_, err = fmt.Fprintf(r.cli.Stdout, "Resumed: max %d\n", st.Max)
	return err
}
