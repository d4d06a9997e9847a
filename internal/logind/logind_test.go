package logind_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"

	"locksmith.dev/locksmith/internal/logind"
	"locksmith.dev/locksmith/internal/testkit/dbustest"
)

// setup serves a logind stand-in on a private bus and returns it with a
// Manager on another connection.
func setup(t *testing.T) (*dbustest.Logind, *logind.Manager) {
	t.Helper()
	b := dbustest.StartBusT(t)
	l, err := dbustest.ServeLogind(b)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l, logind.New(b.ConnectT(t))
}

func TestReboot(t *testing.T) {
	l, m := setup(t)
	hooked := make(chan struct{}, 1)
	l.OnReboot(func() { hooked <- struct{}{} })
	if err := m.Reboot(t.Context()); err != nil {
		t.Fatalf("Reboot: %v", err)
	}
	if n := l.RebootCalls(); n != 1 {
		t.Fatalf("logind saw %d Reboot calls, want 1", n)
	}
	if l.LastRebootInteractive() {
		t.Error("Reboot asked for interactive authorization")
	}
	select {
	case <-hooked:
	default:
		t.Fatal("OnReboot hook did not run before Reboot returned")
	}
}

func TestRebootFailure(t *testing.T) {
	l, m := setup(t)
	l.OnReboot(func() { t.Error("OnReboot hook ran for a failed Reboot") })
	l.FailReboot(dbus.NewError("org.freedesktop.DBus.Error.AccessDenied", []any{"Interactive authentication required."}))
	err := m.Reboot(t.Context())
	if err == nil {
		t.Fatal("Reboot succeeded, want logind's error")
	}
	for _, want := range []string{"logind", "Reboot", "org.freedesktop.DBus.Error.AccessDenied", "Interactive authentication required."} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Reboot error %q does not mention %q", err, want)
		}
	}
	var dbusErr dbus.Error
	if !errors.As(err, &dbusErr) || dbusErr.Name != "org.freedesktop.DBus.Error.AccessDenied" {
		t.Errorf("Reboot error %v does not wrap the D-Bus error", err)
	}
	if err := l.WaitRebootCalls(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	// Told to succeed again, it does.
	l.FailReboot(nil)
	l.OnReboot(nil)
	if err := m.Reboot(t.Context()); err != nil {
		t.Fatalf("Reboot after FailReboot(nil): %v", err)
	}
	if n := l.RebootCalls(); n != 2 {
		t.Fatalf("logind saw %d Reboot calls, want 2", n)
	}
}

func TestRebootWithoutLogind(t *testing.T) {
	b := dbustest.StartBusT(t)
	err := logind.New(b.ConnectT(t)).Reboot(t.Context())
	if err == nil || !strings.Contains(err.Error(), "logind: Reboot: org.freedesktop.DBus.Error.ServiceUnknown") {
		t.Fatalf("Reboot error = %v, want a ServiceUnknown naming logind", err)
	}
}

