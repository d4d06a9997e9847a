package dbustest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"

	"locksmith.dev/locksmith/internal/logind"
)

const (
	sessionPathPrefix = logind.ObjectPath + "/session"
	propertiesIface   = "org.freedesktop.DBus.Properties"
	errUnknownObject  = "org.freedesktop.DBus.Error.UnknownObject"
	errUnknownIface   = "org.freedesktop.DBus.Error.UnknownInterface"
	errFailed         = "org.freedesktop.DBus.Error.Failed"
	seatPathPrefix    = logind.ObjectPath + "/seat/"
	userPathPrefix    = logind.ObjectPath + "/user/_"
)

// Logind stands in for systemd-logind on a [Bus]: its own connection owns
// org.freedesktop.login1 and serves the manager's Reboot and ListSessions
// and each session's properties (org.freedesktop.DBus.Properties.GetAll).
// Its methods are safe for concurrent use.
type Logind struct {
	conn *dbus.Conn

	mu       sync.Mutex
	sessions []logind.Session
	fail     *dbus.Error
	onReboot func()
	calls    int
	// interactive is the argument of the last Reboot call.
	interactive bool
	// called is closed and replaced on every Reboot call.
	called chan struct{}
	// The scheduled shutdown: ScheduleShutdown's arguments (kind "" when none is scheduled),
	// the wall message, and how many times CancelScheduledShutdown cancelled one.
	scheduledKind string
	scheduledAt   time.Time
	wall          string
	cancels       int
	changed       chan struct{} // closed and replaced whenever the schedule changes
}

// ServeLogind connects to b, exports logind's objects and takes the name
// org.freedesktop.login1. Reboot succeeds and there are no sessions until
// told otherwise. It returns an error if it cannot connect or the name
// already has an owner.
func ServeLogind(b *Bus) (*Logind, error) {
	conn, err := b.Connect()
	if err != nil {
		return nil, err
	}
	l := &Logind{conn: conn, called: make(chan struct{}), changed: make(chan struct{})}
	err = conn.ExportMethodTable(map[string]any{
		"Reboot":                  l.reboot,
		"ListSessions":            l.listSessions,
		"SetWallMessage":          l.setWallMessage,
		"ScheduleShutdown":        l.scheduleShutdown,
		"CancelScheduledShutdown": l.cancelScheduledShutdown,
	}, logind.ObjectPath, logind.ManagerInterface)
	if err == nil {
		err = conn.ExportSubtreeMethodTable(map[string]any{"GetAll": l.getAll}, sessionPathPrefix, propertiesIface)
	}
	if err == nil {
		err = requestName(conn, logind.BusName)
	}
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("dbustest: serve logind: %w", err)
	}
	return l, nil
}

// reboot implements org.freedesktop.login1.Manager.Reboot: it counts the
// call, then fails it if told to, else runs the OnReboot hook.
func (l *Logind) reboot(interactive bool) *dbus.Error {
	l.mu.Lock()
	l.calls++
	l.interactive = interactive
	close(l.called)
	l.called = make(chan struct{})
	fail, hook := l.fail, l.onReboot
	l.mu.Unlock()
	if fail != nil {
		return fail
	}
	if hook != nil {
		hook()
	}
	return nil
}

// RebootCalls returns how many times Reboot was called, failed calls
// included.
func (l *Logind) RebootCalls() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.calls
}

// LastRebootInteractive returns the interactive argument of the last Reboot
// call (false if none): whether the caller allowed polkit to ask a person.
func (l *Logind) LastRebootInteractive() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.interactive
}

// WaitRebootCalls blocks until Reboot has been called at least n times in
// all, failed calls included, and returns nil; or returns ctx's error if ctx
// ends first.
func (l *Logind) WaitRebootCalls(ctx context.Context, n int) error {
	for {
		l.mu.Lock()
		calls, called := l.calls, l.called
		l.mu.Unlock()
		if calls >= n {
			return nil
		}
		select {
		case <-called:
		case <-ctx.Done():
			return fmt.Errorf("dbustest: wait for %d Reboot calls (got %d): %w", n, calls, ctx.Err())
		}
	}
}

