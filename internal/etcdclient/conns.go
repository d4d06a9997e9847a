package etcdclient

import (
	"context"
	"net"
	"strings"
	"sync"
)

// conns dials the client's connections to the members, and closes those to one member on
// demand. gRPC only drains the connection of an endpoint the client no longer has, so the
// streams on it (the watches, the lease keep-alives) would stay on a frozen member until the
// keep-alive drops the connection, KeepAliveTime and KeepAliveTimeout later: longer than a
// waiter's lease lives. Closing the connection moves them at once.
type conns struct {
	mu   sync.Mutex
	open map[string]map[*conn]struct{} // by dial address
}

// dial connects to addr, as gRPC gives it: host:port, unix:path or unix:///path.
func (cs *conns) dial(ctx context.Context, addr string) (net.Conn, error) {
	network, address := "tcp", addr
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		network, address = "unix", strings.TrimPrefix(path, "//")
	}
	d := net.Dialer{Control: userTimeout}
	nc, err := d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	c := &conn{Conn: nc, cs: cs, remote: dialAddr{network: network, addr: addr}}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.open == nil {
		cs.open = map[string]map[*conn]struct{}{}
	}
	if cs.open[addr] == nil {
		cs.open[addr] = map[*conn]struct{}{}
	}
	cs.open[addr][c] = struct{}{}
	return c, nil
}

// closeAll closes every connection to addr (a dial address).
func (cs *conns) closeAll(addr string) {
	cs.mu.Lock()
	open := cs.open[addr]
	delete(cs.open, addr)
	cs.mu.Unlock()
	for c := range open {
		_ = c.Conn.Close()
	}
}

// forget removes c from the open connections.
func (cs *conns) forget(c *conn) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	delete(cs.open[c.remote.addr], c)
	if len(cs.open[c.remote.addr]) == 0 {
		delete(cs.open, c.remote.addr)
	}
}

// conn is a connection that conns tracks. Its remote address is the address it was dialled
// with, so that gRPC's peer of a request names the member as the endpoints do (a host name
// stays a host name).
type conn struct {
	net.Conn
	cs     *conns
	remote dialAddr
}

// Close closes the connection and forgets it.
func (c *conn) Close() error {
	c.cs.forget(c)
	return c.Conn.Close()
}

// RemoteAddr returns the address the connection was dialled with.
func (c *conn) RemoteAddr() net.Addr { return c.remote }

// dialAddr is a net.Addr made of the network and the address a connection was dialled with.
type dialAddr struct{ network, addr string }

func (a dialAddr) Network() string { return a.network }
func (a dialAddr) String() string  { return a.addr }
