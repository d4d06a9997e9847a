package testkit_test

import (
	"strings"
	"testing"

	"locksmith.dev/locksmith/internal/testkit/testbin"
)

// What ships links nothing from the test kit, nor the etcd server it embeds.
func TestShippedProgramsLinkNoTestKit(t *testing.T) {
	deps := testbin.Deps(t, "locksmith.dev/locksmith/cmd/locksmithd", "locksmith.dev/locksmith/cmd/locksmithctl")
	for _, dep := range deps {
		if strings.HasPrefix(dep, "locksmith.dev/locksmith/internal/testkit") || strings.HasPrefix(dep, "go.etcd.io/etcd/server") {
			t.Errorf("locksmithd or locksmithctl links %s", dep)
		}
	}
	if len(deps) == 0 {
		t.Fatal("go list -deps listed nothing")
	}
}
