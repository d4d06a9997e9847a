package etcdclient

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"locksmith.dev/locksmith/internal/testkit/embedetcd"
	"locksmith.dev/locksmith/internal/testkit/testcerts"
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

// A client made by Connect is connected, and lives on after the context of
// Connect ends.
func TestConnect(t *testing.T) {
	srv := embedetcd.StartT(t)
	ctx, cancel := context.WithCancel(t.Context())
	cli, err := Connect(ctx, Config{Endpoints: srv.Endpoints()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	cancel()
	if err := cli.Ctx().Err(); err != nil {
		t.Fatalf("the client's context ended with the context of Connect: %v", err)
	}
	if err := roundTrip(t, cli, 10*time.Second); err != nil {
		t.Fatalf("request after the context of Connect ended: %v", err)
	}
}

// Connect reports a refused connection at once, in plain words, whatever its context allows.
func TestConnectRefused(t *testing.T) {
	cli, err := Connect(t.Context(), Config{Endpoints: []string{"http://127.0.0.1:1", "http://no-such-host.invalid:2379"}, DialTimeout: time.Minute})
	if err == nil {
		_ = cli.Close()
		t.Fatal("Connect to a closed port succeeded")
	}
	ue, ok := errors.AsType[*UnreachableError](err)
	if !ok || !ue.NoServer || !strings.Contains(err.Error(), "connection refused by 127.0.0.1:1") ||
		!strings.Contains(err.Error(), "no-such-host.invalid does not resolve") || strings.Contains(err.Error(), "rpc error") {
		t.Fatalf("Connect to a closed port and a name that does not resolve: %v", err)
	}
}

// Connect gives up when its context ends, with the context's cause, also
// while an endpoint takes the connection but never answers.
func TestConnectGivesUpWhenContextEnds(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	reached := make(chan struct{})
	go func() { // takes connections and never answers
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				_ = c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			if conns = append(conns, c); len(conns) == 1 {
				close(reached)
			}
		}
	}()
	ctx, cancel := context.WithCancelCause(t.Context())
	defer cancel(nil)
	done := make(chan error, 1)
	ep := "http://" + l.Addr().String()
	go func() {
		cli, err := Connect(ctx, Config{Endpoints: []string{ep}, DialTimeout: time.Minute})
		if cli != nil {
			_ = cli.Close()
		}
		done <- err
	}()
	deadline := time.NewTimer(time.Minute)
	defer deadline.Stop()
	select {
	case <-reached:
	case err := <-done:
		t.Fatalf("Connect returned before the endpoint took the connection: %v", err)
	case <-deadline.C:
		t.Fatal("Connect never reached the endpoint")
	}
	interrupted := errors.New("interrupted")
	cancel(interrupted)
	select {
	case err := <-done:
		if !errors.Is(err, interrupted) || !strings.Contains(err.Error(), "create etcd client for "+ep+": interrupted") {
			t.Fatalf("Connect after its context ended: %v", err)
		}
	case <-deadline.C:
		t.Fatal("Connect did not return after its context ended")
	}
}

// wantFieldError fails unless err is a *FieldError of field and value
// whose text contains want.
func wantFieldError(t *testing.T, err error, field, value, want string) {
	t.Helper()
	var fe *FieldError
	if !errors.Is(err, ErrInvalidConfig) || !errors.As(err, &fe) || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want a FieldError mentioning %s", err, want)
	}
	if fe.Field != field || fe.Value != value {
		t.Fatalf("field %q value %q, want %q %q", fe.Field, fe.Value, field, value)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name         string
		c            Config
		field, value string
		want         string
	}{
		{"bad scheme", Config{Endpoints: []string{"ftp://x:1"}}, "endpoint", "ftp://x:1", `endpoint "ftp://x:1" is not an http://`},
		{"no scheme", Config{Endpoints: []string{"127.0.0.1:2379"}}, "endpoint", "127.0.0.1:2379", `"127.0.0.1:2379"`},
		{"cert without key", Config{CertFile: "c.pem"}, "etcd-certfile", "c.pem", "must be given together"},
		{"key without cert", Config{KeyFile: "k.pem"}, "etcd-keyfile", "k.pem", "must be given together"},
		{"password twice", Config{Username: "u", Password: "p", PasswordFile: "f"}, "etcd-password-file", "f", "not both"},
		{"password without user", Config{Password: "p"}, "etcd-password", "", "etcd-password is given without a user name"},
		{"password file without user", Config{PasswordFile: "f"}, "etcd-password-file", "f", "without a user name"},
		{"negative dial timeout", Config{DialTimeout: -time.Second}, "dial-timeout", "-1s", "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantFieldError(t, tt.c.Validate(), tt.field, tt.value, tt.want)
		})
	}
	if err := (Config{Endpoints: []string{"https://a:2379", "unix://x"}, CAFile: "ca"}).Validate(); err != nil {
		t.Fatalf("valid config rejected: %v", err)
	}
	// A password never shows in a message.
	if err := (Config{Password: "s3cret"}).Validate(); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("Validate = %v", err)
	}
}

