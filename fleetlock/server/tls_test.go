package server_test

import (
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"locksmith.dev/locksmith/fleetlock/server"
	"locksmith.dev/locksmith/internal/testkit/embedetcd"
	"locksmith.dev/locksmith/internal/testkit/testcerts"
	"locksmith.dev/locksmith/internal/testkit/testlog"
)

// newTLSRig is a rig whose server requires a client certificate from the test CA and binds ids
// to it; its client presents the certificate whose common name is "locksmith-client".
func newTLSRig(t *testing.T) *rig {
	t.Helper()
	certs := testcerts.WriteT(t)
	pem, err := os.ReadFile(certs.CACert)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	serverCert, err := tls.LoadX509KeyPair(certs.ServerCert, certs.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	clientCert, err := tls.LoadX509KeyPair(certs.ClientCert, certs.ClientKey)
	if err != nil {
		t.Fatal(err)
	}
	srv := embedetcd.StartT(t)
	r := &rig{t: t, etcd: srv.ClientT(t), logs: &testlog.Lines{}}
	r.server = server.New(r.etcd, server.Config{
		Authorize: server.CertificateAuthorizer, Logger: slog.New(slog.NewTextHandler(r.logs, nil))})
	r.http = httptest.NewUnstartedServer(r.server.Handler())
	r.http.TLS = &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert}
	r.http.StartTLS()
	r.http.Client().Transport.(*http.Transport).TLSClientConfig = &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{clientCert}}
	t.Cleanup(func() {
		r.http.Close()
		_ = r.server.Close()
	})
	return r
}
