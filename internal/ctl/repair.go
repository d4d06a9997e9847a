package ctl

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"locksmith.dev/locksmith/history"
	"locksmith.dev/locksmith/semaphore"
)

func (r *run) repairCommand() *cobra.Command {
	var force bool
	var maxArg string
	cmd := &cobra.Command{
		Use:   "repair [--force] [--max N]",
		Short: "Overwrite a corrupt semaphore value",
		Long: `Repair overwrites a semaphore value that is not valid (as status reports it)
with a valid one: --max slots (default 1) and the holders that can still be
read from the corrupt value, so that no more machines are admitted than were
down. Without --force it only shows what it would write. On a valid value it
writes nothing, says "nothing to repair" and exits 0, so that scripts may run
it again.`,
		Args:              maxArgs(0),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: r.action(func(ctx context.Context, _ []string) error {
			n, err := parseMax(maxArg)
			if err != nil {
				return err
			}
			return r.repair(ctx, n, force)
		}),
	}
	cmd.Flags().BoolVar(&force, "force", false, "really overwrite the corrupt value")
	cmd.Flags().StringVar(&maxArg, "max", "1", "number of slots to write")
	return cmd
}

// repair writes the repaired value (force), or shows it. A valid value needs no repair.
func (r *run) repair(ctx context.Context, n int, force bool) error {
	return r.withSemaphore(ctx, func(ctx context.Context, sem *semaphore.Semaphore) error {
		do := sem.RepairPreview
		if force {
			do = sem.Repair
		}
		st, err := do(ctx, n)
		switch {
		case errors.Is(err, semaphore.ErrNotCorrupt):
			fmt.Fprintf(r.cli.Stdout, "nothing to repair: the value of %s is valid (or absent); nothing was written\n", sem.Key())
			return nil
		case err != nil:
			return fmt.Errorf("repair %s: %w", r.groupName(), r.etcdError(ctx, err))
		}
		if force {
			r.recordOperator(ctx, history.Event{Kind: history.Repair, Max: &n})
		} else {
			fmt.Fprintf(r.cli.Stdout, "repair would write this to %s (run again with --force to write it):\n\n", sem.Key())
		}
		return r.printStatus(sem.Key(), st, nil, nil)
	})
}
