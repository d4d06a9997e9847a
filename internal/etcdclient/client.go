// Package etcdclient builds the etcd v3 client that locksmithd and
// locksmithctl share, from locksmith's connection settings: endpoints, TLS
// files and user name/password.
package etcdclient

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
)

// DefaultEndpoint is locksmith's default etcd endpoint.
const DefaultEndpoint = "http://127.0.0.1:2379"

// Keep-alive of the client's connections: a member that does not answer a
// ping within KeepAliveTimeout is dropped and the client moves to another.
const (
	KeepAliveTime    = 5 * time.Second
	KeepAliveTimeout = 5 * time.Second
)

// ErrInvalidConfig is wrapped by every error Validate returns.
var ErrInvalidConfig = errors.New("invalid etcd connection settings")

// Config holds the connection settings. Each TLS file may be given alone:
// a CA file without a client certificate verifies the server only, a
// client certificate needs its key.
type Config struct {
	Endpoints    []string // http://, https:// or unix:// URLs; DefaultEndpoint when empty
	CAFile       string   // PEM bundle to verify the server
	CertFile     string   // client certificate (PEM), needs KeyFile
	KeyFile      string   // client key (PEM), needs CertFile
	Username     string
	Password     string
	PasswordFile string        // file whose first line is the password; exclusive with Password
	DialTimeout  time.Duration // 5 s when zero
	// DialOptions are passed to gRPC as they are (e.g. interceptors that
	// count requests in benchmarks).
	DialOptions []grpc.DialOption
}

// Validate checks the settings without touching the network or the files'
// contents. Its errors wrap ErrInvalidConfig and name the setting and value
// at fault.
func (c Config) Validate() error {
	for _, ep := range c.Endpoints {
		u, err := url.Parse(ep)
		if err != nil || u.Host == "" && u.Scheme != "unix" || u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "unix" {
			return fmt.Errorf("%w: endpoint %q is not an http://, https:// or unix:// URL with a host", ErrInvalidConfig, ep)
		}
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return fmt.Errorf("%w: client certificate %q and key %q must be given together", ErrInvalidConfig, c.CertFile, c.KeyFile)
	}
	if c.Password != "" && c.PasswordFile != "" {
		return fmt.Errorf("%w: give either a password or a password file (%q), not both", ErrInvalidConfig, c.PasswordFile)
	}
	if c.Username == "" && (c.Password != "" || c.PasswordFile != "") {
		return fmt.Errorf("%w: a password is given without a user name", ErrInvalidConfig)
	}
	if c.DialTimeout < 0 {
		return fmt.Errorf("%w: negative dial timeout %s", ErrInvalidConfig, c.DialTimeout)
	}
	return nil
}

// Warnings lists settings that are legal but probably not what the
// operator meant, such as TLS files with only plain-HTTP endpoints (the
// files are then unused).
func (c Config) Warnings() []string {
	var w []string
	if c.CAFile != "" || c.CertFile != "" {
		tlsEndpoint := false
		for _, ep := range c.endpoints() {
			tlsEndpoint = tlsEndpoint || strings.HasPrefix(ep, "https://")
		}
		if !tlsEndpoint {
			w = append(w, "TLS files are set but no endpoint uses https://; they are not used")
		}
	}
	return w
}

func (c Config) endpoints() []string {
	if len(c.Endpoints) == 0 {
		return []string{DefaultEndpoint}
	}
	return c.Endpoints
}

// New validates c, loads its files and returns a client. The client
// connects lazily: an unreachable cluster shows up as an error of the first
// request, not here. Errors name the file or setting at fault.
func New(c Config) (*clientv3.Client, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	cfg := clientv3.Config{
		Endpoints:   c.endpoints(),
		DialTimeout: c.DialTimeout,
		// Without keep-alive pings gRPC never notices a member that is
		// frozen or cut off behind an open TCP connection, and requests
		// and watches sent to it hang. 5 s is the least etcd servers
		// accept by default.
		DialKeepAliveTime:    KeepAliveTime,
		DialKeepAliveTimeout: KeepAliveTimeout,
		Username:             c.Username,
		Password:             c.Password,
		DialOptions:          c.DialOptions,
		Logger:               zap.NewNop(),
	}
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	if c.PasswordFile != "" {
		b, err := os.ReadFile(c.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("read etcd password file: %w", err)
		}
		cfg.Password, _, _ = strings.Cut(string(b), "\n")
		cfg.Password = strings.TrimSuffix(cfg.Password, "\r")
	}
	tc, err := c.tlsConfig()
	if err != nil {
		return nil, err
	}
	cfg.TLS = tc
	cli, err := clientv3.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("create etcd client for %s: %w", strings.Join(cfg.Endpoints, ","), err)
	}
	return cli, nil
}

func (c Config) tlsConfig() (*tls.Config, error) {
	if c.CAFile == "" && c.CertFile == "" {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read etcd CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("read etcd CA file %s: no PEM certificate found", c.CAFile)
		}
		tc.RootCAs = pool
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load etcd client certificate %s and key %s: %w", c.CertFile, c.KeyFile, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}
