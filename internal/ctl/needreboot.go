package ctl

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"locksmith.dev/locksmith/updateengine"
)

func (r *run) sendNeedRebootCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "send-need-reboot",
		Short: `Send update_engine's "reboot needed" signal over D-Bus`,
		Long: `Send-need-reboot broadcasts the StatusUpdate signal of update_engine with
UPDATE_STATUS_UPDATED_NEED_REBOOT, to test old locksmithd without a full
update cycle. The new locksmithd accepts this signal only from update_engine
itself and asks update_engine to confirm it.`,
		Args:              maxArgs(0),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE:              r.action(r.sendNeedReboot),
	}
}

func (r *run) sendNeedReboot(ctx context.Context, _ []string) error {
	conn, closeBus, err := r.connectBus(ctx)
	if err != nil {
		return fmt.Errorf("send-need-reboot: %w", err)
	}
	defer closeBus()
	ctx, cancel := r.withTimeout(ctx)
	defer cancel()
	err = updateengine.EmitStatusUpdate(conn, updateengine.Status{CurrentOperation: updateengine.StatusNeedReboot})
	if err == nil {
		err = flushBus(ctx, conn)
	}
	if err != nil {
		return fmt.Errorf("send-need-reboot on %s: %w", r.opts.dbusAddress, err)
	}
	return nil
}
