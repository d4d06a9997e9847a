//go:build !linux

package etcdclient

import "syscall"

// userTimeout does nothing where TCP_USER_TIMEOUT does not exist.
func userTimeout(string, string, syscall.RawConn) error { return nil }
