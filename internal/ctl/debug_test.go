package ctl_test

import (
	"strings"
	"testing"

	"locksmith.dev/locksmith/internal/testkit/embedetcd"
)

// Old locksmithctl had -debug; it is accepted in every spelling and
// prints where each setting came from on stderr, leaving stdout alone.
func TestDebugShowsWhereSettingsCameFrom(t *testing.T) {
	srv := embedetcd.StartT(t)
	h := newHarness(t, srv)
	ep := srv.Endpoints()[0]
	h.confFiles = []string{h.writeFile("update.conf",
		"LOCKSMITHD_GROUP=from-conf\nLOCKSMITHD_ETCD_USERNAME=locksmith\nLOCKSMITHD_ETCD_PASSWORD_FILE=/etc/pw\n")}
	h.env["LOCKSMITHCTL_TIMEOUT"] = "7s"
	h.env["LOCKSMITHCTL_GROUP"] = "" // empty counts as unset
	for _, args := range [][]string{
		{"-debug", "status", "--etcd-username", "root", "--etcd-password", "s3cret"},
		{"status", "--debug", "--etcd-username", "root", "--etcd-password", "s3cret"},
		{"status", "-debug=true", "--etcd-username=root", "-etcd-password=s3cret"},
	} {
		r := h.run(args...)
		expectOutput(t, strings.Join(args, " "), r.ok(t), "Available: 1\nMax: 1\n")
		for _, want := range []string{
			"locksmithctl: debug: --endpoint=[" + ep + "] (from LOCKSMITHCTL_ENDPOINT)\n",
			"locksmithctl: debug: --group=from-conf (from LOCKSMITHD_GROUP in update.conf)\n",
			"locksmithctl: debug: --timeout=7s (from LOCKSMITHCTL_TIMEOUT)\n",
			"locksmithctl: debug: --etcd-password=(hidden) (from the command line)\n",
			"locksmithctl: debug: --json=false (default)\n",
			"locksmithctl: debug: --etcd-username=root (from the command line)\n",
			"locksmithctl: debug: LOCKSMITHD_ETCD_USERNAME in update.conf is not used: it belongs with --etcd-username, --etcd-password, given as options or LOCKSMITHCTL_ variables\n",
			"locksmithctl: debug: LOCKSMITHD_ETCD_PASSWORD_FILE in update.conf is not used: it belongs with --etcd-username, --etcd-password, given as options or LOCKSMITHCTL_ variables\n",
		} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("locksmithctl %q: stderr lacks %q:\n%s", args, want, r.stderr)
			}
		}
		if strings.Contains(r.stderr, "s3cret") {
			t.Errorf("locksmithctl %q: --debug shows the password:\n%s", args, r.stderr)
		}
	}
	// LOCKSMITHCTL_DEBUG too; without it nothing is printed.
	h.env["LOCKSMITHCTL_DEBUG"] = "1"
	if r := h.run("status"); !strings.Contains(r.stderr, "locksmithctl: debug: --debug=true (from LOCKSMITHCTL_DEBUG)\n") {
		t.Errorf("LOCKSMITHCTL_DEBUG=1: stderr %q", r.stderr)
	}
	delete(h.env, "LOCKSMITHCTL_DEBUG")
	if r := h.run("status"); r.stderr != "" {
		t.Errorf("stderr without --debug: %q", r.stderr)
	}
}
