// Package etcdclient builds the etcd v3 client that locksmithd and
// locksmithctl share, from locksmith's connection settings: endpoints, TLS
// files and user name/password.
package etcdclient

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
)

// DiagnoseTimeout bounds the transport-level try of Connect: a refused or mismatched endpoint is
// reported within it.
const DiagnoseTimeout = time.Second

// DefaultEndpoint is locksmith's default etcd endpoint.
const DefaultEndpoint = "http://127.0.0.1:2379"

// The client's connection timeouts (the semaphore's own are in semaphore/timeouts.go; the README's
// "Timeouts" table lists both).
const (
	// KeepAliveTime is the idle time after which the client pings a member: gRPC raises any
	// value below 10 s to 10 s, and etcd accepts pings every 5 s or more.
	KeepAliveTime = 10 * time.Second
	// KeepAliveTimeout is how long a ping may go unanswered before the client drops the
	// connection to that member (a frozen member, or one cut off behind an open TCP
	// connection) and its requests and watches go to the others.
	KeepAliveTimeout = 2 * time.Second
	// ReconnectMaxDelay bounds the wait between two tries to connect to a member that refused:
	// gRPC's default grows to 120 s, which kept waiters from a cluster back from an outage for
	// up to 10 s.
	ReconnectMaxDelay = time.Second
	// ConnectTimeout bounds one try to connect to a member.
	ConnectTimeout = 2 * time.Second
)

// keepAliveTime is KeepAliveTime, lengthened by tests.
var keepAliveTime = KeepAliveTime

// reconnect are the gRPC settings of ReconnectMaxDelay and ConnectTimeout: the first retry after
// 100 ms, growing 1.6 times each, with 20 % jitter.
var reconnect = grpc.WithConnectParams(grpc.ConnectParams{
	Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: ReconnectMaxDelay},
	MinConnectTimeout: ConnectTimeout,
})

// Config holds the connection settings. Each TLS file may be given alone:
// a CA file without a client certificate verifies the server only, a
// client certificate needs its key.
type Config struct {
	// Endpoints are http://, https:// or unix:// URLs. Blanks around an
	// entry and empty entries are ignored, as old locksmith's
	// configuration may have them ("http://a:2379, http://b:2379");
	// DefaultEndpoint is used when none is left.
	Endpoints    []string
	CAFile       string // PEM bundle to verify the server
	CertFile     string // client certificate (PEM), needs KeyFile
	KeyFile      string // client key (PEM), needs CertFile
	Username     string
	Password     string
	PasswordFile string        // file whose first line is the password; exclusive with Password
	DialTimeout  time.Duration // 5 s when zero
	// DialOptions are passed to gRPC as they are (e.g. interceptors that
	// count requests in benchmarks).
	DialOptions []grpc.DialOption
}

// New validates c, loads its files and returns a client. The client
// connects lazily: an unreachable cluster shows up as an error of the first
// request, not here. A setting or file at fault is a *FieldError; an error
// of clientv3 names the endpoints.
func New(c Config) (*clientv3.Client, error) {
	f, err := c.checked()
	if err != nil {
		return nil, err
	}
	return newClient(context.Background(), c, f)
}

// Connect is New, connected before it returns, for a program that makes
// one request and wants a refused connection or a TLS failure reported as
// such, not as the timeout of that request: it waits until the client has
// reached an endpoint (and, with a user name, has its token), and gives up
// after DialTimeout with clientv3's error, which names the last connection
// error, or when ctx ends with an error wrapping context.Cause(ctx). ctx
// bounds only the connecting: the client returned lives until it is
// closed.
//
// First, every endpoint is tried at the transport level for up to DiagnoseTimeout (see
// [Config.Diagnose]): when none can serve (refused, not resolving, a TLS mismatch), Connect
// returns that *UnreachableError at once instead of waiting for ctx.
func Connect(ctx context.Context, c Config) (*clientv3.Client, error) {
	f, err := c.checked()
	if err != nil {
		return nil, err
	}
	if err := c.diagnose(ctx, f, DiagnoseTimeout); err != nil {
		return nil, err
	}
	c.DialOptions = append(slices.Clip(c.DialOptions), grpc.WithBlock(), grpc.WithReturnConnectionError())
	// clientv3 gives up connecting when its base context ends, and ends its
	// own context with it; this one ends with ctx only while connecting.
	base, cancel := context.WithCancel(context.Background())
	stop := context.AfterFunc(ctx, cancel)
	cli, err := newClient(base, c, f)
	if stop() || errors.Is(err, ErrInvalidConfig) {
		return cli, err
	}
	// ctx ended while connecting.
	if cli != nil {
		_ = cli.Close()
	}
	return nil, fmt.Errorf("create etcd client for %s: %w", strings.Join(c.endpoints(), ","), context.Cause(ctx))
}

// checked validates c and loads its files.
func (c Config) checked() (loaded, error) {
	if err := c.Validate(); err != nil {
		return loaded{}, err
	}
	return c.load()
}

// newClient is New with base as clientv3's base context and c's files loaded as f.
func newClient(base context.Context, c Config, f loaded) (*clientv3.Client, error) {
	fo := newFailover(c.endpoints())
	cfg := clientv3.Config{
		Context:     base,
		Endpoints:   c.endpoints(),
		DialTimeout: c.DialTimeout,
		// Without keep-alive pings gRPC never notices a member that is
		// frozen or cut off behind an open TCP connection, and watches
		// sent to it hang.
		DialKeepAliveTime:    keepAliveTime,
		DialKeepAliveTimeout: KeepAliveTimeout,
		Username:             c.Username,
		Password:             c.Password,
		TLS:                  f.tls,
		DialOptions:          append(append([]grpc.DialOption{reconnect}, fo.dialOptions()...), c.DialOptions...),
		Logger:               zap.NewNop(),
	}
	if c.PasswordFile != "" {
		cfg.Password = f.password
	}
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	cli, err := clientv3.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("create etcd client for %s: %w", strings.Join(cfg.Endpoints, ","), err)
	}
	fo.attach(cli)
	return cli, nil
}
