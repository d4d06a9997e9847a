package ctl_test

import (
	"bytes"
	"strings"
	"testing"

	"locksmith.dev/locksmith/internal/ctl"
	"locksmith.dev/locksmith/internal/testkit/embedetcd"
)

// Run is locksmithctl on the real host: it reads the process environment.
func TestRunUsesTheProcessEnvironment(t *testing.T) {
	srv := embedetcd.StartT(t)
	t.Setenv("LOCKSMITHCTL_ENDPOINT", strings.Join(srv.Endpoints(), ","))
	t.Setenv("LOCKSMITHCTL_GROUP", "from-process-env")
	var stdout, stderr bytes.Buffer
	if err := ctl.Run(t.Context(), []string{"status", "--json"}, &stdout, &stderr); err != nil {
		t.Fatalf("Run: %v\nstderr: %s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), `"group": "from-process-env"`) {
		t.Errorf("status --json printed %q", stdout.String())
	}

	stdout.Reset()
	err := ctl.Run(t.Context(), []string{"frobnicate"}, &stdout, &stderr)
	if ctl.ExitCode(err) != 2 || stdout.Len() != 0 {
		t.Errorf("Run(frobnicate) = %v (exit %d), stdout %q", err, ctl.ExitCode(err), stdout.String())
	}
}
