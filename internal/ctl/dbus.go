package ctl

import (
	"context"
	"fmt"
	"time"

	"github.com/godbus/dbus/v5"
)

// connectBus connects to the bus at --dbus-address and returns the
// connection and a function that closes it. The connection lives until ctx
// ends or it is closed; --timeout bounds only the connection handshake.
func (r *run) connectBus(ctx context.Context) (*dbus.Conn, func(), error) {
	connCtx, cancel := context.WithCancel(ctx)
	var timer *time.Timer
	if r.opts.timeout > 0 {
		timer = time.AfterFunc(r.opts.timeout, cancel)
	}
	conn, err := dbus.Connect(r.opts.dbusAddress, dbus.WithContext(connCtx))
	if timer != nil && !timer.Stop() {
		// The handshake outlived --timeout: the connection is closed.
		err = fmt.Errorf("no answer within %s (see --timeout)", r.opts.timeout)
	}
	if err != nil {
		cancel()
		return nil, nil, fmt.Errorf("connect to D-Bus at %s: %w", r.opts.dbusAddress, err)
	}
	return conn, func() {
		_ = conn.Close()
		cancel()
	}, nil
}

// flushBus returns once the bus has routed every message sent on conn
// before: the bus handles a connection's messages in order, so the reply to
// a ping comes after them.
func flushBus(ctx context.Context, conn *dbus.Conn) error {
	return conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.Peer.Ping", 0).Err
}
