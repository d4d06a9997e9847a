package logind

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/godbus/dbus/v5"
)

// D-Bus errors for a session that ended between ListSessions and the
// reading of its properties.
var sessionGoneErrors = []string{
	"org.freedesktop.DBus.Error.UnknownObject",
	"org.freedesktop.login1.NoSuchSession",
}

// interactiveTypes are the session types of a person at a terminal or a
// graphical display.
var interactiveTypes = []string{"tty", "x11", "wayland", "mir"}

// Session is a logind session.
type Session struct {
	ID         string // session id, e.g. "3" or "c1"
	User       string // user name
	UID        uint32 // user id
	Seat       string // seat id, "" if none
	TTY        string // terminal, e.g. "pts/0", "" if none
	RemoteHost string // host the user came from, "" if local or unknown
	// Type is "tty", "x11", "wayland", "mir" or "unspecified".
	Type string
	// Class is "user", "greeter", "lock-screen", "background", "manager"…
	Class string
	// State is "online", "active" or "closing".
	State string
	// Remote is true for a session opened from another host (ssh).
	Remote bool
}

// Interactive reports whether s is a person logged in: a session of class
// "user" that is not closing and is either on a terminal or graphical
// display (type tty, x11, wayland or mir) or remote (e.g. ssh). Services,
// cron jobs, user managers (class "manager") and greeters are not
// interactive.
func (s Session) Interactive() bool {
	if s.Class != "user" || s.State == "closing" {
		return false
	}
	return s.Remote || slices.Contains(interactiveTypes, s.Type)
}

// ListedSession is an entry of the reply of logind's ListSessions, whose
// D-Bus signature is a(susso). [Manager.InteractiveSessions] reads the rest
// of a session's facts from the object at Path.
type ListedSession struct {
	ID   string          // session id
	UID  uint32          // user id
	User string          // user name
	Seat string          // seat id, "" if none
	Path dbus.ObjectPath // the session's object
}

// InteractiveSessions lists logind's sessions and returns those that are
// [Session.Interactive], in logind's order (nil if none). A session that
// ends while being listed is left out. It returns an error naming logind if
// a call fails or a property has an unexpected type or is missing, ctx's
// error if ctx ends first.
func (m *Manager) InteractiveSessions(ctx context.Context) ([]Session, error) {
	var listed []ListedSession
	if err := m.obj.CallWithContext(ctx, ManagerInterface+".ListSessions", 0).Store(&listed); err != nil {
		return nil, fmt.Errorf("logind: ListSessions: %w", describe(err))
	}
	var sessions []Session
	for _, l := range listed {
		s, err := m.session(ctx, l)
		if isSessionGone(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if s.Interactive() {
			sessions = append(sessions, s)
		}
	}
	return sessions, nil
}

// session reads the properties of a listed session.
func (m *Manager) session(ctx context.Context, l ListedSession) (Session, error) {
	var props map[string]dbus.Variant
	err := m.conn.Object(BusName, l.Path).CallWithContext(ctx, "org.freedesktop.DBus.Properties.GetAll", 0, SessionInterface).Store(&props)
	if err != nil {
		return Session{}, fmt.Errorf("logind: session %s: get properties: %w", l.ID, describe(err))
	}
	s := Session{ID: l.ID, User: l.User, UID: l.UID, Seat: l.Seat}
	errs := []error{
		property(props, "TTY", &s.TTY),
		property(props, "RemoteHost", &s.RemoteHost),
		property(props, "Type", &s.Type),
		property(props, "Class", &s.Class),
		property(props, "State", &s.State),
		property(props, "Remote", &s.Remote),
	}
	if err := errors.Join(errs...); err != nil {
		return Session{}, fmt.Errorf("logind: session %s: %w", l.ID, err)
	}
	return s, nil
}

// property stores the property name of props in dst, or says why it cannot.
func property[T any](props map[string]dbus.Variant, name string, dst *T) error {
	v, ok := props[name]
	if !ok {
		return fmt.Errorf("property %s missing", name)
	}
	val, ok := v.Value().(T)
	if !ok {
		return fmt.Errorf("property %s has type %s, want %s", name, v.Signature(), dbus.SignatureOf(*dst))
	}
	*dst = val
	return nil
}

// isSessionGone reports whether err says that the session no longer exists.
func isSessionGone(err error) bool {
	var dbusErr dbus.Error
	return errors.As(err, &dbusErr) && slices.Contains(sessionGoneErrors, dbusErr.Name)
}
