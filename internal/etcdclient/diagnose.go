package etcdclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrUnreachable is matched by the errors of [Config.Diagnose].
var ErrUnreachable = errors.New("etcd unreachable")

// UnreachableError says, in plain words, why no endpoint can serve: one problem per endpoint,
// such as "connection refused by 127.0.0.1:2379". It matches ErrUnreachable.
type UnreachableError struct {
	Problems []string
	// NoServer reports that no endpoint had a server at all (refused, not resolving, no
	// socket), rather than one that TLS could not agree with.
	NoServer bool
}

func (e *UnreachableError) Error() string        { return strings.Join(e.Problems, "; ") }
func (e *UnreachableError) Is(target error) bool { return target == ErrUnreachable }

// Diagnose tries every endpoint of c at the transport level, at once and within timeout: a TCP
// (or unix socket) connection and, for https://, a TLS handshake with c's files. It returns nil
// as soon as one endpoint could serve, or when an endpoint merely does not answer in time (a
// slow server is for the request's own timeout to judge), and otherwise an *UnreachableError
// naming each endpoint's problem: refused, not resolving, plain HTTP where TLS was asked for, a
// certificate signed by an unknown authority or for another host, a client certificate refused.
// An invalid configuration is returned as it is.
func (c Config) Diagnose(ctx context.Context, timeout time.Duration) error {
	f, err := c.checked()
	if err != nil {
		return err
	}
	return c.diagnose(ctx, f, timeout)
}

// diagnose is Diagnose with c's files loaded as f.
func (c Config) diagnose(ctx context.Context, f loaded, timeout time.Duration) error {
	eps := c.endpoints()
	type result struct {
		problem  string
		noServer bool
	}
	results := make(chan result, len(eps))
	for _, ep := range eps {
		go func() {
			p, none := probe(ctx, ep, f.tls, timeout)
			results <- result{p, none}
		}()
	}
	e := &UnreachableError{NoServer: true}
	for range eps {
		r := <-results
		if r.problem == "" {
			return nil
		}
		e.Problems = append(e.Problems, r.problem)
		e.NoServer = e.NoServer && r.noServer
	}
	if ctx.Err() != nil {
		return nil // the caller gave up: its own error says so
	}
	return e
}

// probe tries one endpoint and returns its problem, "" when it could serve or did not answer in
// time, and whether no server was there at all.
func probe(ctx context.Context, endpoint string, tlsConfig *tls.Config, timeout time.Duration) (string, bool) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return fmt.Sprintf("endpoint %q is not a URL", endpoint), false
	}
	network, addr := "tcp", u.Host
	if u.Scheme == "unix" || u.Scheme == "unixs" {
		network, addr = "unix", u.Host+u.Path
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		p := dialProblem(addr, err)
		return p, p != ""
	}
	defer conn.Close()
	if u.Scheme != "https" && u.Scheme != "unixs" {
		return "", false
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if tlsConfig != nil {
		cfg = tlsConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = u.Hostname()
	}
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return tlsProblem(addr, err), false
	}
	// With TLS 1.3 a server that refuses the client certificate says so after the handshake.
	_ = tc.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := tc.Read(make([]byte, 1)); err != nil && strings.Contains(err.Error(), "remote error: tls:") {
		return tlsProblem(addr, err), false
	}
	return "", false
}

// dialProblem words a failed connection; "" for a time-out.
func dialProblem(addr string, err error) string {
	var dns *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused by " + addr
	case errors.As(err, &dns):
		return fmt.Sprintf("%s does not resolve (%s)", dns.Name, strings.TrimPrefix(dns.Err, "lookup "))
	case errors.Is(err, syscall.ENOENT):
		return "no socket at " + addr
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || errors.Is(err, syscall.ETIMEDOUT):
		return "" // no verdict: a slow endpoint, or the caller gave up
	}
	return fmt.Sprintf("cannot connect to %s: %v", addr, err)
}

// tlsProblem words a failed TLS handshake.
func tlsProblem(addr string, err error) string {
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var record tls.RecordHeaderError
	switch {
	case errors.As(err, &record):
		return addr + " answers plain HTTP, not TLS (use http:// for it, or enable TLS on the server)"
	case errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET):
		return addr + " hung up at the TLS handshake: it likely does not speak TLS (use http:// for it, or enable TLS on the server)"
	case errors.As(err, &unknown):
		return "the certificate of " + addr + " is signed by an authority this host does not trust (set --etcd-cafile to the CA that signed it)"
	case errors.As(err, &host):
		return "the certificate of " + addr + " is not for that name (" + host.Error() + ")"
	case strings.Contains(err.Error(), "remote error: tls: certificate required"):
		return addr + " requires a client certificate (set --etcd-certfile and --etcd-keyfile)"
	case strings.Contains(err.Error(), "remote error: tls:"):
		return addr + " refused the client certificate (check --etcd-certfile and --etcd-keyfile)"
	}
	return fmt.Sprintf("TLS with %s failed: %v", addr, err)
}
