package etcdclient

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// userTimeout sets TCP_USER_TIMEOUT to KeepAliveTimeout on a TCP socket, as gRPC does on the
// connections it dials itself: the kernel drops a connection whose data a member cut off
// behind it leaves unacknowledged that long.
func userTimeout(network, _ string, c syscall.RawConn) error {
	if network != "tcp" && network != "tcp4" && network != "tcp6" {
		return nil
	}
	var err error
	if cerr := c.Control(func(fd uintptr) {
		err = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, int(KeepAliveTimeout.Milliseconds()))
	}); cerr != nil {
		return cerr
	}
	return err
}