func TestCheckFiles(t *testing.T) {
	certs := testcerts.WriteT(t)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	junk, empty, pw := write("junk.pem", "not a certificate"), write("empty", "\nsecond\n"), write("pw", "s3cret\n")
	missing := filepath.Join(dir, "missing")
	ok := Config{CAFile: certs.CACert, CertFile: certs.ClientCert, KeyFile: certs.ClientKey, Username: "u", PasswordFile: pw}
	if err := ok.CheckFiles(); err != nil {
		t.Fatalf("CheckFiles(good files) = %v", err)
	}
	tests := []struct {
		name         string
		c            Config
		field, value string
		want         string
	}{
		{"missing CA", Config{CAFile: missing}, "etcd-cafile", missing, "no such file"},
		{"CA without PEM", Config{CAFile: junk}, "etcd-cafile", junk, "no PEM certificate"},
		{"missing certificate", Config{CertFile: missing, KeyFile: certs.ClientKey}, "etcd-certfile", missing, "no such file"},
		{"missing key", Config{CertFile: certs.ClientCert, KeyFile: missing}, "etcd-keyfile", missing, "no such file"},
		{"certificate without PEM", Config{CertFile: junk, KeyFile: certs.ClientKey}, "etcd-certfile", junk, "no PEM certificate"},
		{"key of another certificate", Config{CertFile: certs.ClientCert, KeyFile: certs.ServerKey}, "etcd-keyfile", certs.ServerKey, "does not match"},
		{"missing password file", Config{Username: "u", PasswordFile: missing}, "etcd-password-file", missing, "no such file"},
		{"empty password", Config{Username: "u", PasswordFile: empty}, "etcd-password-file", empty, "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantFieldError(t, tt.c.CheckFiles(), tt.field, tt.value, tt.want)
			_, err := New(tt.c)
			wantFieldError(t, err, tt.field, tt.value, tt.want)
		})
	}
}

func TestDescribe(t *testing.T) {
	fe := &FieldError{Field: "etcd-cafile", Value: "/x", Problem: "is unusable", Err: errors.New("boom")}
	if got, want := fe.Describe("$CA (--etcd-cafile)"), `$CA (--etcd-cafile)="/x" is unusable: boom`; got != want {
		t.Fatalf("Describe = %q, want %q", got, want)
	}
	if got, want := fe.Error(), `invalid etcd connection settings: etcd-cafile "/x" is unusable: boom`; got != want {
		t.Fatalf("Error = %q, want %q", got, want)
	}
	pw := &FieldError{Field: "etcd-password", Problem: "is given without a user name"}
	if got, want := pw.Describe("--etcd-password"), "--etcd-password is given without a user name"; got != want {
		t.Fatalf("Describe = %q, want %q", got, want)
	}
}

// Old locksmith's configuration may list endpoints with blanks after the
// commas, or a trailing comma.
func TestEndpointListWithBlanks(t *testing.T) {
	srv := embedetcd.StartT(t)
	ep := srv.Endpoints()[0]
	c := Config{Endpoints: []string{"", " " + ep, "\t" + ep + " ", ""}}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate = %v", err)
	}
	cli := newT(t, c)
	if got := cli.Endpoints(); len(got) != 2 || got[0] != ep || got[1] != ep {
		t.Fatalf("client endpoints %q, want %q twice", got, ep)
	}
	if err := roundTrip(t, cli, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := (Config{Endpoints: []string{" ", ""}}).endpoints(); len(got) != 1 || got[0] != DefaultEndpoint {
		t.Fatalf("endpoints of blanks %q, want the default", got)
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
