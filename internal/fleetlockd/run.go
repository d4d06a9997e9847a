package fleetlockd

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	clientv3 "go.etcd.io/etcd/client/v3"

	"locksmith.dev/locksmith/fleetlock/server"
	"locksmith.dev/locksmith/internal/envflag"
	"locksmith.dev/locksmith/internal/etcdclient"
	"locksmith.dev/locksmith/semaphore"
)

// Timeouts of the HTTP side.
const (
	readHeaderTimeout = 10 * time.Second
	healthTimeout     = 2 * time.Second
	shutdownTimeout   = 10 * time.Second
)

// ExitCode returns the exit status for an error of [Main]: 0 for nil and --help, 2 for an
// invalid configuration (the unit does not restart on 2), 1 otherwise.
func ExitCode(err error) int {
	switch {
	case err == nil, errors.Is(err, ErrHelp):
		return 0
	case errors.Is(err, ErrInvalid):
		return 2
	default:
		return 1
	}
}

// Main runs locksmith-fleetlockd with args and the environment lookup finds until ctx ends
// (SIGTERM), then stops accepting requests, ends the waits and returns nil. ready, when set, is
// called with the listeners' addresses once they listen (tests use it). Usage goes to stdout,
// logs to stderr.
func Main(ctx context.Context, args []string, lookup envflag.LookupFunc, stdout, stderr io.Writer, ready func(api, metrics net.Addr)) error {
	s, err := Parse(args, lookup, stdout)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: s.LogLevel}))
	tlsConfig, err := s.tlsConfig()
	if err != nil {
		return err
	}
	client, err := etcdclient.New(s.Etcd)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	defer client.Close()
	api, err := listen("listen-address", s.Listen)
	if err != nil {
		return err
	}
	defer api.Close()
	metricsLn := api
	if s.MetricsListen != "" {
		if metricsLn, err = listen("metrics-address", s.MetricsListen); err != nil {
			return err
		}
		defer metricsLn.Close()
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	cfg := server.Config{ClaimTimeout: s.ClaimTimeout, MaxWait: s.MaxWait, Logger: log, Metrics: server.NewMetrics(reg)}
	if s.MaxWait == 0 {
		cfg.MaxWait = -1
	}
	if s.ClientCAFile != "" {
		cfg.Authorize = server.CertificateAuthorizer
	}
	srv := server.New(client, cfg)
	defer srv.Close()

	ops := http.NewServeMux()
	ops.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	ops.Handle("/healthz", health(client))
	apiMux := http.NewServeMux()
	apiMux.Handle("/", srv.Handler())
	if metricsLn == api {
		apiMux.Handle("/metrics", ops)
		apiMux.Handle("/healthz", ops)
	}
	type served struct {
		hs *http.Server
		ln net.Listener
	}
	servers := []served{{&http.Server{Handler: apiMux, ReadHeaderTimeout: readHeaderTimeout, TLSConfig: tlsConfig}, api}}
	if metricsLn != api {
		servers = append(servers, served{&http.Server{Handler: ops, ReadHeaderTimeout: readHeaderTimeout}, metricsLn})
	}
	failed := make(chan error, len(servers))
	for _, sv := range servers {
		go func() {
			var err error
			if sv.hs.TLSConfig != nil {
				err = sv.hs.ServeTLS(sv.ln, s.CertFile, s.KeyFile)
			} else {
				err = sv.hs.Serve(sv.ln)
			}
			if !errors.Is(err, http.ErrServerClosed) {
				failed <- err
			}
		}()
	}
	log.Info("locksmith-fleetlockd serving", "address", api.Addr().String(), "metrics_address", metricsLn.Addr().String(),
		"tls", tlsConfig != nil, "client_certificates", s.ClientCAFile != "", "etcd", s.Etcd.Endpoints,
		"claim_timeout", s.ClaimTimeout, "max_wait", s.MaxWait)
	if ready != nil {
		ready(api.Addr(), metricsLn.Addr())
	}
	select {
	case <-ctx.Done():
		err = nil
	case err = <-failed:
		err = fmt.Errorf("serve: %w", err)
	}
	log.Info("locksmith-fleetlockd stopping")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	go func() { _ = srv.Close() }() // ends long polls, so that Shutdown need not wait for them
	for _, sv := range servers {
		_ = sv.hs.Shutdown(sctx)
	}
	return err
}

// listen opens a TCP listener; an address that is taken or invalid is a configuration error.
func listen(flag, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%w: --%s=%q: %w", ErrInvalid, flag, addr, err)
	}
	return ln, nil
}

// tlsConfig returns the TLS configuration of the FleetLock listener, nil for plain HTTP.
func (s Settings) tlsConfig() (*tls.Config, error) {
	if s.CertFile == "" {
		return nil, nil
	}
	if _, err := tls.LoadX509KeyPair(s.CertFile, s.KeyFile); err != nil {
		return nil, fmt.Errorf("%w: --tls-cert-file/--tls-key-file: %w", ErrInvalid, err)
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.ClientCAFile != "" {
		pem, err := os.ReadFile(s.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("%w: --client-ca-file: %w", ErrInvalid, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%w: --client-ca-file=%q: no PEM certificate in it", ErrInvalid, s.ClientCAFile)
		}
		c.ClientCAs, c.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return c, nil
}

// health answers 200 "ok" when etcd answers a read of the default semaphore's key within
// healthTimeout, and 503 with the error otherwise. The read needs only the node role's rights.
func health(client *clientv3.Client) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
		defer cancel()
		if _, err := client.Get(ctx, semaphore.Key(semaphore.DefaultGroup), clientv3.WithCountOnly()); err != nil {
			http.Error(w, "etcd does not answer: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
}
