package dbustest

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/godbus/dbus/v5"
)

// ErrNoStats is returned (wrapped) by [Bus.MatchRules] when dbus-daemon was
// built without its org.freedesktop.DBus.Debug.Stats interface.
var ErrNoStats = errors.New("dbus-daemon has no Debug.Stats interface")

// MatchRules returns the match rules the bus holds for the connection with
// unique name name (empty if none), as the bus daemon reports them through
// org.freedesktop.DBus.Debug.Stats.GetAllMatchRules. It returns an error
// wrapping [ErrNoStats] if the daemon lacks that interface.
func (b *Bus) MatchRules(ctx context.Context, name string) ([]string, error) {
	conn, err := b.Connect()
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var all map[string][]string
	err = conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.Debug.Stats.GetAllMatchRules", 0).Store(&all)
	var dbusErr dbus.Error
	if errors.As(err, &dbusErr) && (dbusErr.Name == "org.freedesktop.DBus.Error.UnknownInterface" || dbusErr.Name == "org.freedesktop.DBus.Error.UnknownMethod") {
		return nil, fmt.Errorf("dbustest: match rules of %s: %w (%w)", name, ErrNoStats, err)
	}
	if err != nil {
		return nil, fmt.Errorf("dbustest: match rules of %s: %w", name, err)
	}
	return all[name], nil
}

// SignalChannels is a signal handler for a connection
// (dbus.WithSignalHandler) that delivers signals like godbus' sequential
// handler and counts the channels registered with conn.Signal and not yet
// removed, so that a test can check that the code under test removes its
// channels.
type SignalChannels struct {
	inner      fullSignalHandler
	mu         sync.Mutex
	registered map[chan<- *dbus.Signal]bool
}

// fullSignalHandler is what godbus' own signal handlers implement.
type fullSignalHandler interface {
	dbus.SignalHandler
	dbus.SignalRegistrar
	dbus.Terminator
}

// NewSignalChannels returns a SignalChannels with no channel registered.
func NewSignalChannels() *SignalChannels {
	inner := dbus.NewSequentialSignalHandler().(fullSignalHandler)
	return &SignalChannels{inner: inner, registered: make(map[chan<- *dbus.Signal]bool)}
}

// Registered returns how many channels are registered.
func (s *SignalChannels) Registered() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.registered)
}

// DeliverSignal implements dbus.SignalHandler.
func (s *SignalChannels) DeliverSignal(iface, name string, signal *dbus.Signal) {
	s.inner.DeliverSignal(iface, name, signal)
}

// AddSignal implements dbus.SignalRegistrar.
func (s *SignalChannels) AddSignal(ch chan<- *dbus.Signal) {
	s.mu.Lock()
	s.registered[ch] = true
	s.mu.Unlock()
	s.inner.AddSignal(ch)
}

// RemoveSignal implements dbus.SignalRegistrar.
func (s *SignalChannels) RemoveSignal(ch chan<- *dbus.Signal) {
	s.mu.Lock()
	delete(s.registered, ch)
	s.mu.Unlock()
	s.inner.RemoveSignal(ch)
}

// Terminate implements dbus.Terminator: the connection closed, which closes
// and unregisters every channel.
func (s *SignalChannels) Terminate() {
	s.mu.Lock()
	clear(s.registered)
	s.mu.Unlock()
	s.inner.Terminate()
}