func TestRebootContext(t *testing.T) {
	_, m := setup(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := m.Reboot(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Reboot with a cancelled context: %v, want context.Canceled", err)
	}
}

func TestInteractiveSessions(t *testing.T) {
	l, m := setup(t)
	console := logind.Session{ID: "1", User: "core", UID: 500, Seat: "seat0", TTY: "tty1", Type: "tty", Class: "user", State: "active"}
	ssh := logind.Session{ID: "2", User: "core", UID: 500, RemoteHost: "10.0.0.1", Type: "tty", Class: "user", State: "active", Remote: true, TTY: "pts/0"}
	desktop := logind.Session{ID: "c3", User: "alice", UID: 1000, Seat: "seat0", Type: "wayland", Class: "user", State: "online"}
	remoteUnspecified := logind.Session{ID: "4", User: "bob", UID: 1001, Type: "unspecified", Class: "user", State: "online", Remote: true}
	l.SetSessions([]logind.Session{
		console,
		{ID: "5", User: "core", UID: 500, Type: "unspecified", Class: "manager", State: "active"}, // user manager
		ssh,
		{ID: "6", User: "gdm", UID: 120, Seat: "seat0", Type: "wayland", Class: "greeter", State: "online"}, // login screen
		desktop,
		{ID: "7", User: "core", UID: 500, Type: "unspecified", Class: "background", State: "online"},   // cron
		{ID: "8", User: "carol", UID: 1002, Type: "tty", Class: "user", State: "closing", TTY: "tty2"}, // logged out
		{ID: "9", User: "core", UID: 500, Type: "unspecified", Class: "user", State: "online"},         // e.g. a PAM service
		remoteUnspecified,
	})
	got, err := m.InteractiveSessions(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := []logind.Session{console, ssh, desktop, remoteUnspecified}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("InteractiveSessions =\n%+v\nwant\n%+v", got, want)
	}
	l.SetSessions(nil)
	if got, err := m.InteractiveSessions(t.Context()); err != nil || got != nil {
		t.Fatalf("InteractiveSessions with none = %+v, %v; want nil, nil", got, err)
	}
}

// serveOneSessionLogind owns logind's name on b with a ListSessions that
// lists one session, "1", whose properties getAll serves.
func serveOneSessionLogind(t *testing.T, b *dbustest.Bus, getAll func(string) (map[string]dbus.Variant, *dbus.Error)) {
	t.Helper()
	conn := b.ConnectT(t)
	err := conn.ExportMethodTable(map[string]any{
		"ListSessions": func() ([]logind.ListedSession, *dbus.Error) {
			return []logind.ListedSession{{"1", 500, "core", "", "/org/freedesktop/login1/session/_31"}}, nil
		},
	}, logind.ObjectPath, logind.ManagerInterface)
	if err == nil {
		err = conn.ExportSubtreeMethodTable(map[string]any{"GetAll": getAll}, logind.ObjectPath+"/session", "org.freedesktop.DBus.Properties")
	}
	if err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName(logind.BusName, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("RequestName: %v, %v", reply, err)
	}
}

func TestInteractiveSessionsSkipsVanishedSession(t *testing.T) {
	b := dbustest.StartBusT(t)
	serveOneSessionLogind(t, b, func(string) (map[string]dbus.Variant, *dbus.Error) {
		return nil, dbus.NewError("org.freedesktop.login1.NoSuchSession", []any{"No session '1' known"})
	})
	got, err := logind.New(b.ConnectT(t)).InteractiveSessions(t.Context())
	if err != nil || got != nil {
		t.Fatalf("InteractiveSessions = %+v, %v; want nil, nil", got, err)
	}
}

func TestInteractiveSessionsRejectsBadProperty(t *testing.T) {
	b := dbustest.StartBusT(t)
	serveOneSessionLogind(t, b, func(string) (map[string]dbus.Variant, *dbus.Error) {
		return map[string]dbus.Variant{
			"TTY": dbus.MakeVariant("tty1"), "RemoteHost": dbus.MakeVariant(""),
			"Type": dbus.MakeVariant(uint32(1)), "Class": dbus.MakeVariant("user"), "Remote": dbus.MakeVariant(false),
		}, nil
	})
	_, err := logind.New(b.ConnectT(t)).InteractiveSessions(t.Context())
	for _, want := range []string{"logind: session 1", "property Type has type u, want s", "property State missing"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("InteractiveSessions error = %v, want one with %q", err, want)
		}
	}
}

func TestInteractiveSessionsLogindError(t *testing.T) {
	b := dbustest.StartBusT(t)
	serveOneSessionLogind(t, b, func(string) (map[string]dbus.Variant, *dbus.Error) {
		return nil, dbus.NewError("org.freedesktop.DBus.Error.AccessDenied", []any{"denied"})
	})
	_, err := logind.New(b.ConnectT(t)).InteractiveSessions(t.Context())
	if err == nil || !strings.Contains(err.Error(), "logind: session 1: get properties: org.freedesktop.DBus.Error.AccessDenied: denied") {
		t.Fatalf("InteractiveSessions error = %v, want the AccessDenied of session 1", err)
	}
}
