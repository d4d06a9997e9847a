package logind

import (
	"context"
	"fmt"
	"time"
)

// WarnReboot has logind warn everyone logged in that the machine reboots at `at`: it sets
// message as the wall message and schedules a dry-run reboot ("dry-reboot") for that time, which
// makes logind broadcast the message, with the time, to every terminal as it approaches, and
// reboot nothing (the caller reboots, with its own checks). It returns the first call's error,
// naming logind and the D-Bus error.
func (m *Manager) WarnReboot(ctx context.Context, at time.Time, message string) error {
	if err := m.obj.CallWithContext(ctx, ManagerInterface+".SetWallMessage", 0, message, true).Err; err != nil {
		return fmt.Errorf("logind: SetWallMessage: %w", describe(err))
	}
	usec := uint64(at.UnixMicro())
	if err := m.obj.CallWithContext(ctx, ManagerInterface+".ScheduleShutdown", 0, "dry-reboot", usec).Err; err != nil {
		return fmt.Errorf("logind: ScheduleShutdown: %w", describe(err))
	}
	return nil
}

// CancelWarning cancels the scheduled (dry-run) reboot of WarnReboot; logind tells the terminals
// that it is called off. It returns logind's error, if any.
func (m *Manager) CancelWarning(ctx context.Context) error {
	var cancelled bool
	if err := m.obj.CallWithContext(ctx, ManagerInterface+".CancelScheduledShutdown", 0).Store(&cancelled); err != nil {
		return fmt.Errorf("logind: CancelScheduledShutdown: %w", describe(err))
	}
	return nil
}
