package daemon

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"locksmith.dev/locksmith/history"
	"locksmith.dev/locksmith/internal/clock"
	"locksmith.dev/locksmith/strategy"
)

// Reasons an attempt ends without a reboot, to be tested with errors.Is.
var (
	// ErrNotNeeded: the update source no longer says a reboot is needed.
	ErrNotNeeded = errors.New("reboot no longer needed")
	// ErrWindowClosed: the reboot window closed.
	ErrWindowClosed = errors.New("reboot window closed")
	// ErrRebootTimeout: the reboot was requested but the host stayed up.
	ErrRebootTimeout = errors.New("host still up after the reboot was requested")
	// ErrSlotLost: the slot taken for the reboot was removed (by an
	// operator's locksmithctl unlock, or by a peer's --lock-ttl) before
	// the reboot was requested.
	ErrSlotLost = errors.New("reboot slot lost")
	// ErrBlocked: a Blocker held the reboot back while the slot was held; the slot is given
	// back and the machine waits until nothing blocks.
	ErrBlocked = errors.New("reboot blocked")
)

// attempt makes one attempt to reboot: wait until a reboot is needed and
// the window is open, take a slot, prepare, reboot. It returns only if the
// reboot did not happen (or ctx ended), with the reason; a slot taken for
// it is released by then. A slot lost while preparing (ErrSlotLost) sends
// it back to the window and the slot, without a back-off: the reboot is
// still needed.
func (m *Machine) attempt(ctx context.Context) error {
	reason := "reboot"
	resumed := m.slot == slotForReboot && m.cfg.Strategy == strategy.EtcdLock
	if !resumed {
		why, err := m.waitRebootNeeded(ctx)
		if err != nil {
			return err
		}
		reason += ": " + why
		m.record(history.Event{Kind: history.RebootNeeded, Reason: why})
	}
	m.rebootNeeded = true
	for {
		if !resumed {
			if err := m.waitGates(ctx); err != nil {
				return err
			}
			if err := m.takeSlot(ctx, reason); err != nil {
				return err
			}
		}
		resumed = false
		err := m.prepare(ctx)
		if err == nil {
			err = m.reboot(ctx)
		}
		if ctx.Err() != nil {
			return err
		}
		m.callOffWarning(ctx)
		if errors.Is(err, ErrSlotLost) {
			continue
		}
		m.releaseUnused(ctx, err.Error())
		if errors.Is(err, ErrBlocked) {
			continue // wait until nothing blocks, holding no slot
		}
		return err
	}
}

// waitRebootNeeded waits until the update source says a reboot is needed.
func (m *Machine) waitRebootNeeded(ctx context.Context) (string, error) {
	m.enter(StateIdle, "idle: waiting for a reboot to be needed")
	why, err := m.waitNeeded(ctx)
	if err != nil {
		return "", fmt.Errorf("wait for a reboot to be needed: %w", err)
	}
	m.log.Info("a reboot is needed", "why", why)
	return why, nil
}

// waitWindow waits until the reboot window is open, holding no slot.
func (m *Machine) waitWindow(ctx context.Context) error {
	defer func() { m.windowOpens = time.Time{} }()
	for {
		now := m.clock.Now()
		start, _ := m.cfg.Schedule.Next(now)
		if !start.After(now) {
			return nil
		}
		if !start.Equal(m.windowOpens) {
			m.record(history.Event{Kind: history.WaitingForWindow, Opens: start})
		}
		m.windowOpens = start
		wait := start.Sub(now)
		status := fmt.Sprintf("waiting for reboot window: opens %s (in %s)", start.Format("Mon 2006-01-02 15:04 MST"), wait.Round(time.Second))
		if b := m.cfg.Schedule.Blackout(); !b.Empty() {
			if windows, _ := m.cfg.Schedule.WithBlackout(strategy.Blackout{}).Next(now); windows.Before(start) {
				status += "; the blackout " + b.String() + " keeps it closed"
			}
		}
		m.enter(StateWaitingWindow, status)
		if err := clock.Sleep(ctx, m.clock, wait); err != nil {
			return err
		}
	}
}

