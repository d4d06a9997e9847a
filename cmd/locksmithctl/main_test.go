package main_test

import (
	"strings"
	"testing"

	"locksmith.dev/locksmith/internal/testkit/embedetcd"
	"locksmith.dev/locksmith/internal/testkit/testbin"
)

func TestMain(m *testing.M) { testbin.Main(m) }

// TestExitStatus runs the real program: main prints Run's error as one
// line on stderr and maps it to the exit status.
func TestExitStatus(t *testing.T) {
	bin := testbin.Build(t, "locksmith.dev/locksmith/cmd/locksmithctl")
	srv := embedetcd.StartT(t)
	for _, tt := range []struct {
		args   []string
		env    []string
		code   int
		stdout string
		stderr string // prefix
	}{
		{[]string{"status"}, []string{"LOCKSMITHCTL_ENDPOINT=" + srv.Endpoints()[0], "LOCKSMITHCTL_GROUP="}, 0, "Available: 1\nMax: 1\n", ""},
		{[]string{"-version"}, nil, 0, "locksmithctl version ", ""},
		{[]string{"frobnicate"}, nil, 2, "", `locksmithctl: unknown command "frobnicate"`},
		{[]string{"set-max", "-1"}, nil, 2, "", "locksmithctl: set-max: invalid maximum -1"},
		{[]string{"status"}, []string{"LOCKSMITHCTL_TIMEOUT=soon"}, 2, "", `locksmithctl: invalid value "soon" in LOCKSMITHCTL_TIMEOUT (for --timeout)`},
		{[]string{"status", "--endpoint", "http://127.0.0.1:1"}, nil, 1, "", "locksmithctl: connection refused by 127.0.0.1:1 (is etcd running?"},
	} {
		r := testbin.Run(t, bin, tt.env, tt.args...)
		if r.Code != tt.code || !strings.HasPrefix(r.Stdout, tt.stdout) || !strings.HasPrefix(r.Stderr, tt.stderr) {
			t.Errorf("locksmithctl %q: exit %d, stdout %q, stderr %q; want exit %d, stdout %q…, stderr %q…",
				tt.args, r.Code, r.Stdout, r.Stderr, tt.code, tt.stdout, tt.stderr)
		}
		if tt.code != 0 && strings.Count(r.Stderr, "\n") != 1 {
			t.Errorf("locksmithctl %q: stderr is not one line: %q", tt.args, r.Stderr)
		}
	}
}
