// Package amtest starts Debian's Alertmanager (prometheus-alertmanager) for a test, with a
// temporary configuration, no cluster and a receiver that sends nothing.
package amtest

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"locksmith.dev/locksmith/internal/testkit/promtest"
	"locksmith.dev/locksmith/internal/testkit/testlog"
)

// ErrNoAlertmanager is wrapped when no alertmanager binary is on $PATH.
var ErrNoAlertmanager = errors.New("prometheus-alertmanager not found (install Debian's prometheus-alertmanager package)")

// StartT starts Alertmanager and returns its base URL, e.g. "http://127.0.0.1:9093"; it is
// stopped when the test ends. Without the binary it skips the test, or fails it under CI=true.
func StartT(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("prometheus-alertmanager")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v: CI=true requires it", ErrNoAlertmanager)
		}
		t.Skip(ErrNoAlertmanager)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfg, []byte("route:\n  receiver: none\nreceivers:\n  - name: none\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := promtest.FreeAddr(t)
	out := &testlog.Lines{}
	cmd := exec.Command(bin, "--config.file="+cfg, "--storage.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr,
		"--cluster.listen-address=", "--log.level=warn")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start alertmanager: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("alertmanager output:\n%s", out.String())
		}
	})
	url := "http://" + addr
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if resp, err := http.Get(url + "/-/ready"); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("alertmanager exited before it was ready: %v\n%s", err, out.String())
		case <-ctx.Done():
			t.Fatalf("alertmanager not ready: %v\n%s", ctx.Err(), out.String())
		case <-tick.C:
		}
	}
}
