package logind

import (
	"context"
	"errors"
	"fmt"

	"github.com/godbus/dbus/v5"
)

// D-Bus coordinates of logind.
const (
	// BusName is the well-known bus name of logind.
	BusName = "org.freedesktop.login1"
	// ObjectPath is logind's manager object.
	ObjectPath = "/org/freedesktop/login1"
	// ManagerInterface is the interface of [ObjectPath].
	ManagerInterface = "org.freedesktop.login1.Manager"
	// SessionInterface is the interface of each session object.
	SessionInterface = "org.freedesktop.login1.Session"
)

// Manager calls logind's manager object.
type Manager struct {
	conn *dbus.Conn
	obj  dbus.BusObject
}

// New returns a Manager that calls logind over conn, which must be
// connected, authenticated and Hello'd (as from dbus.ConnectSystemBus). The
// Manager never closes conn.
func New(conn *dbus.Conn) *Manager {
	return &Manager{conn: conn, obj: conn.Object(BusName, ObjectPath)}
}

// Reboot asks logind to reboot the machine now, without interactive
// authorization (Reboot(false)). It returns nil once logind has accepted
// the request (the machine then goes down), or an error naming logind and
// carrying the D-Bus error (for example access denied or a blocking
// inhibitor), ctx's error if ctx ends first, or the connection's error.
func (m *Manager) Reboot(ctx context.Context) error {
	if err := m.obj.CallWithContext(ctx, ManagerInterface+".Reboot", 0, false).Err; err != nil {
		return fmt.Errorf("logind: Reboot: %w", describe(err))
	}
	return nil
}

// describe adds the D-Bus error name to err's message, which godbus leaves
// out; errors.As still finds the dbus.Error.
func describe(err error) error {
	var dbusErr dbus.Error
	if errors.As(err, &dbusErr) {
		return fmt.Errorf("%s: %w", dbusErr.Name, err)
	}
	return err
}
