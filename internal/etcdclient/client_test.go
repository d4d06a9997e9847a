package etcdclient

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flatcar/locksmith/internal/embedetcd"
	"github.com/flatcar/locksmith/internal/testcerts"
	clientv3 "go.etcd.io/etcd/client/v3"
)

func roundTrip(t *testing.T, c *clientv3.Client, timeout time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if _, err := c.Put(ctx, "k", "v"); err != nil {
		return err
	}
	resp, err := c.Get(ctx, "k")
	if err != nil {
		return err
	}
	if len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "v" {
		t.Fatalf("read back %v", resp.Kvs)
	}
	return nil
}

func newT(t *testing.T, c Config) *clientv3.Client {
	t.Helper()
	cli, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

func TestPlain(t *testing.T) {
	srv := embedetcd.StartT(t)
	if err := roundTrip(t, newT(t, Config{Endpoints: srv.Endpoints()}), 10*time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestTLSWithCAOnly(t *testing.T) {
	certs := testcerts.WriteT(t)
	srv := embedetcd.StartConfigT(t, embedetcd.Config{TLS: &embedetcd.TLSFiles{CertFile: certs.ServerCert, KeyFile: certs.ServerKey}})
	if !strings.HasPrefix(srv.Endpoints()[0], "https://") {
		t.Fatalf("endpoint %s is not https", srv.Endpoints()[0])
	}
	if err := roundTrip(t, newT(t, Config{Endpoints: srv.Endpoints(), CAFile: certs.CACert}), 10*time.Second); err != nil {
		t.Fatalf("CA-only TLS: %v", err)
	}
}

func TestTLSClientCertificate(t *testing.T) {
	certs := testcerts.WriteT(t)
	srv := embedetcd.StartConfigT(t, embedetcd.Config{TLS: &embedetcd.TLSFiles{
		CertFile: certs.ServerCert, KeyFile: certs.ServerKey, ClientCAFile: certs.CACert,
	}})
	with := newT(t, Config{Endpoints: srv.Endpoints(), CAFile: certs.CACert, CertFile: certs.ClientCert, KeyFile: certs.ClientKey})
	if err := roundTrip(t, with, 10*time.Second); err != nil {
		t.Fatalf("client certificate auth: %v", err)
	}
	without := newT(t, Config{Endpoints: srv.Endpoints(), CAFile: certs.CACert})
	if err := roundTrip(t, without, 2*time.Second); err == nil {
		t.Fatal("server requiring client certificates accepted a client without one")
	}
}

func TestPasswordFile(t *testing.T) {
	srv := embedetcd.StartT(t)
	admin := srv.ClientT(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := admin.UserAdd(ctx, "root", "s3cret"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.UserGrantRole(ctx, "root", "root"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AuthEnable(ctx); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good"), filepath.Join(dir, "bad")
	if err := os.WriteFile(good, []byte("s3cret\nignored second line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("wrong\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cli := newT(t, Config{Endpoints: srv.Endpoints(), Username: "root", PasswordFile: good})
	if err := roundTrip(t, cli, 10*time.Second); err != nil {
		t.Fatalf("password from file: %v", err)
	}
	if c, err := New(Config{Endpoints: srv.Endpoints(), Username: "root", PasswordFile: bad}); err == nil {
		err = roundTrip(t, c, 5*time.Second)
		_ = c.Close()
		if err == nil {
			t.Fatal("wrong password accepted")
		}
	}
	if _, err := New(Config{Endpoints: srv.Endpoints(), Username: "root", PasswordFile: filepath.Join(dir, "missing")}); err == nil || !strings.Contains(err.Error(), "password file") {
		t.Fatalf("missing password file: %v", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		c    Config
		want string
	}{
		{"bad scheme", Config{Endpoints: []string{"ftp://x:1"}}, `"ftp://x:1"`},
		{"no scheme", Config{Endpoints: []string{"127.0.0.1:2379"}}, `"127.0.0.1:2379"`},
		{"cert without key", Config{CertFile: "c.pem"}, "must be given together"},
		{"password twice", Config{Username: "u", Password: "p", PasswordFile: "f"}, "not both"},
		{"password without user", Config{Password: "p"}, "without a user name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.Validate()
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want ErrInvalidConfig mentioning %s", err, tt.want)
			}
		})
	}
	if err := (Config{Endpoints: []string{"https://a:2379", "unix://x"}, CAFile: "ca"}).Validate(); err != nil {
		t.Fatalf("valid config rejected: %v", err)
	}
}

func TestBadCAFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(p, []byte("not a certificate"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := New(Config{Endpoints: []string{"https://127.0.0.1:1"}, CAFile: p})
	if err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("bad CA file: %v", err)
	}
}

func TestWarnings(t *testing.T) {
	if w := (Config{CAFile: "ca"}).Warnings(); len(w) != 1 {
		t.Fatalf("CA with default http endpoint: warnings %q", w)
	}
	if w := (Config{CAFile: "ca", Endpoints: []string{"https://a:1"}}).Warnings(); len(w) != 0 {
		t.Fatalf("CA with https endpoint: warnings %q", w)
	}
}