// prepare runs what comes between the slot and the reboot: the checks that
// the reboot is still wanted, the pre-reboot command, the login delay and,
// last, the check that the slot is still this machine's.
func (m *Machine) prepare(ctx context.Context) error {
	if err := m.stillWanted(ctx, "after taking the slot"); err != nil {
		return err
	}
	if cmd := m.cfg.PreRebootCommand; cmd != "" {
		m.enter(StatePreReboot, "running the pre-reboot command")
		err := m.d.Runner.Run(ctx, cmd)
		ev := history.Event{Kind: history.PreReboot, Command: cmd}
		if err != nil {
			ev.Error = err.Error()
		}
		m.record(ev)
		if err != nil {
			return fmt.Errorf("pre-reboot command %q: %w", cmd, err)
		}
	}
	if err := m.loginDelay(ctx); err != nil {
		return err
	}
	if err := m.stillWanted(ctx, "right before rebooting"); err != nil {
		return err
	}
	if reason := m.blocked(ctx); reason != "" {
		m.log.Warn("a reboot blocker holds the reboot back; giving the slot back and waiting", "reason", reason)
		return fmt.Errorf("%w right before the reboot: %s", ErrBlocked, reason)
	}
	return m.stillHolding(ctx)
}

// stillWanted checks that the window is open and a reboot still needed.
func (m *Machine) stillWanted(ctx context.Context, when string) error {
	if !m.cfg.Schedule.Contains(m.clock.Now()) {
		return fmt.Errorf("%w (checked %s)", ErrWindowClosed, when)
	}
	needed, err := m.d.Updates.RebootNeeded(ctx)
	if err != nil {
		return fmt.Errorf("check whether a reboot is still needed (%s): %w", when, err)
	}
	if !needed {
		return fmt.Errorf("%w (checked %s)", ErrNotNeeded, when)
	}
	return nil
}

// loginDelay waits LoginDelay, once in the machine's life, if people are
// logged in, and logs who. A failure to list sessions is logged and does not
// delay the reboot.
func (m *Machine) loginDelay(ctx context.Context) error {
	if m.loginDelayDone || m.cfg.LoginDelay <= 0 || m.d.Sessions == nil {
		return nil
	}
	sessions, err := m.d.Sessions.InteractiveSessions(ctx)
	if err != nil {
		m.log.Warn("cannot list logged-in users; not delaying the reboot for them", "error", err)
		return nil
	}
	if len(sessions) == 0 {
		return nil
	}
	m.loginDelayDone = true
	who := make([]string, len(sessions))
	for i, s := range sessions {
		who[i] = s.User
		if s.TTY != "" {
			who[i] += " on " + s.TTY
		}
		if s.RemoteHost != "" {
			who[i] += " from " + s.RemoteHost
		}
	}
	users := strings.Join(who, ", ")
	m.log.Warn("people are logged in; delaying the reboot once", "delay", m.cfg.LoginDelay, "users", users)
	m.warn(ctx, m.clock.Now().Add(m.cfg.LoginDelay))
	m.enter(StateLoginDelay, fmt.Sprintf("delaying the reboot by %s for logged-in users: %s", m.cfg.LoginDelay, users))
	return clock.Sleep(ctx, m.clock, m.cfg.LoginDelay)
}

// reboot asks for the reboot and waits for the host to go down, which ends
// ctx. It returns an error if the request fails or the host is still up
// after RebootTimeout.
func (m *Machine) reboot(ctx context.Context) error {
	m.silence(ctx)
	m.rebootRequested = true
	m.enter(StateRebooting, "rebooting")
	if err := m.d.Rebooter.Reboot(ctx); err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx) // going down: the request may have been accepted
		}
		m.rebootRequested = false
		m.unsilence(ctx)
		return fmt.Errorf("request the reboot: %w", err)
	}
	m.record(history.Event{Kind: history.RebootRequested, OSVersion: m.cfg.OSVersion, BootID: m.cfg.BootID})
	m.enter(StateRebooting, fmt.Sprintf("rebooting: reboot requested at %s", m.clock.Now().Format("15:04:05 MST")))
	if err := clock.Sleep(ctx, m.clock, m.cfg.RebootTimeout); err != nil {
		return err
	}
	m.rebootRequested = false
	err := fmt.Errorf("%w (%s)", ErrRebootTimeout, m.cfg.RebootTimeout)
	m.log.Error("the reboot was requested but did not happen; giving the slot back", "error", err)
	m.countFailure(ctx, err.Error()) // before the slot is given back, so that a freeze comes first
	m.unsilence(ctx)
	return err
}
