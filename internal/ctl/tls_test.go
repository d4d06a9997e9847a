package ctl_test

import (
	"strings"
	"testing"

	"locksmith.dev/locksmith/internal/testkit/embedetcd"
	"locksmith.dev/locksmith/internal/testkit/testcerts"
)

func TestTLSServerAuthWithCAOnly(t *testing.T) {
	certs := testcerts.WriteT(t)
	srv := embedetcd.StartConfigT(t, embedetcd.Config{TLS: &embedetcd.TLSFiles{CertFile: certs.ServerCert, KeyFile: certs.ServerKey}})
	h := newHarness(t, srv)
	if ep := srv.Endpoints()[0]; !strings.HasPrefix(ep, "https://") {
		t.Fatalf("endpoint %s is not https", ep)
	}
	h.run("lock", "--etcd-cafile", certs.CACert).ok(t)
	expectOutput(t, "status", h.run("status", "-etcd-cafile", certs.CACert).ok(t)[:len("Available: 0\nMax: 1\n")], "Available: 0\nMax: 1\n")

	// The CA file from the environment, then from update.conf.
	h.env["LOCKSMITHCTL_ETCD_CAFILE"] = certs.CACert
	h.run("unlock").ok(t)
	delete(h.env, "LOCKSMITHCTL_ETCD_CAFILE")
	h.confFiles = []string{h.writeFile("update.conf", "LOCKSMITHD_ETCD_CAFILE="+certs.CACert+"\n")}
	h.run("lock").ok(t)

	// Without the CA the server is not trusted.
	h.confFiles = nil
	h.confFiles = []string{h.dir + "/absent.conf"}
	h.run("status").fails(t, 1, "is signed by an authority this host does not trust (set --etcd-cafile to the CA that signed it)")
	// A CA file that is not there.
	h.run("status", "--etcd-cafile", h.dir+"/nope.pem").fails(t, 1, "read etcd CA file", "nope.pem")
}

func TestTLSClientCertificateRequired(t *testing.T) {
	certs := testcerts.WriteT(t)
	srv := embedetcd.StartConfigT(t, embedetcd.Config{TLS: &embedetcd.TLSFiles{
		CertFile: certs.ServerCert, KeyFile: certs.ServerKey, ClientCAFile: certs.CACert,
	}})
	h := newHarness(t, srv)
	h.run("set-max", "2", "--etcd-cafile", certs.CACert, "--etcd-certfile", certs.ClientCert, "--etcd-keyfile", certs.ClientKey).ok(t)
	h.env["LOCKSMITHCTL_ETCD_CAFILE"] = certs.CACert
	h.env["LOCKSMITHCTL_ETCD_CERTFILE"] = certs.ClientCert
	h.env["LOCKSMITHCTL_ETCD_KEYFILE"] = certs.ClientKey
	expectOutput(t, "status", h.run("status").ok(t), "Available: 2\nMax: 2\n")

	// The CA alone is not enough for this server.
	delete(h.env, "LOCKSMITHCTL_ETCD_CERTFILE")
	delete(h.env, "LOCKSMITHCTL_ETCD_KEYFILE")
	h.run("status").fails(t, 1, "requires a client certificate (set --etcd-certfile and --etcd-keyfile)")
	// A client certificate from another CA is refused, in its own sentence.
	other := testcerts.WriteT(t)
	h.run("status", "--etcd-certfile", other.ClientCert, "--etcd-keyfile", other.ClientKey).fails(t, 1,
		"refused the client certificate (check --etcd-certfile and --etcd-keyfile)")
	// A certificate without its key is a usage error.
	h.run("status", "--etcd-certfile", certs.ClientCert).fails(t, 2, "must be given together")
}

// https:// to a server that speaks plain HTTP gets its own sentence, at once.
func TestHTTPSToPlainServer(t *testing.T) {
	srv := embedetcd.StartT(t)
	h := newHarness(t, nil)
	ep := strings.Replace(srv.Endpoints()[0], "http://", "https://", 1)
	h.run("status", "--endpoint", ep).fails(t, 1, "hung up at the TLS handshake: it likely does not speak TLS (use http:// for it")
}
