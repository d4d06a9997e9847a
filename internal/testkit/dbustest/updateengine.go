package dbustest

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"

	"locksmith.dev/locksmith/updateengine"
)

// UpdateEngine stands in for update_engine on a [Bus]: its own connection
// owns com.coreos.update1 and exports GetStatus, which returns the status
// last set. Its methods are safe for concurrent use.
type UpdateEngine struct {
	bus  *Bus
	stMu sync.Mutex
	st   updateengine.Status
	// connMu guards conn, which owns the name, and former, the
	// connections that gave it up through Replace and are still open.
	connMu sync.Mutex
	conn   *dbus.Conn
	former []*dbus.Conn
}

// ServeUpdateEngine connects to b, exports GetStatus returning initial, and
// takes the name com.coreos.update1. It returns an error if it cannot
// connect or if the name already has an owner.
func ServeUpdateEngine(b *Bus, initial updateengine.Status) (*UpdateEngine, error) {
	u := &UpdateEngine{bus: b, st: initial}
	conn, err := u.own(nil)
	if err != nil {
		return nil, err
	}
	u.conn = conn
	return u, nil
}

// own opens a new connection that serves GetStatus and owns the name. If
// release is not nil, own calls it once the new connection watches the name;
// it must make the current owner give the name up, and own waits until the
// bus says so before taking the name. The bus thus announces the old owner
// leaving, then the new one arriving, as when update_engine restarts.
func (u *UpdateEngine) own(release func() error) (*dbus.Conn, error) {
	conn, err := u.bus.Connect()
	if err != nil {
		return nil, err
	}
	err = conn.ExportMethodTable(map[string]any{"GetStatus": u.getStatus}, updateengine.ObjectPath, updateengine.Interface)
	if err == nil && release != nil {
		err = waitReleased(conn, updateengine.BusName, release)
	}
	if err == nil {
		err = requestName(conn, updateengine.BusName)
	}
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("dbustest: serve update_engine: %w", err)
	}
	return conn, nil
}

// getStatus implements com.coreos.update1.Manager.GetStatus.
func (u *UpdateEngine) getStatus() (lastChecked int64, progress float64, operation, newVersion string, newSize int64, _ *dbus.Error) {
	u.stMu.Lock()
	defer u.stMu.Unlock()
	return u.st.LastCheckedTime, u.st.Progress, u.st.CurrentOperation, u.st.NewVersion, u.st.NewSize, nil
}

// SetStatus sets what GetStatus returns from now on, without a signal.
func (u *UpdateEngine) SetStatus(st updateengine.Status) {
	u.stMu.Lock()
	defer u.stMu.Unlock()
	u.st = st
}

// Emit broadcasts a StatusUpdate signal carrying st from the owner of the
// name, without changing what GetStatus returns. It returns an error if the
// signal cannot be sent.
func (u *UpdateEngine) Emit(st updateengine.Status) error {
	return u.EmitBody(st.Body()...)
}

// EmitBody broadcasts a StatusUpdate signal with an arbitrary body from the
// owner of the name, to test how receivers handle malformed signals.
func (u *UpdateEngine) EmitBody(body ...any) error {
	return SendStatusUpdate(u.Conn(), "", body...)
}

// SetStatusAndEmit sets the status, then broadcasts it, as update_engine
// does on every change.
func (u *UpdateEngine) SetStatusAndEmit(st updateengine.Status) error {
	u.SetStatus(st)
	return u.Emit(st)
}

// Conn returns the connection that currently owns the name.
func (u *UpdateEngine) Conn() *dbus.Conn {
	u.connMu.Lock()
	defer u.connMu.Unlock()
	return u.conn
}

// Owner returns the unique name of the connection that currently owns the
// name.
func (u *UpdateEngine) Owner() string {
	return u.Conn().Names()[0]
}

// Restart simulates update_engine restarting: it closes the owning
// connection, waits until the bus has released the name, then owns the name
// again from a new connection (with a new unique name). The status is kept.
// It returns an error if the new connection cannot own the name; the
// stand-in is then off the bus.
func (u *UpdateEngine) Restart() error {
	u.connMu.Lock()
	defer u.connMu.Unlock()
	old := u.conn
	return u.reown(old.Close)
}

