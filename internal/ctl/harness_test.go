package ctl_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"locksmith.dev/locksmith/internal/ctl"
	"locksmith.dev/locksmith/internal/envflag"
	"locksmith.dev/locksmith/internal/testkit/embedetcd"
)

const (
	thisID   = "0123456789abcdef0123456789abcdef"
	otherID  = "fedcba9876543210fedcba9876543210"
	thisBoot = "5c4d1a3e-0b6f-4c1e-9d2a-7e8f90a1b2c3"
	thisHost = "node-1"
)

// t0 is the harness clock's start.
var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// harness runs the CLI as a user would, against real servers, with this
// machine's identity, environment, update.conf files and clock set by the
// test.
type harness struct {
	t   *testing.T
	dir string
	// env is the process environment the CLI sees.
	env map[string]string
	// confFiles are the update.conf files; by default one that does not
	// exist, so that the host's files are never read.
	confFiles []string

	mu  sync.Mutex
	now time.Time
}

// newHarness returns a harness whose environment points the CLI at srv
// (LOCKSMITHCTL_ENDPOINT) when srv is not nil.
func newHarness(t *testing.T, srv *embedetcd.Server) *harness {
	t.Helper()
	h := &harness{t: t, dir: t.TempDir(), env: map[string]string{}, now: t0}
	h.confFiles = []string{filepath.Join(h.dir, "absent-update.conf")}
	if srv != nil {
		h.env["LOCKSMITHCTL_ENDPOINT"] = strings.Join(srv.Endpoints(), ",")
	}
	h.writeFile("machine-id", thisID+"\n")
	h.writeFile("boot_id", thisBoot+"\n")
	return h
}

// writeFile writes a file in the harness directory and returns its path.
func (h *harness) writeFile(name, body string) string {
	h.t.Helper()
	p := filepath.Join(h.dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		h.t.Fatal(err)
	}
	return p
}

// advance moves the harness clock.
func (h *harness) advance(d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.now = h.now.Add(d)
}

func (h *harness) clock() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.now
}

// cli returns the CLI of one run writing to stdout and stderr.
func (h *harness) cli(stdout, stderr *bytes.Buffer) *ctl.CLI {
	return &ctl.CLI{
		Stdout:          stdout,
		Stderr:          stderr,
		LookupEnv:       envflag.MapLookup(h.env),
		EnvNames:        envflag.Map(h.env).Names,
		UpdateConfFiles: h.confFiles,
		MachineIDPath:   filepath.Join(h.dir, "machine-id"),
		BootIDPath:      filepath.Join(h.dir, "boot_id"),
		Hostname:        func() (string, error) { return thisHost, nil },
		Now:             h.clock,
		Version:         "v9.9.9-test",
	}
}

// result is the outcome of one run.
type result struct {
	args           []string
	stdout, stderr string
	err            error
	code           int
}

// run runs locksmithctl with args.
func (h *harness) run(args ...string) result {
	return h.runContext(h.t.Context(), args...)
}

// runContext runs locksmithctl with args under ctx.
func (h *harness) runContext(ctx context.Context, args ...string) result {
	var stdout, stderr bytes.Buffer
	err := h.cli(&stdout, &stderr).Run(ctx, args)
	return result{args: args, stdout: stdout.String(), stderr: stderr.String(), err: err, code: ctl.ExitCode(err)}
}

// ok fails the test unless the run succeeded, and returns its output.
func (r result) ok(t *testing.T) string {
	t.Helper()
	if r.err != nil || r.code != 0 {
		t.Fatalf("locksmithctl %q: exit %d, error %v\nstdout:\n%s\nstderr:\n%s", r.args, r.code, r.err, r.stdout, r.stderr)
	}
	return r.stdout
}

// fails fails the test unless the run exited with code and its error is
// one line containing every string of want.
func (r result) fails(t *testing.T, code int, want ...string) {
	t.Helper()
	if r.err == nil || r.code != code {
		t.Fatalf("locksmithctl %q: exit %d (error %v), want exit %d\nstdout:\n%s", r.args, r.code, r.err, code, r.stdout)
	}
	msg := r.err.Error()
	if strings.Contains(msg, "\n") {
		t.Errorf("locksmithctl %q: error is not one line: %q", r.args, msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("locksmithctl %q: error %q does not contain %q", r.args, msg, w)
		}
	}
}

// expectOutput fails the test unless got equals want.
func expectOutput(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s:\ngot:\n%s\nwant:\n%s", what, got, want)
	}
}
