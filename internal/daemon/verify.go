package daemon

import (
	"context"
	"errors"
	"fmt"

	"locksmith.dev/locksmith/semaphore/slot"
)

// ErrNotVerified: the machine came back from its reboot, but not as the reboot meant: the
// update still needs a reboot, or the OS version did not change.
var ErrNotVerified = errors.New("the reboot is not verified")

// verifyBoot checks, before the post-reboot checks, that the reboot for the slot h did what it
// was for: the machine runs a new boot (the caller knows), the update source no longer needs a
// reboot, and, with RequireNewVersion, the OS version changed. A source that cannot tell is
// logged and not held against the reboot. A slot without the facts of the boot that took it
// (taken by old locksmith, or a FleetLock slot whose holding is not known) proves no reboot of
// this machine: it is not verified, and so never kept for a failed verification.
func (m *Machine) verifyBoot(ctx context.Context, h slot.Holder) error {
	if h.BootID == "" {
		return nil
	}
	if m.d.Updates != nil {
		var needed bool
		err := m.probe(ctx, func(ctx context.Context) (err error) {
			needed, err = m.d.Updates.RebootNeeded(ctx)
			return err
		})
		switch {
		case err != nil:
			m.log.Warn("cannot tell whether the update still needs a reboot; not verified", "error", err)
		case needed:
			return fmt.Errorf("%w: booted %s (was %s), but a reboot is still needed", ErrNotVerified, m.cfg.BootID, h.BootID)
		}
	}
	if m.cfg.RequireNewVersion && h.OSVersion != "" && h.OSVersion == m.cfg.OSVersion {
		return fmt.Errorf("%w: came back on OS version %s, the version it left, although an update was pending (--allow-same-version allows that)",
			ErrNotVerified, h.OSVersion)
	}
	return nil
}
