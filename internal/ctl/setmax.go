package ctl

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"locksmith.dev/locksmith/history"
	"locksmith.dev/locksmith/semaphore"
)

func (r *run) setMaxCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "set-max N",
		Short: "Set how many machines of the group may reboot at once",
		Long: `Set-max sets the number of reboot slots of the group and prints the old and
the new value as it was saved. It may be changed at any time and does not
affect the current holders. 0 pauses reboots: nobody gets a slot until the
maximum is raised again.`,
		Args:              exactArgs(1),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE:              r.action(r.setMax),
	}
	cmd.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		var notExist *pflag.NotExistError
		if errors.As(err, &notExist) && notExist.GetSpecifiedShortnames() != "" {
			if _, numErr := strconv.Atoi(notExist.GetSpecifiedShortnames()); numErr == nil {
				return negativeMax("-" + notExist.GetSpecifiedShortnames())
			}
		}
		return flagError(cmd, err)
	})
	return cmd
}

// parseMax parses the argument of set-max: a number of slots, 0 or more.
func parseMax(arg string) (int, error) {
	n, err := strconv.Atoi(arg)
	switch {
	case err != nil:
		return 0, usagef("set-max: %q is not a whole number (usage: locksmithctl set-max N)", arg)
	case n < 0:
		return 0, negativeMax(arg)
	}
	return n, nil
}

func negativeMax(arg string) error {
	return usagef("set-max: invalid maximum %s: it must be 0 or more", arg)
}

func (r *run) setMax(ctx context.Context, args []string) error {
	n, err := parseMax(args[0])
	if err != nil {
		return err
	}
	var old int
	err = r.withSemaphore(ctx, func(ctx context.Context, sem *semaphore.Semaphore) (err error) {
		if old, err = sem.SetMax(ctx, n); err != nil {
			return fmt.Errorf("set-max %d in %s: %w", n, r.groupName(), corruptHint(r.etcdError(ctx, err)))
		}
		r.recordOperator(ctx, history.Event{Kind: history.SetMax, OldMax: &old, Max: &n})
		return nil
	})
	if err != nil {
		return err
	}
	if r.opts.json {
		err = writeJSON(r.cli.Stdout, struct {
			OldMax int `json:"old_max"`
			Max    int `json:"max"`
		}{old, n})
	} else {
		_, err = fmt.Fprintf(r.cli.Stdout, "Old-Max: %d\nMax: %d\n", old, n)
	}
	if n == 0 {
		fmt.Fprintf(r.cli.Stderr, "locksmithctl: note: reboots in %s are paused until set-max raises the maximum above 0\n", r.groupName())
	}
	return err
}
