// Package amtest starts Debian's Alertmanager (prometheus-alertmanager) for a test, with a
// temporary configuration, no cluster and a receiver that sends nothing.
package amtest

import (
	"os"
	"path/filepath"
	"testing"

	"locksmith.dev/locksmith/internal/testkit/httpproc"
)

// StartT starts Alertmanager and returns its base URL, e.g. "http://127.0.0.1:9093"; it is
// stopped when the test ends. Without the binary it skips the test, or fails it under CI=true.
func StartT(t *testing.T) string {
	t.Helper()
	bin := httpproc.LookPathT(t, "prometheus-alertmanager", "prometheus-alertmanager")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfg, []byte("route:\n  receiver: none\nreceivers:\n  - name: none\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := httpproc.FreeAddr(t)
	httpproc.StartT(t, bin, []string{"--config.file=" + cfg, "--storage.path=" + filepath.Join(dir, "data"),
		"--web.listen-address=" + addr, "--cluster.listen-address=", "--log.level=warn"}, "http://"+addr+"/-/ready")
	return "http://" + addr
}
