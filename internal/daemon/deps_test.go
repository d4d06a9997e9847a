package daemon_test

import (
	"strings"
	"testing"

	"locksmith.dev/locksmith/internal/testkit/testbin"
)

// The state machine knows no transport: it links neither the etcd client nor D-Bus, so that a
// backend other than etcd (or a stand-in) needs neither.
func TestLinksNoTransport(t *testing.T) {
	for _, dep := range testbin.Deps(t, "locksmith.dev/locksmith/internal/daemon") {
		if strings.HasPrefix(dep, "go.etcd.io/") || strings.HasPrefix(dep, "github.com/godbus/") ||
			strings.HasPrefix(dep, "google.golang.org/grpc") {
			t.Errorf("internal/daemon links %s", dep)
		}
	}
}
