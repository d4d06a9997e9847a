package service

import (
	"fmt"
	"sync"

	"github.com/godbus/dbus/v5"
)

// bus is a connection to the system bus that is made on first use and made
// again after it dropped (dbus-daemon restarted), so that one lost
// connection does not end the daemon.
type bus struct {
	address string

	mu   sync.Mutex
	conn *dbus.Conn
}

// get returns a connected, Hello'd connection, connecting if needed.
func (b *bus) get() (*dbus.Conn, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.conn != nil && b.conn.Connected() {
		return b.conn, nil
	}
	conn, err := dbus.Connect(b.address)
	if err != nil {
		return nil, fmt.Errorf("connect to the system bus at %s: %w", b.address, err)
	}
	b.conn = conn
	return conn, nil
}

// close closes the connection, if any.
func (b *bus) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.conn != nil {
		_ = b.conn.Close()
	}
}
