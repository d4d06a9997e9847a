package dbustest

import (
	"context"
	"fmt"
	"time"

	"github.com/godbus/dbus/v5"
)

// setWallMessage implements org.freedesktop.login1.Manager.SetWallMessage.
func (l *Logind) setWallMessage(message string, enable bool) *dbus.Error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if enable {
		l.wall = message
	} else {
		l.wall = ""
	}
	return nil
}

// scheduleShutdown implements org.freedesktop.login1.Manager.ScheduleShutdown: it records the
// kind ("reboot", "dry-reboot"…) and the time, in microseconds since the epoch.
func (l *Logind) scheduleShutdown(kind string, usec uint64) *dbus.Error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.scheduledKind, l.scheduledAt = kind, time.UnixMicro(int64(usec))
	l.notifyLocked()
	return nil
}

// cancelScheduledShutdown implements org.freedesktop.login1.Manager.CancelScheduledShutdown: it
// returns whether a shutdown was scheduled.
func (l *Logind) cancelScheduledShutdown() (bool, *dbus.Error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	had := l.scheduledKind != ""
	if had {
		l.cancels++
	}
	l.scheduledKind, l.scheduledAt = "", time.Time{}
	l.notifyLocked()
	return had, nil
}

func (l *Logind) notifyLocked() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// Scheduled returns the shutdown scheduled now (kind "" for none), its time, the wall message
// and how many scheduled shutdowns were cancelled so far.
func (l *Logind) Scheduled() (kind string, at time.Time, wall string, cancels int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.scheduledKind, l.scheduledAt, l.wall, l.cancels
}

// WaitScheduled blocks until ok accepts the schedule (as Scheduled returns it), or ctx ends.
func (l *Logind) WaitScheduled(ctx context.Context, ok func(kind string, at time.Time, wall string, cancels int) bool) error {
	for {
		l.mu.Lock()
		kind, at, wall, cancels, changed := l.scheduledKind, l.scheduledAt, l.wall, l.cancels, l.changed
		l.mu.Unlock()
		if ok(kind, at, wall, cancels) {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("dbustest: wait for the scheduled shutdown (now %q at %s, %d cancelled): %w", kind, at, cancels, ctx.Err())
		}
	}
}
