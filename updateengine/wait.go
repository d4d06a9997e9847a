package updateengine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/godbus/dbus/v5"
)

// D-Bus coordinates of the bus daemon itself.
const (
	busDaemonName      = "org.freedesktop.DBus"
	busDaemonPath      = "/org/freedesktop/DBus"
	nameOwnerChanged   = "NameOwnerChanged"
	errNameHasNoOwner  = "org.freedesktop.DBus.Error.NameHasNoOwner"
	errServiceUnknown  = "org.freedesktop.DBus.Error.ServiceUnknown"
	errNoReply         = "org.freedesktop.DBus.Error.NoReply"
	signalBuffer       = 64
	unsubscribeTimeout = 5 * time.Second
)

// WaitNeedReboot blocks until update_engine reports that a reboot is needed
// and returns the status it confirmed with GetStatus.
//
// It first subscribes to StatusUpdate signals of the current owner of
// [BusName] and to owner changes of that name, then asks GetStatus, so no
// transition between the two is lost. If the status already says
// [StatusNeedReboot] it returns at once. Otherwise it waits:
//   - a StatusUpdate from any connection other than the current owner of
//     [BusName] is ignored and logged (another local program may spoof it);
//   - a StatusUpdate whose body is not "xdssx" is ignored and logged;
//   - a StatusUpdate with another operation is ignored (logged at debug);
//   - a StatusUpdate saying [StatusNeedReboot] is a hint: it counts only if
//     GetStatus, asked right then, says so too;
//   - when the owner of [BusName] changes (update_engine restarted), the new
//     owner is followed and asked GetStatus; while nobody owns the name,
//     WaitNeedReboot waits for an owner.
//
// It returns an error wrapping [ErrDisconnected] if the connection closes,
// ctx's error if ctx ends, and any other failure of the bus calls it makes
// (subscribing, looking up the owner, or a GetStatus that fails for another
// reason than update_engine leaving the bus; a malformed GetStatus reply is
// such a failure). Before returning it removes its match rules and signal
// channel from the connection, leaving other users of the connection alone.
func (c *Client) WaitNeedReboot(ctx context.Context) (Status, error) {
	w := &waiter{Client: c, signals: make(chan *dbus.Signal, signalBuffer)}
	c.conn.Signal(w.signals)
	defer c.conn.RemoveSignal(w.signals)
	defer w.unsubscribe(ctx)
	if err := w.subscribe(ctx); err != nil {
		return Status{}, err
	}
	st, done, err := w.follow(ctx)
	if err != nil || done {
		return st, err
	}
	c.logger.Debug("waiting for update_engine to need a reboot", "owner", w.owner, "operation", st.CurrentOperation)
	for {
		select {
		case <-ctx.Done():
			return Status{}, fmt.Errorf("updateengine: wait for reboot needed: %w", ctx.Err())
		case <-c.conn.Context().Done():
			return Status{}, fmt.Errorf("updateengine: wait for reboot needed: %w", ErrDisconnected)
		case sig, ok := <-w.signals:
			if !ok {
				return Status{}, fmt.Errorf("updateengine: wait for reboot needed: %w", ErrDisconnected)
			}
			st, done, err := w.handle(ctx, sig)
			if err != nil || done {
				return st, err
			}
		}
	}
}

// waiter is the state of one WaitNeedReboot call.
type waiter struct {
	*Client
	signals chan *dbus.Signal
	// rules are the match rules added so far, removed on return.
	rules [][]dbus.MatchOption
	// owner is the unique name of the current owner of BusName, "" if none.
	owner string
}

// subscribe adds the match rules for StatusUpdate (from whoever owns
// BusName; the bus daemon resolves the name) and for owner changes of
// BusName.
func (w *waiter) subscribe(ctx context.Context) error {
	rules := [][]dbus.MatchOption{
		{
			dbus.WithMatchSender(busDaemonName),
			dbus.WithMatchObjectPath(busDaemonPath),
			dbus.WithMatchInterface(busDaemonName),
			dbus.WithMatchMember(nameOwnerChanged),
			dbus.WithMatchArg(0, BusName),
		},
		{
			dbus.WithMatchSender(BusName),
			dbus.WithMatchObjectPath(ObjectPath),
			dbus.WithMatchInterface(Interface),
			dbus.WithMatchMember(SignalStatusUpdate),
		},
	}
	for _, rule := range rules {
		if err := w.conn.AddMatchSignalContext(ctx, rule...); err != nil {
			return fmt.Errorf("updateengine: subscribe to %s: %w", BusName, w.callError(ctx, err))
		}
		w.rules = append(w.rules, rule)
	}
	return nil
}

