package ctl

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"locksmith.dev/locksmith/internal/logind"
	"locksmith.dev/locksmith/semaphore"
)

func (r *run) rebootCommand() *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "reboot",
		Short: "Take a reboot slot for this machine, then reboot it",
		Long: `Reboot takes a reboot slot for this machine, waiting up to --timeout for one
to become free (a slot the machine holds already is used as it is), then asks
logind to reboot. If logind refuses, the slot taken is given back and the
command fails. locksmithd gives the slot back once the machine is up again.`,
		Args:              maxArgs(0),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: r.action(func(ctx context.Context, _ []string) error {
			return r.reboot(ctx, reason)
		}),
	}
	cmd.Flags().StringVar(&reason, "reason", "locksmithctl reboot", "why the slot is taken, shown by status")
	return cmd
}

func (r *run) reboot(ctx context.Context, reason string) error {
	id, err := r.cli.machineID()
	if err != nil {
		return fmt.Errorf("reboot: %w", err)
	}
	bootID, err := r.cli.bootID()
	if err != nil {
		return fmt.Errorf("reboot: %w", err)
	}
	// Connect to D-Bus first: no slot is taken for a reboot that cannot be
	// asked for.
	conn, closeBus, err := r.connectBus(ctx)
	if err != nil {
		return fmt.Errorf("reboot: %w", err)
	}
	defer closeBus()
	sem, done, err := r.semaphore(ctx)
	if err != nil {
		return err
	}
	defer done()
	h := semaphore.Holder{ID: id, Hostname: r.cli.hostname(), BootID: bootID, Reason: reason}
	took, err := r.takeSlot(ctx, sem, h)
	if err != nil {
		return err
	}
	callCtx, cancel := r.withTimeout(ctx)
	err = logind.New(conn).Reboot(callCtx)
	cancel()
	if err == nil {
		return nil
	}
	if !took {
		return fmt.Errorf("reboot: %w (this machine keeps the reboot slot it held before)", err)
	}
	// Give the slot back even when ctx was cancelled: nobody reboots.
	releaseCtx, cancel := r.withTimeout(context.WithoutCancel(ctx))
	defer cancel()
	if relErr := sem.Release(releaseCtx, id); relErr != nil {
		return fmt.Errorf("reboot: %w; giving back the reboot slot failed too (run 'locksmithctl unlock'): %v", err, r.etcdError(releaseCtx, relErr))
	}
	return fmt.Errorf("reboot: %w (the reboot slot was given back)", err)
}

// takeSlot makes h a holder, waiting up to --timeout for a free slot. It
// reports whether it took the slot, false when h.ID held one already.
func (r *run) takeSlot(ctx context.Context, sem *semaphore.Semaphore, h semaphore.Holder) (took bool, err error) {
	ctx, cancel := r.withTimeout(ctx)
	defer cancel()
	st, err := sem.Get(ctx)
	if err != nil {
		return false, fmt.Errorf("reboot: read %s: %w", r.groupName(), corruptHint(r.etcdError(ctx, err)))
	}
	if _, held := st.Holder(h.ID); held {
		return false, nil
	}
	if st.Free() == 0 {
		fmt.Fprintf(r.cli.Stderr, "locksmithctl: waiting for a free reboot slot in %s (%d of %d taken)\n", r.groupName(), len(st.Holders), st.Max)
	}
	if err := sem.Acquire(ctx, h); err != nil {
		if errors.Is(context.Cause(ctx), errTimeout) {
			return false, explain(err, "reboot: no reboot slot in %s became free within %s (see --timeout)", r.groupName(), r.opts.timeout)
		}
		return false, fmt.Errorf("reboot: take a reboot slot in %s: %w", r.groupName(), corruptHint(r.etcdError(ctx, err)))
	}
	return true, nil
}
