package embedetcd

import (
	"context"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// StartT starts a plain single-member etcd for a test in t.TempDir() and
// stops it when the test ends. It fails the test if etcd cannot start.
func StartT(tb testing.TB) *Server {
	tb.Helper()
	return StartConfigT(tb, Config{})
}

// StartConfigT is StartT with settings; cfg.Dir defaults to t.TempDir().
func StartConfigT(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	if cfg.Dir == "" {
		cfg.Dir = tb.TempDir()
	}
	s, err := Start(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("%v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// ClientT returns a client of s that is closed when the test ends.
func (s *Server) ClientT(tb testing.TB) *clientv3.Client {
	tb.Helper()
	c, err := clientv3.New(clientv3.Config{Endpoints: s.Endpoints(), DialTimeout: 10 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		tb.Fatalf("etcd client: %v", err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c
}