// unsubscribe removes the match rules subscribe added. It runs even when ctx
// has ended, bounded by unsubscribeTimeout; failures are only logged since
// the caller already has its result.
func (w *waiter) unsubscribe(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), unsubscribeTimeout)
	defer cancel()
	for _, rule := range w.rules {
		err := w.conn.RemoveMatchSignalContext(ctx, rule...)
		if err != nil && !errors.Is(w.callError(ctx, err), ErrDisconnected) {
			// A closed connection has no rules left to remove.
			w.logger.Warn("cannot remove match rule", "error", err)
		}
	}
}

// follow looks up the current owner of BusName and, if there is one, asks it
// for its status. done reports whether that status needs a reboot.
func (w *waiter) follow(ctx context.Context) (st Status, done bool, err error) {
	var owner string
	call := w.conn.BusObject().CallWithContext(ctx, busDaemonName+".GetNameOwner", 0, BusName)
	switch {
	case dbusErrorNamed(call.Err, errNameHasNoOwner):
	case call.Err != nil:
		return Status{}, false, fmt.Errorf("updateengine: look up owner of %s: %w", BusName, w.callError(ctx, call.Err))
	default:
		if err := call.Store(&owner); err != nil {
			return Status{}, false, fmt.Errorf("updateengine: look up owner of %s: %w", BusName, err)
		}
	}
	if owner == w.owner && owner != "" {
		return Status{}, false, nil
	}
	w.owner = owner
	if owner == "" {
		w.logger.Info("update_engine is not on the bus; waiting for it", "name", BusName)
		return Status{}, false, nil
	}
	st, ok, err := w.ask(ctx)
	if err != nil || !ok {
		return Status{}, false, err
	}
	w.logger.Info("following update_engine", "owner", owner, "operation", st.CurrentOperation)
	return st, st.NeedReboot(), nil
}

// ask calls GetStatus. ok is false, with a nil error, when update_engine left
// the bus meanwhile: its NameOwnerChanged signal is then on its way.
func (w *waiter) ask(ctx context.Context) (st Status, ok bool, err error) {
	st, err = w.GetStatus(ctx)
	if dbusErrorNamed(err, errNameHasNoOwner, errServiceUnknown, errNoReply) {
		w.logger.Info("update_engine left the bus while asked for its status", "owner", w.owner, "error", err)
		return Status{}, false, nil
	}
	return st, err == nil, err
}

// handle processes one signal received while waiting. done reports whether
// st is a confirmed need for a reboot.
func (w *waiter) handle(ctx context.Context, sig *dbus.Signal) (st Status, done bool, err error) {
	switch {
	case isOwnerChange(sig):
		return w.follow(ctx)
	case sig.Name != signalName || sig.Path != ObjectPath:
		// Another user of the shared connection subscribed to it.
		return Status{}, false, nil
	case sig.Sender != w.owner:
		w.logger.Warn("ignoring StatusUpdate: sender does not own "+BusName, "sender", sig.Sender, "owner", w.owner)
		return Status{}, false, nil
	}
	hint, err := parseStatus(sig.Body)
	if err != nil {
		w.logger.Warn("ignoring malformed StatusUpdate", "sender", sig.Sender, "error", err)
		return Status{}, false, nil
	}
	if !hint.NeedReboot() {
		w.logger.Debug("update_engine status", "operation", hint.CurrentOperation, "progress", hint.Progress)
		return Status{}, false, nil
	}
	st, ok, err := w.ask(ctx)
	if err != nil || !ok {
		return Status{}, false, err
	}
	if !st.NeedReboot() {
		w.logger.Warn("ignoring StatusUpdate: GetStatus does not confirm it", "signal", hint.CurrentOperation, "status", st.CurrentOperation)
		return Status{}, false, nil
	}
	return st, true, nil
}

// isOwnerChange reports whether sig is the bus daemon announcing a new owner
// of BusName. Only the bus daemon can send with its own name as sender.
func isOwnerChange(sig *dbus.Signal) bool {
	if sig.Sender != busDaemonName || sig.Name != busDaemonName+"."+nameOwnerChanged || len(sig.Body) == 0 {
		return false
	}
	name, _ := sig.Body[0].(string)
	return name == BusName
}

// dbusErrorNamed reports whether err is a D-Bus error reply with one of names.
func dbusErrorNamed(err error, names ...string) bool {
	var dbusErr dbus.Error
	return errors.As(err, &dbusErr) && slices.Contains(names, dbusErr.Name)
}
