package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"locksmith.dev/locksmith/internal/testkit/testbin"
)

func TestMain(m *testing.M) { testbin.Main(m) }

// The unit verifies with the built binary, and systemd-analyze rates its sandbox OK (at most
// 3.0), wherever systemd-analyze exists.
func TestUnit(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("systemd-analyze is missing in CI")
		}
		t.Skip("systemd-analyze is not installed")
	}
	b, err := os.ReadFile("../../systemd-units/locksmith-fleetlockd.service")
	if err != nil {
		t.Fatal(err)
	}
	bin := testbin.Build(t, "locksmith.dev/locksmith/cmd/locksmith-fleetlockd")
	unit := regexp.MustCompile(`(?m)^ExecStart=.*$`).ReplaceAllString(string(b), "ExecStart="+bin)
	path := filepath.Join(t.TempDir(), "locksmith-fleetlockd.service")
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(analyze, "verify", path).CombinedOutput(); err != nil || len(out) != 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err := exec.Command(analyze, "security", "--offline=yes", path).CombinedOutput()
	m := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	if score, _ := strconv.ParseFloat(string(m[1]), 64); score > 3.0 {
		t.Fatalf("exposure %.1f, want at most 3.0:\n%s", score, out)
	}
	if !strings.Contains(unit, "RestartPreventExitStatus=2") {
		t.Error("the unit restarts on an invalid configuration")
	}
}
