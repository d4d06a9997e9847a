package embedetcd

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// ErrNotReady is returned by Start when the member does not become ready
// within its start timeout.
var ErrNotReady = errors.New("embedded etcd did not become ready")

// Config describes one single-member cluster. The zero value (but for Dir)
// is a plain-HTTP member on a kernel-chosen loopback port.
type Config struct {
	// Dir holds the member's data. It must exist or be creatable; the
	// caller removes it.
	Dir string
	// Name of the member; "default" when empty.
	Name string
	// TLS, when set, serves clients over HTTPS with these files.
	TLS *TLSFiles
	// StartTimeout bounds the wait for the member to become ready;
	// 30 s when zero.
	StartTimeout time.Duration
}

// TLSFiles names the server-side certificate files of a TLS member.
type TLSFiles struct {
	CertFile string // server certificate (PEM)
	KeyFile  string // server key (PEM)
	// ClientCAFile, when set, makes the server require client
	// certificates signed by this CA.
	ClientCAFile string
}

// Server is a running embedded etcd member.
type Server struct {
	etcd      *embed.Etcd
	endpoints []string
}

// Start starts a single-member etcd cluster as described by cfg and waits
// until it serves requests. On error nothing is left running.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	ec := embed.NewConfig()
	ec.Dir = cfg.Dir
	if cfg.Name != "" {
		ec.Name = cfg.Name
	}
	ec.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	ec.UnsafeNoFsync = true // test data; speed over durability
	scheme := "http"
	if cfg.TLS != nil {
		scheme = "https"
		ec.ClientTLSInfo.CertFile = cfg.TLS.CertFile
		ec.ClientTLSInfo.KeyFile = cfg.TLS.KeyFile
		if cfg.TLS.ClientCAFile != "" {
			ec.ClientTLSInfo.TrustedCAFile = cfg.TLS.ClientCAFile
			ec.ClientTLSInfo.ClientCertAuth = true
		}
	}
	client, err := url.Parse(scheme + "://127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	peer, err := url.Parse("http://127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ec.ListenClientUrls = []url.URL{*client}
	ec.AdvertiseClientUrls = []url.URL{*client}
	ec.ListenPeerUrls = []url.URL{*peer}
	ec.AdvertisePeerUrls = []url.URL{*peer}
	ec.InitialCluster = ec.Name + "=" + peer.String()

	e, err := embed.StartEtcd(ec)
	if err != nil {
		return nil, fmt.Errorf("start embedded etcd: %w", err)
	}
	timeout := cfg.StartTimeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("start embedded etcd: %w", err)
	case <-timer.C:
		e.Close()
		return nil, fmt.Errorf("start embedded etcd: %w after %s", ErrNotReady, timeout)
	case <-ctx.Done():
		e.Close()
		return nil, fmt.Errorf("start embedded etcd: %w", ctx.Err())
	}
	s := &Server{etcd: e}
	for _, l := range e.Clients {
		s.endpoints = append(s.endpoints, scheme+"://"+l.Addr().String())
	}
	return s, nil
}

// Endpoints returns the client URLs, e.g. "http://127.0.0.1:41234".
func (s *Server) Endpoints() []string { return append([]string(nil), s.endpoints...) }

// Close stops the member and waits until it has stopped.
func (s *Server) Close() { s.etcd.Close() }
