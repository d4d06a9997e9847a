package etcdclient

import (
	"context"
	"net/url"
	"slices"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// Quarantine is how long the client leaves out a member that let a request time out: a frozen
// member, or one cut off behind an open TCP connection, keeps its connection (and its place in
// the client's round-robin) until the keep-alive drops it, and every third request would wait
// for it until then. Back in the list, a member that is still frozen cannot complete a new
// connection and gets no request.
const Quarantine = 10 * time.Second

// quarantine is Quarantine, shortened by tests.
var quarantine = Quarantine

// judged is the least time a request must have waited before its timeout counts against the
// member it went to: a request sent with a tiny deadline proves nothing.
const judged = 200 * time.Millisecond

// failover leaves out of a client's endpoints, for Quarantine, each member that let a request
// time out; at most a minority of them, the latest to time out.
type failover struct {
	quarantine time.Duration
	conns      conns // the client's connections, closed when their member is left out

	mu     sync.Mutex
	client *clientv3.Client // set once the client exists
	all    []string         // the endpoints configured, in order
	out    []*quarantined   // oldest first
}

// quarantined is an endpoint left out, until its timer fires.
type quarantined struct {
	endpoint string
	timer    *time.Timer
}

func newFailover(endpoints []string) *failover {
	return &failover{quarantine: quarantine, all: endpoints}
}

// dialOptions are the dialer whose connections f closes, and the interceptor that watches the
// outcomes of the unary requests. (Streams are left alone: the watches and the client's
// keep-alive stream have no deadline to miss.)
func (f *failover) dialOptions() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithContextDialer(f.conns.dial), grpc.WithChainUnaryInterceptor(func(ctx context.Context,
		method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		var p peer.Peer
		start := time.Now()
		err := invoker(ctx, method, req, reply, cc, append(opts, grpc.Peer(&p))...)
		if status.Code(err) == codes.DeadlineExceeded && p.Addr != nil && time.Since(start) >= judged {
			f.leaveOut(p.Addr.String())
		}
		return err
	})}
}

// leaveOut takes the endpoint whose address (host:port) is addr out of the client's endpoints
// for the quarantine, and closes the connections to it. At most a minority of them is out (one member of three, two of five, none
// of one or two): when one more is due, the one left out first comes back. A timeout is not
// always the member's fault (while a frozen leader is replaced, every member keeps requests
// waiting), so the latest evidence wins, and the client is never left with the member that
// answers last when a whole cluster comes back from an outage.
func (f *failover) leaveOut(addr string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := slices.IndexFunc(f.all, func(ep string) bool { return hostPort(ep) == addr })
	most := (len(f.all) - 1) / 2
	if i < 0 || f.client == nil || most == 0 || slices.ContainsFunc(f.out, func(q *quarantined) bool { return q.endpoint == f.all[i] }) {
		return
	}
	if len(f.out) == most {
		f.out[0].timer.Stop()
		f.out = f.out[1:]
	}
	q := &quarantined{endpoint: f.all[i]}
	q.timer = time.AfterFunc(f.quarantine, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if i := slices.Index(f.out, q); i >= 0 {
			f.out = slices.Delete(f.out, i, i+1)
			f.apply()
		}
	})
	f.out = append(f.out, q)
	f.apply()
	f.conns.closeAll(addr)
}

// apply sets the client's endpoints to those not left out; f.mu is held.
func (f *failover) apply() {
	if f.client == nil {
		return
	}
	in := slices.DeleteFunc(slices.Clone(f.all), func(ep string) bool {
		return slices.ContainsFunc(f.out, func(q *quarantined) bool { return q.endpoint == ep })
	})
	f.client.SetEndpoints(in...)
}

// attach gives f the client whose endpoints it sets.
func (f *failover) attach(c *clientv3.Client) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.client = c
}

// hostPort returns the host:port of an endpoint URL ("http://10.0.0.1:2379" → "10.0.0.1:2379"),
// or "" for one without (unix sockets).
func hostPort(ep string) string {
	u, err := url.Parse(ep)
	if err != nil || u.Port() == "" {
		return ""
	}
	return u.Host
}
