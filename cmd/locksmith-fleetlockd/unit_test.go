package main_test

import (
	"os"
	"strings"
	"testing"

	"locksmith.dev/locksmith/internal/testkit/testbin"
	"locksmith.dev/locksmith/internal/testkit/unitcheck"
)

func TestMain(m *testing.M) { testbin.Main(m) }

const unitPath = "../../systemd-units/locksmith-fleetlockd.service"

// The unit verifies with the built binary, and systemd-analyze rates its sandbox OK (at most 3.0).
func TestUnit(t *testing.T) {
	bin := testbin.Build(t, "locksmith.dev/locksmith/cmd/locksmith-fleetlockd")
	if score := unitcheck.Analyze(t, unitPath, bin); score > 3.0 {
		t.Fatalf("exposure %.1f, want at most 3.0", score)
	}
	b, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "\nRestartPreventExitStatus=2\n") {
		t.Error("the unit restarts on an invalid configuration")
	}
}
