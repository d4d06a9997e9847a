// Package testbin builds this module's programs for tests that run them as
// real processes (the daemon's integration test, the end-to-end tests).
package testbin

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	mu    sync.Mutex
	built = map[string]string{} // package -> binary path
	dir   string
)

// Build compiles the main package pkg (an import path such as
// "locksmith.dev/locksmith/cmd/locksmithd") once per test process and
// returns the binary's path. Binaries live in a directory removed when the
// process' tests end (see Cleanup). A build failure fails the test with the
// compiler's output.
func Build(tb testing.TB, pkg string) string {
	tb.Helper()
	mu.Lock()
	defer mu.Unlock()
	if p, ok := built[pkg]; ok {
		return p
	}
	if dir == "" {
		d, err := os.MkdirTemp("", "locksmith-testbin-")
		if err != nil {
			tb.Fatalf("build %s: %v", pkg, err)
		}
		dir = d
	}
	out := filepath.Join(dir, path.Base(pkg))
	cmd := exec.Command(goTool(), "build", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("build %s: %v\n%s", pkg, err, b)
	}
	built[pkg] = out
	return out
}

// Main is a TestMain for packages that build binaries: it runs the tests
// and removes the binaries (the test binary then exits with m.Run's
// status).
func Main(m *testing.M) {
	m.Run()
	Cleanup()
}

// Cleanup removes the binaries built so far; [Main] calls it.
func Cleanup() {
	mu.Lock()
	defer mu.Unlock()
	if dir != "" {
		_ = os.RemoveAll(dir)
	}
	dir, built = "", map[string]string{}
}

// goTool finds the go command: on PATH, else in $GOROOT/bin.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(os.Getenv("GOROOT"), "bin", "go")
}

// Result is what a program run by Run did.
type Result struct {
	Stdout, Stderr string
	// Code is the exit status.
	Code int
}

// Run runs the binary bin with args, with the test process' environment
// plus env ("NAME=value" entries, later ones winning), and returns its
// output and exit status. It fails the test if the program cannot be
// started or is killed by a signal.
func Run(tb testing.TB, bin string, env []string, args ...string) Result {
	tb.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	if err != nil && (!errors.As(err, &exitErr) || exitErr.ExitCode() < 0) {
		tb.Fatalf("run %s %q: %v", bin, args, err)
	}
	return Result{Stdout: stdout.String(), Stderr: stderr.String(), Code: cmd.ProcessState.ExitCode()}
}

// Deps returns the import paths that the packages pkgs link, their own included, as `go list
// -deps` prints them (without test files). A failure of go list fails the test.
func Deps(tb testing.TB, pkgs ...string) []string {
	tb.Helper()
	out, err := exec.Command(goTool(), append([]string{"list", "-deps"}, pkgs...)...).Output()
	if err != nil {
		var stderr []byte
		if exitErr, ok := errors.AsType[*exec.ExitError](err); ok {
			stderr = exitErr.Stderr
		}
		tb.Fatalf("go list -deps %q: %v\n%s", pkgs, err, stderr)
	}
	return strings.Fields(string(out))
}
