package etcdclient

import "time"

// SetQuarantine shortens the quarantine of the clients made from now on, until the test ends.
func SetQuarantine(t interface{ Cleanup(func()) }, d time.Duration) {
	old := quarantine
	quarantine = d
	t.Cleanup(func() { quarantine = old })
}
