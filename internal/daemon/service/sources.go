package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"locksmith.dev/locksmith/internal/daemon"
	"locksmith.dev/locksmith/internal/logind"
	"locksmith.dev/locksmith/internal/sentinel"
	"locksmith.dev/locksmith/updateengine"
)

// updateEngine is the daemon.UpdateSource of update_engine on the bus.
type updateEngine struct {
	bus *bus
	log *slog.Logger
}

func (u updateEngine) client() (*updateengine.Client, error) {
	conn, err := u.bus.get()
	if err != nil {
		return nil, err
	}
	return updateengine.New(conn, u.log), nil
}

// WaitRebootNeeded waits for update_engine's confirmed NEED_REBOOT status.
func (u updateEngine) WaitRebootNeeded(ctx context.Context) (string, error) {
	c, err := u.client()
	if err != nil {
		return "", err
	}
	st, err := c.WaitNeedReboot(ctx)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("update_engine installed version %q", st.NewVersion), nil
}

// RebootNeeded asks update_engine for its status.
func (u updateEngine) RebootNeeded(ctx context.Context) (bool, error) {
	c, err := u.client()
	if err != nil {
		return false, err
	}
	st, err := c.GetStatus(ctx)
	return st.NeedReboot(), err
}

// sentinels is the daemon.UpdateSource of sentinel files.
type sentinels struct{ files sentinel.Files }

// WaitRebootNeeded waits until a sentinel file exists.
func (s sentinels) WaitRebootNeeded(ctx context.Context) (string, error) {
	p, err := s.files.Wait(ctx)
	if err != nil {
		return "", err
	}
	return "sentinel file " + p + " exists", nil
}

// RebootNeeded reports whether a sentinel file exists.
func (s sentinels) RebootNeeded(context.Context) (bool, error) {
	_, ok := s.files.Present()
	return ok, nil
}

// anySource says a reboot is needed when any of its sources does.
type anySource []daemon.UpdateSource

// WaitRebootNeeded waits on every source at once and returns the first
// answer; the first error ends the wait too.
func (a anySource) WaitRebootNeeded(ctx context.Context) (string, error) {
	if len(a) == 1 {
		return a[0].WaitRebootNeeded(ctx)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type answer struct {
		why string
		err error
	}
	answers := make(chan answer, len(a))
	for _, s := range a {
		go func() {
			why, err := s.WaitRebootNeeded(ctx)
			answers <- answer{why, err}
		}()
	}
	first := <-answers
	return first.why, first.err
}

// RebootNeeded is true if any source says so; errors count only when no
// source says so.
func (a anySource) RebootNeeded(ctx context.Context) (bool, error) {
	var errs []error
	for _, s := range a {
		needed, err := s.RebootNeeded(ctx)
		if needed {
			return true, nil
		}
		errs = append(errs, err)
	}
	return false, errors.Join(errs...)
}

// login is the daemon.Rebooter and daemon.Sessions of logind on the bus.
type login struct{ bus *bus }

// manager returns logind on the bus, connecting if needed.
func (l login) manager() (*logind.Manager, error) {
	conn, err := l.bus.get()
	if err != nil {
		return nil, err
	}
	return logind.New(conn), nil
}

// Reboot asks logind to reboot.
func (l login) Reboot(ctx context.Context) error {
	m, err := l.manager()
	if err != nil {
		return err
	}
	return m.Reboot(ctx)
}

// InteractiveSessions lists the people logged in.
func (l login) InteractiveSessions(ctx context.Context) ([]daemon.Session, error) {
	m, err := l.manager()
	if err != nil {
		return nil, err
	}
	sessions, err := m.InteractiveSessions(ctx)
	if err != nil {
		return nil, err
	}
	people := make([]daemon.Session, len(sessions))
	for i, s := range sessions {
		people[i] = daemon.Session{User: s.User, TTY: s.TTY, RemoteHost: s.RemoteHost}
	}
	return people, nil
}

// WarnReboot has logind warn everyone logged in of the reboot at `at`.
func (l login) WarnReboot(ctx context.Context, at time.Time, message string) error {
	m, err := l.manager()
	if err != nil {
		return err
	}
	return m.WarnReboot(ctx, at, message)
}

// CancelWarning calls logind's warning off.
func (l login) CancelWarning(ctx context.Context) error {
	m, err := l.manager()
	if err != nil {
		return err
	}
	return m.CancelWarning(ctx)
}