// Replace hands the name to a new connection like [UpdateEngine.Restart],
// but the previous owner only releases the name and stays connected. It
// returns that former owner, so a test can send signals from a connection
// that no longer owns the name. [UpdateEngine.Close] closes it.
func (u *UpdateEngine) Replace() (former *dbus.Conn, err error) {
	u.connMu.Lock()
	defer u.connMu.Unlock()
	former = u.conn
	u.former = append(u.former, former)
	return former, u.reown(func() error {
		reply, err := former.ReleaseName(updateengine.BusName)
		if err == nil && reply != dbus.ReleaseNameReplyReleased {
			err = fmt.Errorf("%v", reply)
		}
		if err != nil {
			return fmt.Errorf("release %s: %w", updateengine.BusName, err)
		}
		return nil
	})
}

// reown replaces the owning connection by a new one, see own; u.connMu is
// held.
func (u *UpdateEngine) reown(release func() error) error {
	conn, err := u.own(release)
	if err != nil {
		return err
	}
	u.conn = conn
	return nil
}

// Close closes the owning connection and former owners, which releases the
// name. It returns the first error closing them.
func (u *UpdateEngine) Close() error {
	u.connMu.Lock()
	defer u.connMu.Unlock()
	errs := []error{u.conn.Close()}
	for _, c := range u.former {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// SendStatusUpdate sends a StatusUpdate signal with body from conn, as if
// from update_engine's object and interface. With dest "" it is broadcast
// (delivered only to match rules that accept conn as sender); otherwise it is
// sent to the connection dest alone, which receives it whatever its match
// rules say. Tests use it to spoof update_engine.
func SendStatusUpdate(conn *dbus.Conn, dest string, body ...any) error {
	msg := &dbus.Message{
		Type: dbus.TypeSignal,
		Headers: map[dbus.HeaderField]dbus.Variant{
			dbus.FieldPath:      dbus.MakeVariant(dbus.ObjectPath(updateengine.ObjectPath)),
			dbus.FieldInterface: dbus.MakeVariant(updateengine.Interface),
			dbus.FieldMember:    dbus.MakeVariant(updateengine.SignalStatusUpdate),
		},
		Body: body,
	}
	if dest != "" {
		msg.Headers[dbus.FieldDestination] = dbus.MakeVariant(dest)
	}
	if len(body) > 0 {
		msg.Headers[dbus.FieldSignature] = dbus.MakeVariant(dbus.SignatureOf(body...))
	}
	if call := conn.Send(msg, nil); call.Err != nil {
		return fmt.Errorf("dbustest: send StatusUpdate: %w", call.Err)
	}
	return nil
}

// requestName makes conn the primary owner of name, or fails.
func requestName(conn *dbus.Conn, name string) error {
	reply, err := conn.RequestName(name, dbus.NameFlagDoNotQueue)
	if err != nil {
		return fmt.Errorf("request name %s: %w", name, err)
	}
	if reply != dbus.RequestNameReplyPrimaryOwner {
		return fmt.Errorf("request name %s: %v", name, reply)
	}
	return nil
}

// releaseTimeout bounds the wait for the bus to release a name.
const releaseTimeout = 30 * time.Second

// waitReleased calls release and waits until the bus tells conn that name
// has no owner. It returns release's error, or an error if the bus does not
// say so within releaseTimeout.
func waitReleased(conn *dbus.Conn, name string, release func() error) error {
	signals := make(chan *dbus.Signal, 16)
	conn.Signal(signals)
	defer conn.RemoveSignal(signals)
	rule := []dbus.MatchOption{
		dbus.WithMatchSender("org.freedesktop.DBus"),
		dbus.WithMatchMember("NameOwnerChanged"),
		dbus.WithMatchArg(0, name),
	}
	if err := conn.AddMatchSignal(rule...); err != nil {
		return fmt.Errorf("watch %s: %w", name, err)
	}
	defer func() { _ = conn.RemoveMatchSignal(rule...) }()
	if err := release(); err != nil {
		return err
	}
	timeout := time.After(releaseTimeout)
	for {
		select {
		case sig, ok := <-signals:
			if !ok {
				return fmt.Errorf("connection closed while waiting for %s to be released", name)
			}
			if sig.Sender == "org.freedesktop.DBus" && sig.Name == "org.freedesktop.DBus.NameOwnerChanged" &&
				len(sig.Body) == 3 && sig.Body[0] == name && sig.Body[2] == "" {
				return nil
			}
		case <-timeout:
			return fmt.Errorf("%s still owned after %v", name, releaseTimeout)
		}
	}
}
