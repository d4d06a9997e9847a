package daemon

import (
	"context"
	"fmt"
	"time"

	"locksmith.dev/locksmith/internal/clock"
)

// warnTimeout bounds the calls that warn the people logged in, or call the warning off: the
// warning is a courtesy, and never holds up or stops a reboot.
const warnTimeout = 10 * time.Second

// warn tells the people logged in, through the Warner, that the host reboots at `at`. A failure
// is logged and changes nothing else.
func (m *Machine) warn(ctx context.Context, at time.Time) {
	if m.d.Warner == nil {
		return
	}
	msg := fmt.Sprintf("locksmithd: this host reboots at %s to apply an update; save your work and log out",
		at.Format("15:04 MST"))
	wctx, cancel := clock.WithTimeout(ctx, m.clock, warnTimeout)
	defer cancel()
	if err := m.d.Warner.WarnReboot(wctx, at, msg); err != nil {
		m.log.Warn("cannot warn the people logged in; the reboot goes ahead without a warning", "error", err)
		return
	}
	m.warned = true
	m.log.Info("warned the people logged in of the reboot", "at", at.Format(time.RFC3339))
}

// callOffWarning tells the people logged in that the reboot they were warned of does not happen
// (yet); nothing if they were not warned. It works at shutdown too.
func (m *Machine) callOffWarning(ctx context.Context) {
	if !m.warned {
		return
	}
	m.warned = false
	wctx, cancel := clock.WithTimeout(context.WithoutCancel(ctx), m.clock, warnTimeout)
	defer cancel()
	if err := m.d.Warner.CancelWarning(wctx); err != nil {
		m.log.Warn("cannot call off the reboot warning", "error", err)
		return
	}
	m.log.Info("called off the reboot warning: the reboot does not happen now")
}