// OnReboot sets a hook run on every successful Reboot call, in the
// goroutine serving the call, before the caller gets its reply. nil removes
// the hook.
func (l *Logind) OnReboot(hook func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.onReboot = hook
}

// FailReboot makes every later Reboot call fail with err, as logind does
// when polkit denies the request or an inhibitor blocks it; nil makes them
// succeed again.
func (l *Logind) FailReboot(err *dbus.Error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fail = err
}

// RebootError returns a D-Bus error org.freedesktop.DBus.Error.Failed with
// message msg, for [Logind.FailReboot].
func RebootError(msg string) *dbus.Error {
	return dbus.NewError(errFailed, []any{msg})
}

// SetSessions sets the sessions ListSessions reports from now on. Each
// session's object serves its fields as properties of
// org.freedesktop.login1.Session.
func (l *Logind) SetSessions(sessions []logind.Session) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sessions = append([]logind.Session(nil), sessions...)
}

// listSessions implements org.freedesktop.login1.Manager.ListSessions:
// a(susso) of id, uid, user name, seat id and object path.
func (l *Logind) listSessions() ([]logind.ListedSession, *dbus.Error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	list := make([]logind.ListedSession, len(l.sessions))
	for i, s := range l.sessions {
		list[i] = logind.ListedSession{ID: s.ID, UID: s.UID, User: s.User, Seat: s.Seat, Path: sessionPath(s.ID)}
	}
	return list, nil
}

// getAll implements org.freedesktop.DBus.Properties.GetAll for the session
// objects.
func (l *Logind) getAll(msg dbus.Message, iface string) (map[string]dbus.Variant, *dbus.Error) {
	path, _ := msg.Headers[dbus.FieldPath].Value().(dbus.ObjectPath)
	if iface != logind.SessionInterface {
		return nil, dbus.NewError(errUnknownIface, []any{"no interface " + iface})
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.sessions {
		if sessionPath(s.ID) == path {
			return sessionProperties(s), nil
		}
	}
	return nil, dbus.NewError(errUnknownObject, []any{"no session at " + string(path)})
}

// sessionProperties returns the properties logind gives a session object.
func sessionProperties(s logind.Session) map[string]dbus.Variant {
	return map[string]dbus.Variant{
		"Id":   dbus.MakeVariant(s.ID),
		"Name": dbus.MakeVariant(s.User),
		"User": dbus.MakeVariant(struct {
			UID  uint32
			Path dbus.ObjectPath
		}{s.UID, dbus.ObjectPath(fmt.Sprintf("%s%d", userPathPrefix, s.UID))}),
		"Seat": dbus.MakeVariant(struct {
			ID   string
			Path dbus.ObjectPath
		}{s.Seat, seatPath(s.Seat)}),
		"TTY":        dbus.MakeVariant(s.TTY),
		"RemoteHost": dbus.MakeVariant(s.RemoteHost),
		"Remote":     dbus.MakeVariant(s.Remote),
		"Type":       dbus.MakeVariant(s.Type),
		"Class":      dbus.MakeVariant(s.Class),
		"State":      dbus.MakeVariant(s.State),
	}
}

// sessionPath is the object path of session id, escaped as systemd does.
func sessionPath(id string) dbus.ObjectPath {
	return dbus.ObjectPath(sessionPathPrefix + "/" + escapeLabel(id))
}

// seatPath is the object path of seat id, or "/" without a seat.
func seatPath(id string) dbus.ObjectPath {
	if id == "" {
		return "/"
	}
	return dbus.ObjectPath(seatPathPrefix + escapeLabel(id))
}

// escapeLabel escapes s into an object path element like systemd's
// bus_label_escape: letters, and digits after the first byte, stay; every
// other byte becomes _xx in hex.
func escapeLabel(s string) string {
	if s == "" {
		return "_"
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "_%02x", c)
		}
	}
	return b.String()
}

// Close closes the stand-in's connection, which releases the name.
func (l *Logind) Close() error {
	return l.conn.Close()
}
