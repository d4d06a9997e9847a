package ctl

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"locksmith.dev/locksmith/semaphore"
)

func (r *run) repairCommand() *cobra.Command {
	var force bool
	var maxArg string
	cmd := &cobra.Command{
		Use:   "repair --force [--max N]",
		Short: "Overwrite a corrupt semaphore value",
		Long: `Repair overwrites a semaphore value that is not valid (as status reports it)
with a valid one: --max slots (default 1) and the holders that can still be
read from the corrupt value, so that no more machines are admitted than were
down. It needs --force, and it writes nothing when the value is valid.`,
		Args:              maxArgs(0),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: r.action(func(ctx context.Context, _ []string) error {
			if !force {
				return usagef("repair: overwriting the value of %s needs --force", semaphore.Key(r.opts.group))
			}
			n, err := parseMax(maxArg)
			if err != nil {
				return err
			}
			return r.repair(ctx, n)
		}),
	}
	cmd.Flags().BoolVar(&force, "force", false, "really overwrite the corrupt value")
	cmd.Flags().StringVar(&maxArg, "max", "1", "number of slots to write")
	return cmd
}

func (r *run) repair(ctx context.Context, n int) error {
	return r.withSemaphore(ctx, func(ctx context.Context, sem *semaphore.Semaphore) error {
		st, err := sem.Repair(ctx, n)
		switch {
		case errors.Is(err, semaphore.ErrNotCorrupt):
			return explain(err, "repair: the value of %s is not corrupt; nothing was written", sem.Key())
		case err != nil:
			return fmt.Errorf("repair %s: %w", r.groupName(), r.etcdError(ctx, err))
		}
		return r.printStatus(sem.Key(), st, nil)
	})
}
