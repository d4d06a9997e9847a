package etcdclient

import (
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// SetQuarantine shortens the quarantine of the clients made from now on, until the test ends.
func SetQuarantine(t interface{ Cleanup(func()) }, d time.Duration) {
	old := quarantine
	quarantine = d
	t.Cleanup(func() { quarantine = old })
}

// SetKeepAliveTime sets the keep-alive time of the clients made from now on, until the test ends.
func SetKeepAliveTime(t interface{ Cleanup(func()) }, d time.Duration) {
	old := keepAliveTime
	keepAliveTime = d
	t.Cleanup(func() { keepAliveTime = old })
}

// LeaveOut makes a failover of endpoints for c, reports a timeout of each of the first n, and
// returns the endpoints c has then.
func LeaveOut(c *clientv3.Client, endpoints []string, n int) []string {
	f := newFailover(endpoints)
	f.attach(c)
	c.SetEndpoints(endpoints...)
	for _, ep := range endpoints[:n] {
		f.leaveOut(hostPort(ep))
	}
	return c.Endpoints()
}
