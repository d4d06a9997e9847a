package ctl_test

import (
	"strings"
	"testing"

	"locksmith.dev/locksmith/internal/testkit/embedetcd"
	"locksmith.dev/locksmith/internal/testkit/testcerts"
)

// authEtcd starts an etcd that requires a user name and password: root
// (password rootpw) and locksmith (lockpw), both with every right.
func authEtcd(t *testing.T) *embedetcd.Server {
	t.Helper()
	srv := embedetcd.StartT(t)
	cli := srv.ClientT(t)
	ctx := t.Context()
	for user, pw := range map[string]string{"root": "rootpw", "locksmith": "lockpw"} {
		if _, err := cli.UserAdd(ctx, user, pw); err != nil {
			t.Fatal(err)
		}
		if _, err := cli.UserGrantRole(ctx, user, "root"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cli.AuthEnable(ctx); err != nil {
		t.Fatal(err)
	}
	return srv
}

// The user name, password and password file are one setting: given on the
// command line or in LOCKSMITHCTL_*, none of them is taken from
// update.conf, so that a password never meets another source's password
// file or user.
func TestCredentialsComeFromOneSource(t *testing.T) {
	srv := authEtcd(t)
	h := newHarness(t, srv)
	pwFile := h.writeFile("lock-password", "lockpw\n")
	h.confFiles = []string{h.writeFile("update.conf",
		"LOCKSMITHD_ETCD_USERNAME=locksmith\nLOCKSMITHD_ETCD_PASSWORD_FILE="+pwFile+"\n")}

	// update.conf alone: locksmithd's credentials.
	expectOutput(t, "status with update.conf's credentials", h.run("status").ok(t), "Available: 1\nMax: 1\n")

	// Options: update.conf's password file is not mixed in.
	h.run("status", "--etcd-username", "root", "--etcd-password", "rootpw").ok(t)
	// The environment: the same.
	h.env["LOCKSMITHCTL_ETCD_USERNAME"] = "root"
	h.env["LOCKSMITHCTL_ETCD_PASSWORD"] = "rootpw"
	h.run("status").ok(t)
	// A password without a user: update.conf's user is not taken either.
	delete(h.env, "LOCKSMITHCTL_ETCD_USERNAME")
	h.run("status").fails(t, 2, "password is given without a user name")
	delete(h.env, "LOCKSMITHCTL_ETCD_PASSWORD")
	h.run("status", "--etcd-password", "lockpw").fails(t, 2, "password is given without a user name")

	// A password file on the command line and a password in update.conf.
	h.confFiles = []string{h.writeFile("update2.conf",
		"LOCKSMITHD_ETCD_USERNAME=locksmith\nLOCKSMITHD_ETCD_PASSWORD=wrong\n")}
	h.run("status", "--etcd-username", "locksmith", "--etcd-password-file", pwFile).ok(t)
	// A user name alone on the command line: no password from update.conf.
	h.run("status", "--etcd-username", "locksmith", "--timeout", "5s").fails(t, 1, "user name is empty")

	if out := h.run("help").ok(t); !strings.Contains(out, "together come from one place") {
		t.Errorf("help does not say that settings that belong together come from one place:\n%s", out)
	}
}

// The client certificate and its key are one setting too.
func TestClientCertificateComesFromOneSource(t *testing.T) {
	certs := testcerts.WriteT(t)
	h := newHarness(t, nil)
	h.env["LOCKSMITHCTL_ENDPOINT"] = "https://127.0.0.1:1"
	h.env["LOCKSMITHCTL_TIMEOUT"] = "1s"
	h.confFiles = []string{h.writeFile("update.conf",
		"LOCKSMITHD_ETCD_CERTFILE="+certs.ClientCert+"\nLOCKSMITHD_ETCD_KEYFILE="+certs.ClientKey+"\n")}
	h.run("status", "--etcd-certfile", certs.ClientCert).fails(t, 2, "client certificate", "must be given together")
	h.env["LOCKSMITHCTL_ETCD_KEYFILE"] = certs.ClientKey
	h.run("status").fails(t, 2, "client certificate", "must be given together")
}
