package ctl_test

import (
	"strings"
	"testing"

	"locksmith.dev/locksmith/internal/testkit/embedetcd"
)

// These runs fail before any connection is tried: no etcd is needed.
func TestUsageErrors(t *testing.T) {
	h := newHarness(t, nil)
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{nil, []string{"no command given (see 'locksmithctl help')"}},
		{[]string{"stats"}, []string{`unknown command "stats", did you mean "status"?`}},
		{[]string{"frobnicate"}, []string{`unknown command "frobnicate" (see 'locksmithctl help')`}},
		{[]string{"--frob", "status"}, []string{"unknown flag: --frob"}},
		{[]string{"status", "--frob"}, []string{"status: unknown flag: --frob (see 'locksmithctl help status')"}},
		{[]string{"status", "-x"}, []string{"status: unknown shorthand flag: 'x'"}},
		{[]string{"status", "extra"}, []string{`status: unexpected argument "extra" (usage: locksmithctl status)`}},
		{[]string{"lock", "a", "b"}, []string{`lock: unexpected argument "b"`}},
		{[]string{"unlock", "a", "b"}, []string{`unlock: unexpected argument "b"`}},
		{[]string{"reboot", "now"}, []string{`reboot: unexpected argument "now"`}},
		{[]string{"status", "--timeout", "soon"}, []string{"status:", `invalid argument "soon" for "--timeout"`}},
		{[]string{"status", "--endpoint"}, []string{"status: flag needs an argument: --endpoint"}},
		{[]string{"help", "frobnicate"}, []string{`help: unknown command "frobnicate"`}},
		{[]string{"help", "status", "lock"}, []string{`help: unexpected argument "lock"`}},
		{[]string{"status", "--endpoint", "127.0.0.1:2379"}, []string{`endpoint "127.0.0.1:2379" is not an http://, https:// or unix:// URL`}},
		{[]string{"status", "--etcd-certfile", "c.pem"}, []string{"client certificate", "must be given together"}},
		{[]string{"status", "--etcd-password", "secret"}, []string{"password is given without a user name"}},
	} {
		r := h.run(tt.args...)
		r.fails(t, 2, tt.want...)
		if r.stdout != "" {
			t.Errorf("locksmithctl %q printed %q", tt.args, r.stdout)
		}
	}
}

func TestNoCommandPrintsUsageOnStderr(t *testing.T) {
	r := newHarness(t, nil).run()
	if !strings.Contains(r.stderr, "Available Commands:") || !strings.Contains(r.stderr, "set-max") {
		t.Fatalf("no usage on stderr: %q", r.stderr)
	}
}

func TestHelp(t *testing.T) {
	h := newHarness(t, nil)
	out := h.run("help").ok(t)
	for _, cmd := range []string{"status", "lock", "unlock", "set-max", "reboot", "send-need-reboot", "repair", "remove-stale", "completion", "$LOCKSMITHCTL_ENDPOINT, $LOCKSMITHD_ENDPOINT"} {
		if !strings.Contains(out, cmd) {
			t.Errorf("help lacks %q:\n%s", cmd, out)
		}
	}
	if h.run("--help").ok(t) != out {
		t.Error("--help differs from help")
	}
	sub := h.run("help", "set-max").ok(t)
	if !strings.Contains(sub, "locksmithctl set-max N") || !strings.Contains(sub, "0 pauses reboots") {
		t.Errorf("help set-max:\n%s", sub)
	}
	if h.run("set-max", "--help").ok(t) != sub || h.run("set-max", "-h").ok(t) != sub {
		t.Error("set-max --help differs from help set-max")
	}
}

func TestVersion(t *testing.T) {
	h := newHarness(t, nil)
	for _, args := range [][]string{{"--version"}, {"-version"}, {"version"}} {
		expectOutput(t, strings.Join(args, " "), h.run(args...).ok(t), "locksmithctl version v9.9.9-test\n")
	}
}

func TestCompletionScripts(t *testing.T) {
	h := newHarness(t, nil)
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		out := h.run("completion", shell).ok(t)
		if !strings.Contains(out, "locksmithctl") || !strings.Contains(out, "__complete") {
			t.Errorf("completion %s does not complete locksmithctl:\n%.300s", shell, out)
		}
	}
	h.run("completion", "tcsh").fails(t, 2)
	out := h.run("__complete", "set").ok(t)
	if !strings.HasPrefix(out, "set-max\t") {
		t.Errorf("__complete set = %q", out)
	}
	out = h.run("__complete", "status", "--gr").ok(t)
	if !strings.HasPrefix(out, "--group\t") {
		t.Errorf("__complete status --gr = %q", out)
	}
}

// etcdctl's habits: --endpoints is read as --endpoint, and -w json points at --json.
func TestEtcdctlHabits(t *testing.T) {
	srv := embedetcd.StartT(t)
	h := newHarness(t, nil)
	expectOutput(t, "status --endpoints", h.run("status", "--endpoints", strings.Join(srv.Endpoints(), ",")).ok(t), "Available: 1\nMax: 1\n")
	h.run("status", "-w", "json").fails(t, 2, "locksmithctl prints JSON with --json")
	h.run("status", "--write-out=json").fails(t, 2, "locksmithctl prints JSON with --json")
}

// A LOCKSMITHCTL_* variable that names no option is a warning naming the closest one.
func TestUnknownVariable(t *testing.T) {
	srv := embedetcd.StartT(t)
	h := newHarness(t, srv)
	h.env["LOCKSMITHCTL_GROPU"] = "x"
	r := h.run("status")
	r.ok(t)
	if !strings.Contains(r.stderr, "locksmithctl: warning: $LOCKSMITHCTL_GROPU names no option (did you mean $LOCKSMITHCTL_GROUP?); it is ignored") {
		t.Errorf("stderr %q", r.stderr)
	}
}
