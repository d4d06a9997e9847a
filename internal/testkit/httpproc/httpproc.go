// Package httpproc runs a server binary from Debian's packages for a test (prometheus,
// alertmanager) and waits until its readiness URL answers.
package httpproc

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"

	"locksmith.dev/locksmith/internal/testkit/testlog"
)

// LookPathT returns the path of the binary name, installed by Debian's package pkg. Without it,
// it skips the test, or fails it under CI=true.
func LookPathT(t *testing.T, name, pkg string) string {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		msg := fmt.Sprintf("%s not found (install Debian's %s package)", name, pkg)
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s: CI=true requires it", msg)
		}
		t.Skip(msg)
	}
	return bin
}

// FreeAddr returns a loopback address with a port that was free a moment ago.
func FreeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// StartT starts bin with args, kills it when the test ends (logging its output if the test
// failed), and waits up to a minute until GET ready answers 200; it fails the test if the
// process exits first or never gets ready.
func StartT(t *testing.T, bin string, args []string, ready string) {
	t.Helper()
	out := &testlog.Lines{}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("%s output:\n%s", bin, out.String())
		}
	})
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if resp, err := http.Get(ready); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("%s exited before it was ready: %v\n%s", bin, err, out.String())
		case <-ctx.Done():
			t.Fatalf("%s not ready at %s: %v\n%s", bin, ready, ctx.Err(), out.String())
		case <-tick.C:
		}
	}
}
