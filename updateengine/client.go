package updateengine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/godbus/dbus/v5"
)

// ErrDisconnected is returned (wrapped) when the bus connection closes while
// a [Client] uses it.
var ErrDisconnected = errors.New("d-bus connection closed")

// Client talks to update_engine over a bus connection. Several Clients and
// goroutines may share one connection: each call uses its own match rules and
// signal channel and removes only those.
type Client struct {
	conn   *dbus.Conn
	obj    dbus.BusObject
	logger *slog.Logger
}

// New returns a Client that uses conn, which must be connected,
// authenticated and Hello'd (as from dbus.ConnectSystemBus). The Client never
// closes conn. A nil logger discards the Client's logs.
func New(conn *dbus.Conn, logger *slog.Logger) *Client {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Client{conn: conn, obj: conn.Object(BusName, ObjectPath), logger: logger}
}

// GetStatus asks update_engine for its current status. It returns an error
// if the call fails (update_engine not on the bus, D-Bus error reply), if the
// reply is not the five values "xdssx" (the error names the signature
// received), if ctx ends first (wrapping ctx's error) or if the connection
// closes (wrapping [ErrDisconnected]).
func (c *Client) GetStatus(ctx context.Context) (Status, error) {
	call := c.obj.CallWithContext(ctx, methodGetStatus, 0)
	if call.Err != nil {
		return Status{}, fmt.Errorf("updateengine: GetStatus: %w", c.callError(ctx, call.Err))
	}
	st, err := parseStatus(call.Body)
	if err != nil {
		return Status{}, fmt.Errorf("updateengine: GetStatus reply: %w", err)
	}
	return st, nil
}

// callError explains why a bus call failed: the context ended, the bus
// replied with a D-Bus error (whose name godbus leaves out of the message),
// or the connection failed (closed, or broken while writing), which wraps
// [ErrDisconnected].
func (c *Client) callError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var dbusErr dbus.Error
	if errors.As(err, &dbusErr) {
		return fmt.Errorf("%s: %w", dbusErr.Name, err)
	}
	return fmt.Errorf("%w: %w", ErrDisconnected, err)
}
